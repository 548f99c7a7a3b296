// The checkpoint as a module hierarchy: dotted names grouped into nodes ("layer1" > "0" > "conv1"
// > "weight") with totals per node, non-tensor values (epoch, hyper-parameters) in place, the
// objects the pickle builds (a pickled module's class, an argparse.Namespace, a hostile file's
// `posix.system('touch …')`) with the call that makes them, and the candidate state dicts
// marked. What the GUI's parameter tree shows; built once per file.
#pragma once

#include "core/model/checkpoint.h"

#include <QHash>
#include <QString>

#include <vector>

namespace statelens {

struct ModuleTreeNode {
    QString name;             // this component: "layer1", "0", "weight"
    int parent = -1;
    std::vector<int> children;  // file order
    int tensor = -1;          // a tensor leaf: index into Checkpoint::tensors
    QString value;            // a non-tensor leaf: its value, shortened ("5", "'adam'"); an object: its call
    int candidate = -1;       // index into Checkpoint::candidates when this node is one
    // What the pickle built at this path when it is not a tensor or a module of tensors: a
    // scalar's kind, Object for a class instance or call result, Global for a bare class or
    // function. Mark (never part of a finished tree) for every other node.
    ValueKind valueKind = ValueKind::Mark;
    // An object whose making calls a global outside the allow list: what torch.load(weights_only=
    // False) would run. Nothing here ever ran.
    bool unsafe = false;
    qint64 tensorCount = 0;   // over the subtree
    qint64 numel = 0;
    qint64 nbytes = 0;

    bool isTensor() const { return tensor >= 0; }
    bool isValue() const { return tensor < 0 && children.empty() && parent >= 0; }
    bool isObject() const { return valueKind == ValueKind::Object || valueKind == ValueKind::Global; }
};

class ModuleTree {
public:
    static constexpr int kRoot = 0;

    static ModuleTree build(const Checkpoint& checkpoint);

    const std::vector<ModuleTreeNode>& nodes() const { return m_nodes; }
    const ModuleTreeNode& node(int index) const { return m_nodes[size_t(index)]; }
    int size() const { return int(m_nodes.size()); }
    QString path(int index) const;  // dotted, "" for the root

    // An object node's class or function ("posix.system", "torch.nn.modules.conv.Conv2d"); empty
    // for other nodes.
    QString objectClass(int index) const { return m_objectClasses.value(index); }
    // The unsafe objects a reader should look at first: unsafe object nodes without an unsafe
    // object above them (a pickled model, not each of its layers), in file order. The root when
    // the whole file is one.
    std::vector<int> unsafeObjects() const;

    // Which nodes a filter shows: leaves whose dotted path contains `text` (case-insensitive), or
    // matches it as a regular expression when it is one, objects whose class or call does, and
    // every ancestor of those. All when the text is empty.
    std::vector<char> visibleFor(const QString& text) const;

private:
    class Builder;
    class ValueWalker;
    std::vector<ModuleTreeNode> m_nodes;
    std::vector<QString> m_leafPaths;  // per node: the dotted path of leaves (tensors, values)
    // Object nodes only (a few per file): their class, and "class call" lowercased for the filter.
    QHash<int, QString> m_objectClasses;
    QHash<int, QString> m_objectSearchText;
};

}  // namespace statelens
