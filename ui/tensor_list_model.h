// A table model over a checkpoint's tensor listing: name, dtype, shape, parameters, size, notes.
#pragma once

#include "core/checkpoint.h"

#include <QAbstractTableModel>

namespace statelens::ui {

class TensorListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, DtypeColumn, ShapeColumn, ParametersColumn, SizeColumn, NotesColumn, ColumnCount };
    // Role carrying the raw number behind a formatted cell, so sorting is numeric.
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit TensorListModel(QObject* parent = nullptr);

    void setCheckpoint(CheckpointPtr checkpoint);
    const CheckpointPtr& checkpoint() const { return m_checkpoint; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString notes(const TensorInfo& tensor) const;
    CheckpointPtr m_checkpoint;
};

}  // namespace statelens::ui
