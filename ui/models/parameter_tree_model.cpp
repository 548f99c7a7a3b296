#include "ui/models/parameter_tree_model.h"

#include "core/base/display_format.h"

#include <QGuiApplication>
#include <QBrush>
#include <QFont>
#include <QPalette>

#include <algorithm>

namespace statelens::ui {

ParameterTreeModel::ParameterTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void ParameterTreeModel::setWarningIcon(const QIcon& icon)
{
    m_warningIcon = icon;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, NameColumn), index(rowCount() - 1, NameColumn), {Qt::DecorationRole});
}

void ParameterTreeModel::setCheckpoint(CheckpointPtr checkpoint)
{
    ModuleTree tree = checkpoint ? ModuleTree::build(*checkpoint) : ModuleTree();
    setCheckpoint(std::move(checkpoint), std::move(tree));
}

void ParameterTreeModel::setCheckpoint(CheckpointPtr checkpoint, ModuleTree tree)
{
    beginResetModel();
    m_checkpoint = std::move(checkpoint);
    m_tree = std::move(tree);
    m_flagged.assign(size_t(m_tree.size()), 0);
    for (const int node : m_tree.unsafeObjects())
        m_flagged[size_t(node)] = 1;
    m_visible = m_tree.visibleFor(m_filter);
    rebuildVisible();
    m_totalTensors = int(std::count_if(m_tree.nodes().begin(), m_tree.nodes().end(), [](const ModuleTreeNode& node) { return node.isTensor(); }));
    endResetModel();
}

void ParameterTreeModel::setFilterText(const QString& text)
{
    if (text == m_filter)
        return;
    beginResetModel();
    m_filter = text;
    m_visible = m_tree.visibleFor(m_filter);
    rebuildVisible();
    endResetModel();
}

void ParameterTreeModel::sort(int column, Qt::SortOrder order)
{
    if (column == m_sortColumn && order == m_sortOrder)
        return;
    Q_EMIT layoutAboutToBeChanged();
    const QModelIndexList before = persistentIndexList();
    QVector<int> nodes;
    for (const QModelIndex& index : before)
        nodes.append(nodeForIndex(index));
    m_sortColumn = column;
    m_sortOrder = order;
    rebuildVisible();
    QModelIndexList after;
    for (int i = 0; i < before.size(); ++i)
        after.append(indexForNode(nodes[i], before[i].column()));
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged();
}

void ParameterTreeModel::rebuildVisible()
{
    const int count = m_tree.size();
    m_childStart.assign(size_t(count) + 1, 0);
    m_children.clear();
    m_children.reserve(size_t(count));
    m_row.assign(size_t(count), 0);
    m_visibleTensors = 0;
    m_visibleValues = 0;
    if (count == 0) {
        m_childStart.clear();
        return;
    }
    const auto& nodes = m_tree.nodes();
    const QVector<TensorInfo>* tensors = m_checkpoint ? &m_checkpoint->tensors : nullptr;
    auto key = [&](int n) -> qint64 {
        const ModuleTreeNode& node = nodes[size_t(n)];
        switch (m_sortColumn) {
        case ParametersColumn: return node.numel;
        case SizeColumn: return node.nbytes;
        case DtypeColumn: return node.tensor >= 0 ? qint64((*tensors)[node.tensor].dtype) : -1;
        case ShapeColumn: return node.tensor >= 0 ? qint64((*tensors)[node.tensor].shape.size()) : -1;
        default: return 0;
        }
    };
    for (int n = 0; n < count; ++n) {
        m_childStart[size_t(n)] = int(m_children.size());
        if (!m_visible[size_t(n)])
            continue;
        for (int child : nodes[size_t(n)].children) {
            if (m_visible[size_t(child)])
                m_children.push_back(child);
        }
        const auto first = m_children.begin() + m_childStart[size_t(n)];
        const auto last = m_children.end();
        if (m_sortColumn == NameColumn || m_sortColumn == NotesColumn) {
            std::stable_sort(first, last, [&](int a, int b) {
                // Numeric components ("10" after "9") compare as numbers, names as text.
                bool aNumber = false, bNumber = false;
                const qint64 av = nodes[size_t(a)].name.toLongLong(&aNumber), bv = nodes[size_t(b)].name.toLongLong(&bNumber);
                const bool less = aNumber && bNumber ? av < bv
                                                     : QString::compare(nodes[size_t(a)].name, nodes[size_t(b)].name, Qt::CaseInsensitive) < 0;
                const bool greater = aNumber && bNumber ? av > bv
                                                        : QString::compare(nodes[size_t(a)].name, nodes[size_t(b)].name, Qt::CaseInsensitive) > 0;
                return m_sortOrder == Qt::AscendingOrder ? less : greater;
            });
        } else if (m_sortColumn >= 0) {
            std::stable_sort(first, last, [&](int a, int b) {
                return m_sortOrder == Qt::AscendingOrder ? key(a) < key(b) : key(a) > key(b);
            });
        }
        for (auto it = first; it != last; ++it)
            m_row[size_t(*it)] = int(it - first);
        if (n > 0 && nodes[size_t(n)].tensor >= 0)
            ++m_visibleTensors;
        else if (n > 0 && !m_filter.isEmpty() && nodes[size_t(n)].isValue())
            ++m_visibleValues;
    }
    m_childStart[size_t(count)] = int(m_children.size());
}

