// One 2-D slice of a tensor as a table: rows and columns are its last two dimensions, the leading
// ones fixed by leadingIndex() (conv weight [64, 3, 7, 7] at {i, j} is t[i, j, :, :]); a 1-D
// tensor is one column, a 0-dim tensor one cell. Cells are decoded from the memory map when a
// view asks for them, never the whole tensor, and at most kMaxCells rows and columns are offered.
#pragma once

#include "core/model/checkpoint.h"
#include "core/stats/value_reader.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>

#include <optional>

namespace statelens::ui {

class TensorValuesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kMaxCells = 256;
    // The exact value: double (floats, dequantized), qlonglong, qulonglong, bool, or for complex
    // values a QVariantList {real, imag} of doubles. Qt::ToolTipRole has it with every digit.
    static constexpr int ValueRole = Qt::UserRole + 1;

    explicit TensorValuesModel(QObject* parent = nullptr);

    // Shows tensor `tensor` of `checkpoint` at leading index 0; false, with error() saying why,
    // when its values cannot be read (then the table is empty).
    bool setTensor(const CheckpointPtr& checkpoint, int tensor);
    void clear();
    // Fixes the leading dimensions (all but the last two); false with error() set when the
    // index is outside the shape or the file changed under the map.
    bool setLeadingIndex(const QVector<qint64>& index);
    const QVector<qint64>& leadingIndex() const { return m_leading; }

    bool hasTensor() const { return m_reader.has_value(); }
    bool shows(const CheckpointPtr& checkpoint, int tensor) const
    {
        return m_reader && m_checkpoint == checkpoint && m_tensor == tensor;
    }
    QVector<qint64> shape() const { return m_reader ? m_reader->shape() : QVector<qint64>(); }
    DType dtype() const { return m_dtype; }
    qint64 sliceRows() const { return m_rows; }      // the slice's size before the kMaxCells cap
    qint64 sliceColumns() const { return m_columns; }
    QString error() const { return m_error; }
    // Cells decoded since setTensor(): lets tests see that views fetch only what they show.
    qint64 decodedCells() const { return m_decoded; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The shown tensor was dropped because reading it went wrong (its file shrank): the table is
    // empty and error() says why.
    void failed(const QString& message);

private:
    void fail(const QString& message);
    bool fileUnchanged() const;

    // A file truncated under the map faults (SIGBUS) on the first read past its new end, so the
    // file's size is checked before any read: on every slice change, and while a view fetches
    // cells at most every kCheckInterval (a stat per cell would cost more than the decode).
    static constexpr int kCheckIntervalMs = 250;

    CheckpointPtr m_checkpoint;  // keeps the memory map the reader points into alive
    std::optional<ValueReader> m_reader;
    int m_tensor = -1;
    DType m_dtype = DType::Unknown;
    QVector<qint64> m_leading;
    qint64 m_rows = 0;
    qint64 m_columns = 0;
    QString m_error;
    mutable qint64 m_decoded = 0;
    mutable QElapsedTimer m_lastCheck;
    mutable bool m_fileChanged = false;
};

}  // namespace statelens::ui
