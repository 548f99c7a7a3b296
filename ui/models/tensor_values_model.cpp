#include "ui/models/tensor_values_model.h"

#include "core/stats/value_format.h"

#include <algorithm>

namespace statelens::ui {

TensorValuesModel::TensorValuesModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

bool TensorValuesModel::fileUnchanged() const
{
    if (m_fileChanged)
        return false;
    if (m_lastCheck.isValid() && m_lastCheck.elapsed() < kCheckIntervalMs)
        return true;
    m_lastCheck.start();
    const QString changed = m_reader->fileChanged();
    if (changed.isEmpty())
        return true;
    m_fileChanged = true;
    // Not from inside data(): a view asking for a cell must not see the model reset under it.
    auto* self = const_cast<TensorValuesModel*>(this);
    QMetaObject::invokeMethod(self, [self, changed] {
        if (!self->m_fileChanged)
            return;  // another tensor was shown meanwhile
        self->beginResetModel();
        self->fail(changed);
        self->endResetModel();
        Q_EMIT self->failed(changed);
    }, Qt::QueuedConnection);
    return false;
}

void TensorValuesModel::fail(const QString& message)
{
    m_fileChanged = false;
    m_lastCheck.invalidate();
    m_reader.reset();
    m_checkpoint.reset();
    m_tensor = -1;
    m_leading.clear();
    m_rows = m_columns = 0;
    m_error = message;
}

void TensorValuesModel::clear()
{
    beginResetModel();
    fail(QString());
    m_dtype = DType::Unknown;
    m_decoded = 0;
    endResetModel();
}

bool TensorValuesModel::setTensor(const CheckpointPtr& checkpoint, int tensor)
{
    beginResetModel();
    fail(QString());
    m_dtype = DType::Unknown;
    m_decoded = 0;
    if (!checkpoint || tensor < 0 || tensor >= checkpoint->tensors.size()) {
        fail(tr("No tensor to show."));
        endResetModel();
        return false;
    }
    const TensorInfo& info = checkpoint->tensors[tensor];
    m_dtype = info.dtype;
    auto reader = ValueReader::create(*checkpoint, info);
    if (!reader) {
        fail(reader.error().message);
        endResetModel();
        return false;
    }
    m_lastCheck.start();  // ValueReader::create() found the file unchanged (see fileUnchanged())
    m_checkpoint = checkpoint;
    m_reader = std::move(reader.value());
    m_tensor = tensor;
    const QVector<qint64>& shape = m_reader->shape();
    const int dims = int(shape.size());
    m_leading = QVector<qint64>(std::max(0, dims - 2), 0);
    const bool emptyLeading = std::any_of(shape.begin(), shape.begin() + m_leading.size(), [](qint64 n) { return n == 0; });
    m_rows = dims == 0 ? 1 : emptyLeading ? 0 : shape[dims >= 2 ? dims - 2 : 0];
    m_columns = dims < 2 ? (m_rows > 0 ? 1 : 0) : emptyLeading ? 0 : shape[dims - 1];
    endResetModel();
    return true;
}

bool TensorValuesModel::setLeadingIndex(const QVector<qint64>& index)
{
    if (!m_reader)
        return false;
    const QVector<qint64>& shape = m_reader->shape();
    if (index.size() != m_leading.size())
        return false;
    for (int d = 0; d < index.size(); ++d) {
        if (index[d] < 0 || index[d] >= shape[d])
            return false;
    }
    m_lastCheck.invalidate();  // a new slice: check now, whenever the last check was
    if (!fileUnchanged()) {
        const QString changed = m_reader->fileChanged();
        beginResetModel();
        fail(changed);
        endResetModel();
        Q_EMIT failed(changed);
        return false;
    }
    if (index == m_leading)
        return true;
    m_leading = index;
    // Same size, new values: views keep their scroll position and refetch what they show.
    if (rowCount() > 0 && columnCount() > 0)
        Q_EMIT dataChanged(this->index(0, 0), this->index(rowCount() - 1, columnCount() - 1));
    return true;
}

int TensorValuesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(std::min<qint64>(m_rows, kMaxCells));
}

int TensorValuesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(std::min<qint64>(m_columns, kMaxCells));
}

QVariant TensorValuesModel::data(const QModelIndex& index, int role) const
{
    if (!m_reader || !index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    if (role == Qt::TextAlignmentRole)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != ValueRole)
        return {};
    if (!fileUnchanged())
        return {};
    const int dims = int(m_reader->shape().size());
    QVector<qint64> coordinate = m_leading;
    if (dims >= 1)
        coordinate.append(index.row());
    if (dims >= 2)
        coordinate.append(index.column());
    ++m_decoded;
    auto value = m_reader->at(coordinate);
    if (!value)
        return role == ValueRole ? QVariant() : QVariant(value.error().message);
    const ElementValue& v = value.value();
    if (role == Qt::DisplayRole)
        return formatValue(v);
    if (role == Qt::ToolTipRole)
        return formatValueExact(v);
    switch (v.kind) {
    case ElementValue::Kind::Real: return v.real;
    case ElementValue::Kind::Signed: return QVariant::fromValue<qlonglong>(v.integer);
    case ElementValue::Kind::Unsigned: return QVariant::fromValue<qulonglong>(v.unsignedInteger);
    case ElementValue::Kind::Bool: return v.integer != 0;
    case ElementValue::Kind::Complex: return QVariantList{v.real, v.imag};
    }
    return {};
}

QVariant TensorValuesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || !m_reader)
        return QAbstractTableModel::headerData(section, orientation, role);
    const int dims = int(m_reader->shape().size());
    // Headers are the indices along the slice's dimensions; a 1-D tensor's single column and a
    // 0-dim tensor's single cell have none.
    if (orientation == Qt::Vertical && dims == 0)
        return QString();
    if (orientation == Qt::Horizontal && dims < 2)
        return tr("value");
    return QString::number(section);
}

}  // namespace statelens::ui
