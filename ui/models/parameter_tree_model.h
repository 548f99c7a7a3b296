// The parameter tree: a QAbstractItemModel over core's ModuleTree (not a QStandardItemModel, so
// 100 000 tensors cost one node vector, not an item object each). Columns name, dtype, shape,
// "shape / value", parameters, size, notes; totals on module rows; values such as `epoch` and
// the objects the pickle builds (a hostile file's `posix.system(...)`, flagged) in place, in the
// columns a default window shows; candidate state dicts marked with their share of the bytes. Filtering and sorting happen inside the
// model (visible-children lists), which keeps both well under 100 ms at 100 000 tensors.
#pragma once

#include "core/model/checkpoint.h"
#include "core/model/module_tree.h"

#include <QAbstractItemModel>
#include <QIcon>

namespace statelens::ui {

class ParameterTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, DtypeColumn, ShapeColumn, ParametersColumn, SizeColumn, NotesColumn, ColumnCount };
    static constexpr int PathRole = Qt::UserRole + 1;    // the node's dotted path
    static constexpr int TensorRole = Qt::UserRole + 2;  // index into Checkpoint::tensors, or -1
    static constexpr int NodeRole = Qt::UserRole + 3;    // index into ModuleTree

    explicit ParameterTreeModel(QObject* parent = nullptr);

    void setCheckpoint(CheckpointPtr checkpoint);
    // With its tree already built (off the GUI thread, by CheckpointLoader).
    void setCheckpoint(CheckpointPtr checkpoint, ModuleTree tree);
    const CheckpointPtr& checkpoint() const { return m_checkpoint; }
    const ModuleTree& tree() const { return m_tree; }

    // The icon beside objects that would run code if unpickled. The view supplies it from its style: the
    // model needs QtGui only, and styles belong to QtWidgets.
    void setWarningIcon(const QIcon& icon);

    // Keeps the matching leaves and their ancestors (see ModuleTree::visibleFor).
    void setFilterText(const QString& text);
    const QString& filterText() const { return m_filter; }
    int visibleTensorCount() const { return m_visibleTensors; }
    int totalTensorCount() const { return m_totalTensors; }
    // Values and objects the filter keeps (0 without a filter: only matches are counted).
    int visibleValueCount() const { return m_visibleValues; }

    QModelIndex indexForNode(int node, int column = 0) const;  // invalid when filtered out
    int nodeForIndex(const QModelIndex& index) const;          // ModuleTree::kRoot for the root

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    void rebuildVisible();
    int visibleChildCount(int node) const { return m_childStart[size_t(node) + 1] - m_childStart[size_t(node)]; }
    QString notes(int n) const;
    bool flagged(int n) const { return m_flagged[size_t(n)]; }
    QVariant display(int n, int column) const;
    QVariant toolTip(int n, int column) const;

    CheckpointPtr m_checkpoint;
    QIcon m_warningIcon;
    ModuleTree m_tree;
    QString m_filter;
    std::vector<char> m_visible;
    // Per node: an unsafe object the banner lists (not each layer of a pickled model under it).
    std::vector<char> m_flagged;
    // The visible children of every node in display order, one flat list grouped by parent:
    // node n's are m_children[m_childStart[n] .. m_childStart[n + 1]). Two allocations for the
    // whole tree, where a list per node cost one per module at every reset.
    std::vector<int> m_childStart;
    std::vector<int> m_children;
    std::vector<int> m_row;                           // per node: its row under its parent
    int m_sortColumn = -1;                            // -1: file order
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    int m_visibleTensors = 0;
    int m_totalTensors = 0;
    int m_visibleValues = 0;
};

}  // namespace statelens::ui
