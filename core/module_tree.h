// The checkpoint as a module hierarchy: dotted names grouped into nodes ("layer1" > "0" > "conv1"
// > "weight") with totals per node, non-tensor values (epoch, hyper-parameters) in place, and the
// candidate state dicts marked. What the GUI's parameter tree shows; built once per file.
#pragma once

#include "checkpoint.h"

#include <QString>

#include <vector>

namespace statelens {

struct ModuleTreeNode {
    QString name;             // this component: "layer1", "0", "weight"
    int parent = -1;
    std::vector<int> children;  // file order
    int tensor = -1;          // a tensor leaf: index into Checkpoint::tensors
    QString value;            // a non-tensor leaf: its value, shortened ("5", "'adam'")
    int candidate = -1;       // index into Checkpoint::candidates when this node is one
    qint64 tensorCount = 0;   // over the subtree
    qint64 numel = 0;
    qint64 nbytes = 0;

    bool isTensor() const { return tensor >= 0; }
    bool isValue() const { return tensor < 0 && children.empty() && parent >= 0; }
};

class ModuleTree {
public:
    static constexpr int kRoot = 0;

    static ModuleTree build(const Checkpoint& checkpoint);

    const std::vector<ModuleTreeNode>& nodes() const { return m_nodes; }
    const ModuleTreeNode& node(int index) const { return m_nodes[size_t(index)]; }
    int size() const { return int(m_nodes.size()); }
    QString path(int index) const;  // dotted, "" for the root

    // Which nodes a filter shows: leaves whose dotted path contains `text` (case-insensitive), or
    // matches it as a regular expression when it is one, and every ancestor of those. All when
    // the text is empty.
    std::vector<char> visibleFor(const QString& text) const;

private:
    class Builder;
    std::vector<ModuleTreeNode> m_nodes;
    std::vector<QString> m_leafPaths;  // per node: the dotted path of leaves (tensors, values)
};

}  // namespace statelens