int ParameterTreeModel::nodeForIndex(const QModelIndex& index) const
{
    return index.isValid() ? int(index.internalId()) : ModuleTree::kRoot;
}

QModelIndex ParameterTreeModel::indexForNode(int node, int column) const
{
    if (node <= ModuleTree::kRoot || node >= m_tree.size() || !m_visible[size_t(node)])
        return {};
    return createIndex(m_row[size_t(node)], column, quintptr(node));
}

QModelIndex ParameterTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0 || m_childStart.empty())
        return {};
    const int node = nodeForIndex(parent);
    if (row >= visibleChildCount(node))
        return {};
    return createIndex(row, column, quintptr(m_children[size_t(m_childStart[size_t(node)] + row)]));
}

QModelIndex ParameterTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    return indexForNode(m_tree.node(nodeForIndex(child)).parent, 0);
}

int ParameterTreeModel::rowCount(const QModelIndex& parent) const
{
    if (m_childStart.empty() || (parent.isValid() && parent.column() != 0))
        return 0;
    return visibleChildCount(nodeForIndex(parent));
}

int ParameterTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

Qt::ItemFlags ParameterTreeModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

QString ParameterTreeModel::notes(int n) const
{
    const ModuleTreeNode& node = m_tree.node(n);
    QStringList notes;
    if (flagged(n))
        notes.append(tr("would run on torch.load"));
    if (node.candidate >= 0) {
        const CandidateStateDict& candidate = m_checkpoint->candidates[node.candidate];
        notes.append(tr("%1 · %2% of the bytes").arg(QString(candidate.kind).replace(u'_', u' ')).arg(candidate.share * 100.0, 0, 'f', 1));
    }
    if (node.tensor >= 0) {
        const TensorInfo& tensor = m_checkpoint->tensors[node.tensor];
        if (tensor.layout != Layout::Strided)
            notes.append(layoutName(tensor.layout));
        if (tensor.viewOf >= 0)
            notes.append(tr("view of %1").arg(m_checkpoint->tensors[tensor.viewOf].name));
        if (tensor.device != QLatin1String("cpu"))
            notes.append(tr("saved on %1").arg(tensor.device));
        if (tensor.quantization.scheme != QScheme::None)
            notes.append(qschemeName(tensor.quantization.scheme));
        if (tensor.isParameter)
            notes.append(tr("parameter"));
        if (tensor.kind == TensorKind::Array)
            notes.append(tr("NumPy %1").arg(tensor.numpyDtype));
        if (tensor.origin == TensorOrigin::Attribute)
            notes.append(tr("attribute (not in state_dict)"));
    } else if (node.tensorCount > 0) {
        notes.append(node.tensorCount == 1 ? tr("1 tensor") : tr("%1 tensors").arg(formatCount(node.tensorCount)));
    }
    return notes.join(QStringLiteral(", "));
}

