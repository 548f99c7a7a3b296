#include "ui/value_preview.h"

#include "ui/models/tensor_values_model.h"

#include "core/base/display_format.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>

namespace statelens::ui {

namespace {

// The widest text a cell of `dtype` usually needs, to size columns without asking the model:
// sizing to contents would decode every cell of every column.
QString widestCell(DType dtype)
{
    switch (dtypeTraits(dtype).kind) {
    case DTypeKind::Bool: return QStringLiteral("False");
    case DTypeKind::Complex: return QStringLiteral("-8.88888e-88-8.88888e-88j");
    case DTypeKind::Signed: case DTypeKind::Unsigned:
        return QStringLiteral("-") + QString(qMin(20, dtypeItemSize(dtype) * 5 / 2), QLatin1Char('8'));
    default: return QStringLiteral("-8.88888e-88");
    }
}

}  // namespace

ValuePreview::ValuePreview(QWidget* parent)
    : QWidget(parent)
    , m_model(new TensorValuesModel(this))
    , m_indexBar(new QWidget(this))
    , m_indexLayout(new QHBoxLayout(m_indexBar))
    , m_summary(new QLabel(this))
    , m_table(new QTableView(this))
    , m_message(new QLabel(this))
{
    m_indexLayout->setContentsMargins(0, 0, 0, 0);
    m_indexLayout->setSpacing(2);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_table->setModel(m_model);
    connect(m_model, &TensorValuesModel::failed, this, [this](const QString& message) {
        showMessage(tr("The values cannot be shown: %1").arg(message));
    });
    m_table->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_table->setSelectionMode(QAbstractItemView::ContiguousSelection);
    m_table->setWordWrap(false);
    m_table->setCornerButtonEnabled(false);
    const int rowHeight = m_table->fontMetrics().height() + 6;
    m_table->verticalHeader()->setDefaultSectionSize(rowHeight);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_indexBar);
    top->addStretch(1);
    top->addWidget(m_summary);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_message, 1);
    showMessage(tr("Select a tensor to see its values."));
}

void ValuePreview::showMessage(const QString& message)
{
    m_model->clear();
    buildIndexBar({});
    m_summary->clear();
    m_table->hide();
    m_message->setText(message);
    m_message->show();
}

void ValuePreview::showTensor(const CheckpointPtr& checkpoint, int tensor)
{
    // The same tensor again (another compute device was chosen): keep the slice being read,
    // but check the file again.
    if (m_model->shows(checkpoint, tensor)) {
        applyIndex();
        return;
    }
    if (!m_model->setTensor(checkpoint, tensor)) {
        showMessage(tr("The values cannot be shown: %1").arg(m_model->error()));
        return;
    }
    const QVector<qint64> shape = m_model->shape();
    if (m_model->rowCount() == 0) {
        showMessage(tr("The tensor has no elements (shape %1).").arg(formatShape(shape)));
        return;
    }
    buildIndexBar(shape);
    setColumnWidth();
    m_table->scrollToTop();
    m_message->hide();
    m_table->show();
    updateSummary();
}

// "[ i , j , :, : ]": one spin box per leading dimension, ranged to its size.
void ValuePreview::buildIndexBar(const QVector<qint64>& shape)
{
    while (QLayoutItem* item = m_indexLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_spinBoxes.clear();
    const int leading = std::max(0, int(shape.size()) - 2);
    m_indexBar->setVisible(leading > 0);
    if (leading == 0)
        return;
    m_indexLayout->addWidget(new QLabel(QStringLiteral("["), m_indexBar));
    for (int d = 0; d < leading; ++d) {
        auto* spin = new QSpinBox(m_indexBar);
        // An index past INT_MAX cannot be typed here; no tensor has a leading dimension that long.
        spin->setRange(0, int(std::min<qint64>(shape[d] - 1, INT_MAX)));
        spin->setToolTip(tr("Index along dimension %1 (size %2)").arg(d).arg(shape[d]));
        spin->setAccelerated(true);
        connect(spin, &QSpinBox::valueChanged, this, &ValuePreview::applyIndex);
        m_indexLayout->addWidget(spin);
        m_indexLayout->addWidget(new QLabel(QStringLiteral(","), m_indexBar));
        m_spinBoxes.append(spin);
    }
    m_indexLayout->addWidget(new QLabel(QStringLiteral(":, :]"), m_indexBar));
}

void ValuePreview::applyIndex()
{
    QVector<qint64> index;
    for (QSpinBox* spin : m_spinBoxes)
        index.append(spin->value());
    if (m_model->setLeadingIndex(index))  // else `failed` has shown why
        updateSummary();
}

void ValuePreview::updateSummary()
{
    const qint64 rows = m_model->sliceRows(), columns = m_model->sliceColumns();
    const int dims = int(m_model->shape().size());
    QString text;
    if (dims == 0) {
        text = tr("a scalar");
    } else if (dims == 1) {
        text = rows > m_model->rowCount() ? tr("first %1 of %2 values").arg(formatCount(m_model->rowCount()), formatCount(rows))
                                          : tr("%1 values").arg(formatCount(rows));
    } else {
        text = tr("%1 × %2").arg(formatCount(rows), formatCount(columns));
        if (rows > m_model->rowCount() || columns > m_model->columnCount())
            text += tr(", first %1 × %2 shown").arg(m_model->rowCount()).arg(m_model->columnCount());
    }
    m_summary->setText(text);
}

void ValuePreview::setColumnWidth()
{
    const int width = m_table->fontMetrics().horizontalAdvance(widestCell(m_model->dtype())) + 12;
    m_table->horizontalHeader()->setDefaultSectionSize(width);
    for (int column = 0; column < m_model->columnCount(); ++column)
        m_table->setColumnWidth(column, width);
}

}  // namespace statelens::ui
