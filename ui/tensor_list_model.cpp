#include "tensor_list_model.h"

#include "core/display_format.h"

#include <QStringList>

namespace statelens::ui {

TensorListModel::TensorListModel(QObject* parent) : QAbstractTableModel(parent) {}

void TensorListModel::setCheckpoint(CheckpointPtr checkpoint)
{
    beginResetModel();
    m_checkpoint = std::move(checkpoint);
    endResetModel();
}

int TensorListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_checkpoint ? 0 : int(m_checkpoint->tensors.size());
}

int TensorListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString TensorListModel::notes(const TensorInfo& tensor) const
{
    QStringList notes;
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
    return notes.join(QStringLiteral(", "));
}

QVariant TensorListModel::data(const QModelIndex& index, int role) const
{
    if (!m_checkpoint || !index.isValid() || index.row() >= m_checkpoint->tensors.size())
        return {};
    const TensorInfo& tensor = m_checkpoint->tensors[index.row()];
    if (role == Qt::DisplayRole || role == SortRole) {
        switch (index.column()) {
        case NameColumn: return tensor.name.isEmpty() ? tr("<root>") : tensor.name;
        case DtypeColumn: return dtypeName(tensor.dtype);
        case ShapeColumn: return role == SortRole ? QVariant(tensor.numel()) : QVariant(formatShape(tensor.shape));
        case ParametersColumn: return role == SortRole ? QVariant(tensor.numel()) : QVariant(formatCount(tensor.numel()));
        case SizeColumn: return role == SortRole ? QVariant(tensor.nbytes()) : QVariant(formatBytes(tensor.nbytes()));
        case NotesColumn: return notes(tensor);
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole && (index.column() == ParametersColumn || index.column() == SizeColumn))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == NameColumn)
        return tensor.name;
    return {};
}

QVariant TensorListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("Name");
    case DtypeColumn: return tr("dtype");
    case ShapeColumn: return tr("Shape");
    case ParametersColumn: return tr("Parameters");
    case SizeColumn: return tr("Size");
    case NotesColumn: return tr("Notes");
    default: return {};
    }
}

}  // namespace statelens::ui
