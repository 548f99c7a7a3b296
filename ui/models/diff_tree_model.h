// The comparison as a module tree: dotted keys grouped into modules, each tensor with its status
// (same, changed, shape/dtype changed, only in A or B, or still being compared) and deltas
// (max and mean |a-b|, relative L2, cosine); each module with its counts and the deltas of all
// its floating-point tensors together (their sums merged, so a module's relative L2 is
// ||a-b|| / ||a|| over all its weights; integer buffers such as step counters are left out). Results are filled in as the DiffJob delivers them.
#pragma once

#include "core/diff/checkpoint_diff.h"

#include <QAbstractItemModel>

#include <array>
#include <limits>
#include <numeric>
#include <vector>

namespace statelens::ui {

class DiffTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, StatusColumn, AColumn, BColumn, MaxAbsColumn, MeanAbsColumn, RelL2Column, CosineColumn, ColumnCount };
    // The delta columns' numbers (invalid for a blank: not compared, or undefined such as the
    // relative change of a zero tensor); the status columns' DiffStatus; else the text.
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int EntryRole = Qt::UserRole + 2;    // plan entry of a tensor row, -1 for modules
    static constexpr int DiffersRole = Qt::UserRole + 3;  // bool: the row or something below it differs
    static constexpr int PathRole = Qt::UserRole + 4;     // dotted path

    explicit DiffTreeModel(QObject* parent = nullptr);

    void setPlan(const DiffPlan& plan);
    void setResult(const TensorDiff& diff);
    const DiffPlan& plan() const { return m_plan; }
    bool isPending(int entry) const { return entry >= 0 && entry < int(m_pending.size()) && m_pending[size_t(entry)]; }

    // Modules that own tensors directly ("layer1.0.conv1"), in the plan's order, with the
    // relative L2 change of their floating-point tensors together (NaN until compared or when
    // undefined) and how many of their tensors have each status.
    struct Layer {
        QString path;
        double relL2 = std::numeric_limits<double>::quiet_NaN();
        std::array<int, 6> counts{};  // its tensors by final status (DiffStatus)
        int pending = 0;              // its tensors still being compared

        bool has(DiffStatus status) const { return counts[size_t(status)] > 0; }
        // Compared, and every tensor equal to its counterpart.
        bool unchanged() const
        {
            return pending == 0 && counts[size_t(DiffStatus::Same)] > 0
                && std::accumulate(counts.begin(), counts.end(), 0) == counts[size_t(DiffStatus::Same)];
        }
    };
    QVector<Layer> layers() const;
    // The order a first click on a column's header sorts by (Qt::InitialSortOrderRole).
    static Qt::SortOrder initialSortOrder(Column column);
    int count(DiffStatus status) const { return m_nodes.empty() ? 0 : m_nodes.front().counts[size_t(status)]; }
    int pendingCount() const { return m_nodes.empty() ? 0 : m_nodes.front().pending; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node {
        QString name;   // last path component
        QString path;
        int parent = -1;
        int row = 0;
        int entry = -1;  // tensor rows
        std::vector<int> children;
        std::array<int, 6> counts{};  // final statuses below (tensors: its own)
        int pending = 0;
        DiffSums sums;                 // merged over compared tensors below
        bool hasSums = false;
    };
    int nodeOf(const QModelIndex& index) const;
    int childNamed(int parent, const QString& name);
    QString statusText(const Node& node) const;
    QVariant delta(const Node& node, int column) const;

    DiffPlan m_plan;
    std::vector<Node> m_nodes;  // 0 is the root (never shown); it holds the totals
    std::vector<int> m_entryNode;
    std::vector<char> m_pending;
};

}  // namespace statelens::ui
