#include "ui/models/diff_tree_model.h"

#include "core/base/display_format.h"

#include <QGuiApplication>
#include <QColor>
#include <QHash>
#include <QPalette>

#include <cmath>

namespace statelens::ui {

namespace {

constexpr int kStatusCount = 6;

// Module figures and the chart merge floating-point tensors only: a step counter such as
// num_batches_tracked (3 vs 8) would otherwise swamp every weight's change in its module.
bool countsTowardModules(const TensorDiff& diff)
{
    return diff.hasDeltas() && dtypeTraits(diff.a.dtype).kind == DTypeKind::Float;
}

QString sideText(const DiffSide& side)
{
    if (side.tensor < 0)
        return QStringLiteral("—");
    return QStringLiteral("%1 %2").arg(dtypeName(side.dtype), formatShape(side.shape));
}

QColor tint(DiffStatus status)
{
    QColor hue;
    switch (status) {
    case DiffStatus::Same: return {};
    case DiffStatus::Changed: hue = QColor(0xd0, 0x9a, 0x2c); break;
    case DiffStatus::ShapeChanged: hue = QColor(0xa0, 0x4f, 0xc8); break;
    case DiffStatus::DtypeChanged: hue = QColor(0x3f, 0x8f, 0xd0); break;
    case DiffStatus::OnlyA: hue = QColor(0xd0, 0x3f, 0x3f); break;
    case DiffStatus::OnlyB: hue = QColor(0x3f, 0xa0, 0x5f); break;
    }
    const QColor base = QGuiApplication::palette().color(QPalette::Base);
    const float alpha = 0.28f;
    return QColor::fromRgbF(base.redF() * (1 - alpha) + hue.redF() * alpha, base.greenF() * (1 - alpha) + hue.greenF() * alpha,
                            base.blueF() * (1 - alpha) + hue.blueF() * alpha);
}

QString number(double value)
{
    if (std::isnan(value))
        return QStringLiteral("—");
    return QString::number(value, 'g', 6);
}

}  // namespace

DiffTreeModel::DiffTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

// A first click on a delta column puts the largest change first: the largest differences, or
// for the cosine (a similarity) the smallest.
Qt::SortOrder DiffTreeModel::initialSortOrder(Column column)
{
    return column == CosineColumn ? Qt::AscendingOrder : Qt::DescendingOrder;
}

int DiffTreeModel::childNamed(int parent, const QString& name)
{
    for (int child : m_nodes[size_t(parent)].children) {
        if (m_nodes[size_t(child)].entry < 0 && m_nodes[size_t(child)].name == name)
            return child;
    }
    Node node;
    node.name = name;
    node.parent = parent;
    const Node& up = m_nodes[size_t(parent)];
    node.path = up.path.isEmpty() ? name : up.path + u'.' + name;
    node.row = int(up.children.size());
    m_nodes.push_back(node);
    const int index = int(m_nodes.size()) - 1;
    m_nodes[size_t(parent)].children.push_back(index);
    return index;
}

void DiffTreeModel::setPlan(const DiffPlan& plan)
{
    beginResetModel();
    m_plan = plan;
    m_nodes.clear();
    m_nodes.push_back(Node{});
    m_entryNode.assign(size_t(plan.entries.size()), -1);
    m_pending.assign(size_t(plan.entries.size()), 0);
    // Module lookups go through the last module used: keys of one module are next to each other.
    QHash<QString, int> modules;
    for (int e = 0; e < plan.entries.size(); ++e) {
        const TensorDiff& entry = plan.entries[e];
        const int dot = entry.name.lastIndexOf(u'.');
        int parent = 0;
        if (dot > 0) {
            const QString modulePath = entry.name.left(dot);
            auto found = modules.constFind(modulePath);
            if (found != modules.constEnd()) {
                parent = found.value();
            } else {
                for (const QString& part : modulePath.split(u'.'))
                    parent = childNamed(parent, part);
                modules.insert(modulePath, parent);
            }
        }
        Node leaf;
        leaf.name = dot > 0 ? entry.name.mid(dot + 1) : entry.name;
        leaf.path = entry.name;
        leaf.parent = parent;
        leaf.entry = e;
        leaf.row = int(m_nodes[size_t(parent)].children.size());
        m_nodes.push_back(leaf);
        const int node = int(m_nodes.size()) - 1;
        m_nodes[size_t(parent)].children.push_back(node);
        m_entryNode[size_t(e)] = node;
        const bool pending = plan.needsValues(e);
        m_pending[size_t(e)] = pending;
        for (int up = node; up >= 0; up = m_nodes[size_t(up)].parent) {
            if (pending)
                ++m_nodes[size_t(up)].pending;
            else
                ++m_nodes[size_t(up)].counts[size_t(entry.status)];
        }
    }
    endResetModel();
}

void DiffTreeModel::setResult(const TensorDiff& diff)
{
    if (diff.index < 0 || diff.index >= m_plan.entries.size())
        return;
    const size_t e = size_t(diff.index);
    const bool wasPending = m_pending[e];
    const DiffStatus before = m_plan.entries[diff.index].status;
    m_plan.entries[diff.index] = diff;
    m_pending[e] = 0;
    const int leaf = m_entryNode[e];
    for (int up = leaf; up >= 0; up = m_nodes[size_t(up)].parent) {
        Node& node = m_nodes[size_t(up)];
        if (wasPending)
            --node.pending;
        else
            --node.counts[size_t(before)];
        ++node.counts[size_t(diff.status)];
        if (up == leaf ? diff.hasDeltas() : countsTowardModules(diff)) {
            node.sums.merge(diff.sums);
            node.hasSums = true;
        }
        if (up != 0) {
            const QModelIndex first = createIndex(node.row, 0, quintptr(up));
            Q_EMIT dataChanged(first, first.siblingAtColumn(ColumnCount - 1));
        }
    }
}

QVector<DiffTreeModel::Layer> DiffTreeModel::layers() const
{
    QVector<Layer> out;
    QVector<DiffSums> sums;
    QVector<bool> anySums;
    QHash<int, int> layerOf;  // module node -> position in out
    for (int e = 0; e < m_plan.entries.size(); ++e) {
        const int module = m_nodes[size_t(m_entryNode[size_t(e)])].parent;
        auto found = layerOf.constFind(module);
        if (found == layerOf.constEnd()) {
            found = layerOf.insert(module, out.size());
            Layer layer;
            layer.path = module == 0 ? tr("(top level)") : m_nodes[size_t(module)].path;
            out.append(layer);
            sums.append(DiffSums());
            anySums.append(false);
        }
        const int i = found.value();
        const TensorDiff& entry = m_plan.entries[e];
        if (m_pending[size_t(e)])
            ++out[i].pending;
        else
            ++out[i].counts[size_t(entry.status)];
        // The deltas of each module's own floating-point tensors, merged.
        if (countsTowardModules(entry)) {
            sums[i].merge(entry.sums);
            anySums[i] = true;
        }
    }
    for (int i = 0; i < out.size(); ++i) {
        if (anySums[i])
            out[i].relL2 = diffDeltas(sums[i]).relL2;
    }
    return out;
}

int DiffTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? int(index.internalId()) : 0;
}