namespace {

// What a non-tensor leaf is, in Python's words.
QString typeName(const ModuleTreeNode& node)
{
    switch (node.valueKind) {
    case ValueKind::None: return QStringLiteral("None");
    case ValueKind::Bool: return QStringLiteral("bool");
    case ValueKind::Int: case ValueKind::BigInt: return QStringLiteral("int");
    case ValueKind::Float: return QStringLiteral("float");
    case ValueKind::Complex: return QStringLiteral("complex");
    case ValueKind::String: return QStringLiteral("str");
    case ValueKind::Bytes: return QStringLiteral("bytes");
    case ValueKind::DType: return QStringLiteral("torch.dtype");
    case ValueKind::Device: return QStringLiteral("torch.device");
    case ValueKind::Dict: return QStringLiteral("dict");  // empty: a full one is a node with children
    case ValueKind::List: return QStringLiteral("list");
    case ValueKind::Tuple: return QStringLiteral("tuple");
    case ValueKind::Object: return ParameterTreeModel::tr("object");
    case ValueKind::Global: return ParameterTreeModel::tr("global");
    default: return {};
    }
}

}  // namespace

QVariant ParameterTreeModel::display(int n, int column) const
{
    const ModuleTreeNode& node = m_tree.node(n);
    const TensorInfo* tensor = node.tensor >= 0 ? &m_checkpoint->tensors[node.tensor] : nullptr;
    switch (column) {
    case NameColumn: return node.name;
    case DtypeColumn: return tensor ? dtypeName(tensor->dtype) : typeName(node);
    // Values share the shape's column: it is on screen, where Notes (the last) often is not.
    case ShapeColumn: return tensor ? formatShape(tensor->shape) : node.value;
    case ParametersColumn: return node.tensorCount > 0 ? formatCount(node.numel) : QVariant();
    case SizeColumn: return node.tensorCount > 0 ? formatBytes(node.nbytes) : QVariant();
    case NotesColumn: return notes(n);
    }
    return {};
}

QVariant ParameterTreeModel::toolTip(int n, int column) const
{
    const ModuleTreeNode& node = m_tree.node(n);
    if (flagged(n)) {
        return tr("%1 = %2\ntorch.load(weights_only=False) would run this call; Statelens never does.")
            .arg(m_tree.path(n), node.value);
    }
    if (column == NameColumn && node.tensor >= 0 && m_checkpoint->tensors[node.tensor].origin == TensorOrigin::Attribute) {
        return tr("%1\nHeld by its module outside state_dict() (a plain attribute or a non-persistent buffer): "
                  "load_state_dict never sees it, and matching leaves it out.").arg(m_tree.path(n));
    }
    if (column == NameColumn)
        return m_tree.path(n);  // the full dotted path: the name alone may be elided, or ambiguous
    if (column == ShapeColumn && node.isObject())
        return tr("%1 (made by %2)").arg(node.value, m_tree.objectClass(n));
    return display(n, column);
}

QVariant ParameterTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_checkpoint)
        return {};
    const int n = nodeForIndex(index);
    const ModuleTreeNode& node = m_tree.node(n);
    switch (role) {
    case Qt::DisplayRole: return display(n, index.column());
    case Qt::ToolTipRole: return toolTip(n, index.column());
    case Qt::TextAlignmentRole:
        if (index.column() == ParametersColumn || index.column() == SizeColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::FontRole:
        if ((node.candidate >= 0 || flagged(n)) && index.column() == NameColumn) {
            QFont font;
            font.setBold(true);
            return font;
        }
        if (node.tensor >= 0 && m_checkpoint->tensors[node.tensor].origin == TensorOrigin::Attribute && index.column() == NameColumn) {
            QFont font;
            font.setItalic(true);  // outside the state dict, like Python's convention for the private
            return font;
        }
        return {};
    case Qt::ForegroundRole:
        if (flagged(n))
            return QBrush(QColor(0xc6, 0x28, 0x28));  // the error red of the details' NaN flags
        return {};
    case Qt::DecorationRole:
        if (flagged(n) && index.column() == NameColumn && !m_warningIcon.isNull())
            return m_warningIcon;
        return {};
    case PathRole: return m_tree.path(n);
    case TensorRole: return node.tensor;
    case NodeRole: return n;
    default: return {};
    }
}

QVariant ParameterTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case DtypeColumn: return tr("Dtype");
    case ShapeColumn: return tr("Shape / Value");
    case ParametersColumn: return tr("Parameters");
    case SizeColumn: return tr("Size");
    case NotesColumn: return tr("Notes");
    }
    return {};
}

}  // namespace statelens::ui
