#include "checkpoint_tab.h"

#include "tensor_list_model.h"

#include "core/display_format.h"

#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace statelens::ui {

CheckpointTab::CheckpointTab(const QString& path, QWidget* parent)
    : QWidget(parent)
    , m_path(path)
    , m_banner(new QLabel(this))
    , m_filter(new QLineEdit(this))
    , m_table(new QTableView(this))
    , m_model(new TensorListModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setMargin(8);
    m_banner->setAutoFillBackground(true);
    m_banner->hide();

    m_filter->setPlaceholderText(tr("Filter tensors (substring or regular expression)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &CheckpointTab::applyFilter);

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(TensorListModel::SortRole);
    m_proxy->setFilterKeyColumn(TensorListModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);  // file order until the user sorts
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->resizeSection(TensorListModel::NameColumn, 360);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_banner);
    layout->addWidget(m_filter);
    layout->addWidget(m_table, 1);
}

void CheckpointTab::applyFilter(const QString& text)
{
    // A valid regular expression filters as one; anything else as a plain substring.
    QRegularExpression expression(text, QRegularExpression::CaseInsensitiveOption);
    if (!expression.isValid())
        expression.setPattern(QRegularExpression::escape(text));
    m_proxy->setFilterRegularExpression(expression);
}

void CheckpointTab::showLoading()
{
    m_banner->setText(tr("Opening %1…").arg(m_path));
    m_banner->setBackgroundRole(QPalette::AlternateBase);
    m_banner->show();
}

void CheckpointTab::showCheckpoint(CheckpointPtr checkpoint)
{
    m_model->setCheckpoint(checkpoint);
    if (!checkpoint->unsafeGlobals.isEmpty()) {
        m_banner->setText(tr("This file's pickle names globals outside the allow list. Nothing was run; "
                             "torch.load(weights_only=False) would run them: %1")
                              .arg(checkpoint->unsafeGlobals.join(QStringLiteral(", "))));
        QPalette palette = m_banner->palette();
        palette.setColor(QPalette::Window, QColor(0xff, 0xe0, 0x82));
        palette.setColor(QPalette::WindowText, Qt::black);
        m_banner->setPalette(palette);
        m_banner->show();
    } else {
        m_banner->hide();
    }
}

void CheckpointTab::showError(const QString& message)
{
    m_model->setCheckpoint(nullptr);
    m_banner->setText(tr("Cannot open this checkpoint.\n%1").arg(message));
    QPalette palette = m_banner->palette();
    palette.setColor(QPalette::Window, QColor(0xf4, 0xc7, 0xc3));
    palette.setColor(QPalette::WindowText, Qt::black);
    m_banner->setPalette(palette);
    m_banner->show();
}

QString CheckpointTab::summary() const
{
    const CheckpointPtr& checkpoint = m_model->checkpoint();
    if (!checkpoint)
        return {};
    return tr("%1 · %2 tensors · %3 parameters · %4")
        .arg(formatName(checkpoint->format), formatCount(checkpoint->tensors.size()),
             formatCount(checkpoint->totalNumel()), formatBytes(checkpoint->totalNbytes()));
}

}  // namespace statelens::ui