QModelIndex DiffTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (m_nodes.empty() || column < 0 || column >= ColumnCount)
        return {};
    const Node& up = m_nodes[size_t(nodeOf(parent))];
    if (row < 0 || row >= int(up.children.size()))
        return {};
    return createIndex(row, column, quintptr(up.children[size_t(row)]));
}

QModelIndex DiffTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const int up = m_nodes[size_t(nodeOf(child))].parent;
    if (up <= 0)
        return {};
    return createIndex(m_nodes[size_t(up)].row, 0, quintptr(up));
}

int DiffTreeModel::rowCount(const QModelIndex& parent) const
{
    if (m_nodes.empty() || (parent.isValid() && parent.column() != 0))
        return 0;
    return int(m_nodes[size_t(nodeOf(parent))].children.size());
}

int DiffTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

QString DiffTreeModel::statusText(const Node& node) const
{
    if (node.entry >= 0) {
        if (m_pending[size_t(node.entry)])
            return tr("comparing…");
        const TensorDiff& entry = m_plan.entries[node.entry];
        return entry.error.isEmpty() ? diffStatusName(entry.status) : tr("changed (not compared)");
    }
    QStringList parts;
    for (int s = kStatusCount - 1; s >= 0; --s) {
        if (node.counts[size_t(s)] > 0)
            parts.append(QStringLiteral("%1 %2").arg(node.counts[size_t(s)]).arg(diffStatusName(DiffStatus(s))));
    }
    if (node.pending > 0)
        parts.append(tr("%1 comparing").arg(node.pending));
    return parts.join(QStringLiteral(", "));
}

QVariant DiffTreeModel::delta(const Node& node, int column) const
{
    if (!node.hasSums)
        return {};
    const DiffDeltas deltas = diffDeltas(node.sums);
    switch (column) {
    case MaxAbsColumn: return deltas.maxAbs;
    case MeanAbsColumn: return deltas.meanAbs;
    case RelL2Column: return deltas.relL2;
    case CosineColumn: return deltas.cosine;
    }
    return {};
}

QVariant DiffTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const int id = nodeOf(index);
    const Node& node = m_nodes[size_t(id)];
    const TensorDiff* entry = node.entry >= 0 ? &m_plan.entries[node.entry] : nullptr;
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn: return node.name;
        case StatusColumn: return statusText(node);
        case AColumn: return entry ? sideText(entry->a) : QString();
        case BColumn: return entry ? sideText(entry->b) : QString();
        default: {
            const QVariant value = delta(node, column);
            return value.isValid() ? number(value.toDouble()) : QVariant();
        }
        }
    case SortRole:
        if (column >= MaxAbsColumn) {
            const QVariant value = delta(node, column);
            return value.isValid() && std::isfinite(value.toDouble()) ? value : QVariant();
        }
        if (column == StatusColumn)
            return entry ? int(entry->status) : -1;
        return data(index, Qt::DisplayRole);
    case Qt::ToolTipRole:
        if (entry && !entry->error.isEmpty())
            return entry->error;
        return node.path;
    case Qt::BackgroundRole:
        if (entry && !m_pending[size_t(node.entry)]) {
            const QColor color = tint(entry->status);
            return color.isValid() ? QVariant(color) : QVariant();
        }
        return {};
    case EntryRole:
        return node.entry;
    case PathRole:
        return node.path;
    case DiffersRole: {
        int differing = node.pending;
        for (int s = 1; s < kStatusCount; ++s)
            differing += node.counts[size_t(s)];
        return differing > 0;
    }
    case Qt::TextAlignmentRole:
        return column >= MaxAbsColumn ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    }
    return {};
}

QVariant DiffTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::InitialSortOrderRole && section >= MaxAbsColumn)
        return int(initialSortOrder(Column(section)));
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section >= MaxAbsColumn)
        return tr("Click to sort the largest change first (blanks last), again for the reverse, a third time for the file's order");
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("Name");
    case StatusColumn: return tr("Status");
    case AColumn: return tr("A");
    case BColumn: return tr("B");
    case MaxAbsColumn: return tr("max |a−b|");
    case MeanAbsColumn: return tr("mean |a−b|");
    case RelL2Column: return tr("‖a−b‖/‖a‖");
    case CosineColumn: return tr("cosine");
    }
    return {};
}

}  // namespace statelens::ui
