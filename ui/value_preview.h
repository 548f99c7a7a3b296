// The details panel's value preview: a tensor's first values, or for tensors of 2 or more
// dimensions one 2-D slice of its last two, the leading indices chosen with one spin box each
// (conv weight [64, 3, 7, 7]: t[i, j, :, :]). The table decodes only the cells it shows; a tensor
// whose values cannot be read shows why instead.
#pragma once

#include "core/model/checkpoint.h"

#include <QWidget>

class QHBoxLayout;
class QLabel;
class QSpinBox;
class QTableView;

namespace statelens::ui {

class TensorValuesModel;

class ValuePreview : public QWidget {
    Q_OBJECT
public:
    explicit ValuePreview(QWidget* parent = nullptr);

    void showTensor(const CheckpointPtr& checkpoint, int tensor);
    // No table, only `message` (a module or a plain value is selected, or nothing).
    void showMessage(const QString& message);

    TensorValuesModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }
    // One per leading dimension, in order; empty for tensors of fewer than 3 dimensions.
    const QVector<QSpinBox*>& indexSpinBoxes() const { return m_spinBoxes; }
    QLabel* summaryLabel() const { return m_summary; }
    QLabel* messageLabel() const { return m_message; }

private:
    void buildIndexBar(const QVector<qint64>& shape);
    void applyIndex();
    void updateSummary();
    void setColumnWidth();

    TensorValuesModel* m_model;
    QWidget* m_indexBar;
    QHBoxLayout* m_indexLayout;
    QVector<QSpinBox*> m_spinBoxes;
    QLabel* m_summary;
    QTableView* m_table;
    QLabel* m_message;
};

}  // namespace statelens::ui
