#include "checkpoint_tab.h"

#include "match_panel.h"
#include "parameter_tree_model.h"
#include "tensor_details.h"

#include "core/display_format.h"

#include <QAction>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QPushButton>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QSplitter>
#include <QTabWidget>
#include <QTreeView>
#include <QVBoxLayout>

namespace statelens::ui {

CheckpointTab::CheckpointTab(const QString& path, QWidget* parent)
    : QWidget(parent)
    , m_path(path)
    , m_banner(new QLabel(this))
    , m_changedBar(new QWidget(this))
    , m_changedText(new QLabel(m_changedBar))
    , m_watcher(new QFileSystemWatcher(this))
    , m_filter(new QLineEdit(this))
    , m_tree(new QTreeView(this))
    , m_model(new ParameterTreeModel(this))
    , m_details(new TensorDetails(this))
    , m_match(new MatchPanel(this))
    , m_pages(new QTabWidget(this))
{
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setMargin(8);
    m_banner->setAutoFillBackground(true);
    m_banner->hide();

    // A file rewritten under us (a training loop saving again): say so and offer to reload.
    auto* changedLayout = new QHBoxLayout(m_changedBar);
    changedLayout->setContentsMargins(8, 4, 8, 4);
    m_changedText->setWordWrap(true);
    auto* reload = new QPushButton(tr("Reload"), m_changedBar);
    reload->setObjectName(QStringLiteral("reloadButton"));
    connect(reload, &QPushButton::clicked, this, [this] { Q_EMIT reloadRequested(m_path); });
    changedLayout->addWidget(m_changedText, 1);
    changedLayout->addWidget(reload);
    m_changedBar->setAutoFillBackground(true);
    m_changedBar->setBackgroundRole(QPalette::ToolTipBase);
    m_changedBar->setForegroundRole(QPalette::ToolTipText);
    m_changedBar->hide();
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &CheckpointTab::showChangedOnDisk);

    m_filter->setPlaceholderText(tr("Filter tensors (substring or regular expression, case-insensitive)"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &CheckpointTab::applyFilter);

    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true);  // lets the view skip measuring 100 000 rows
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->header()->setSortIndicator(-1, Qt::AscendingOrder);  // file order until the user sorts
    m_tree->setSortingEnabled(true);
    m_tree->header()->setStretchLastSection(true);
    m_tree->header()->resizeSection(ParameterTreeModel::NameColumn, 300);
    m_tree->header()->resizeSection(ParameterTreeModel::ShapeColumn, 140);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_tree, &QTreeView::customContextMenuRequested, this, &CheckpointTab::showContextMenu);
    auto* copy = new QAction(tr("Copy Path"), m_tree);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, [this] { copySelection(ParameterTreeModel::PathRole, 0); });
    m_tree->addAction(copy);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_banner);
    layout->addWidget(m_changedBar);
    layout->addWidget(m_filter);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_tree);
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_details, tr("Details"));
    m_pages->addTab(m_match, tr("Match to Model"));
    m_pages->setTabToolTip(1, tr("Does this checkpoint load into a model? Why not, and how to fix it"));
    splitter->addWidget(m_pages);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({560, 460});  // the tree's columns visible; the user's split wins below
    // Every tab opens with the split the user last chose.
    const QString splitKey = QStringLiteral("layout/treeDetailsSplit");
    splitter->restoreState(QSettings().value(splitKey).toByteArray());
    connect(splitter, &QSplitter::splitterMoved, this, [splitter, splitKey] { QSettings().setValue(splitKey, splitter->saveState()); });
    layout->addWidget(splitter, 1);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
        m_details->showNode(m_model->checkpoint(), m_model->tree(), current.isValid() ? m_model->nodeForIndex(current) : -1);
    });
    connect(m_model, &QAbstractItemModel::modelReset, m_details, &TensorDetails::clear);
}

void CheckpointTab::applyFilter(const QString& text)
{
    m_model->setFilterText(text);
    expandSensibly();
}

// Opens what fits on a screen or two: everything when few tensors are shown (a filter's
// matches), else the top level and the candidate state dicts.
void CheckpointTab::expandSensibly()
{
    if (m_model->visibleTensorCount() <= 200) {
        m_tree->expandAll();
        return;
    }
    m_tree->collapseAll();
    for (int row = 0; row < m_model->rowCount() && row < 50; ++row)
        m_tree->expand(m_model->index(row, 0));
}

void CheckpointTab::copySelection(int role, int column)
{
    QStringList lines;
    for (const QModelIndex& index : m_tree->selectionModel()->selectedRows(column))
        lines.append(m_model->data(index, role).toString());
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(u'\n'));
}

void CheckpointTab::showContextMenu(const QPoint& position)
{
    if (!m_tree->indexAt(position).isValid())
        return;
    QMenu menu(this);
    menu.addAction(tr("Copy Path"), this, [this] { copySelection(ParameterTreeModel::PathRole, 0); });
    menu.addAction(tr("Copy Name"), this, [this] { copySelection(Qt::DisplayRole, ParameterTreeModel::NameColumn); });
    menu.addAction(tr("Copy Shape"), this, [this] { copySelection(Qt::DisplayRole, ParameterTreeModel::ShapeColumn); });
    menu.addSeparator();
    menu.addAction(tr("Expand All Below"), this, [this, position] { m_tree->expandRecursively(m_tree->indexAt(position)); });
    menu.addAction(tr("Collapse All"), m_tree, &QTreeView::collapseAll);
    menu.exec(m_tree->viewport()->mapToGlobal(position));
}

void CheckpointTab::showPage(int page)
{
    m_pages->setCurrentIndex(page);
}

void CheckpointTab::setDevice(const QString& device)
{
    m_details->setDevice(device);
    m_match->setDevice(device);
    const QModelIndex current = m_tree->currentIndex();
    if (current.isValid())
        m_details->showNode(m_model->checkpoint(), m_model->tree(), m_model->nodeForIndex(current));
}

void CheckpointTab::watchFiles(const CheckpointPtr& checkpoint)
{
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    m_changedBar->hide();
    if (!checkpoint)
        return;
    QStringList paths;
    for (const SourceFile& file : checkpoint->files) {
        if (file.map && QFileInfo(file.map->path()).isFile())
            paths.append(file.map->path());
    }
    if (!paths.isEmpty())
        m_watcher->addPaths(paths);
}

void CheckpointTab::showChangedOnDisk(const QString& file)
{
    const QFileInfo info(file);
    m_changedText->setText(info.exists()
                               ? tr("%1 changed on disk since it was opened. The tree shows the version that was "
                                    "opened; statistics and values of a truncated file fail until it is reloaded.")
                                     .arg(info.fileName())
                               : tr("%1 was removed or replaced on disk since it was opened.").arg(info.fileName()));
    m_changedBar->show();
}

void CheckpointTab::showLoading()
{
    m_banner->setText(tr("Opening %1…").arg(m_path));
    m_banner->setBackgroundRole(QPalette::AlternateBase);
    m_banner->show();
}

void CheckpointTab::showCheckpoint(CheckpointPtr checkpoint, std::shared_ptr<ModuleTree> tree)
{
    if (tree)
        m_model->setCheckpoint(checkpoint, std::move(*tree));  // the loader hands it to this tab alone
    else
        m_model->setCheckpoint(checkpoint);
    m_match->setCheckpoint(checkpoint, m_path);
    watchFiles(checkpoint);
    expandSensibly();
    if (!checkpoint->unsafeGlobals.isEmpty()) {
        m_banner->setText(tr("This file's pickle names globals outside the allow list. Nothing was run; "
                             "torch.load(weights_only=False) would run them: %1")
                              .arg(checkpoint->unsafeGlobals.join(QStringLiteral(", "))));
        QPalette palette = m_banner->palette();
        palette.setColor(QPalette::Window, QColor(0xff, 0xe0, 0x82));
        palette.setColor(QPalette::WindowText, Qt::black);
        m_banner->setPalette(palette);
        m_banner->setBackgroundRole(QPalette::Window);  // showLoading() used AlternateBase
        m_banner->show();
    } else {
        m_banner->hide();
    }
}

void CheckpointTab::showError(const QString& message)
{
    m_model->setCheckpoint(nullptr);
    m_match->setCheckpoint(nullptr, m_path);
    watchFiles(nullptr);
    m_banner->setText(tr("Cannot open this checkpoint.\n%1").arg(message));
    QPalette palette = m_banner->palette();
    palette.setColor(QPalette::Window, QColor(0xf4, 0xc7, 0xc3));
    palette.setColor(QPalette::WindowText, Qt::black);
    m_banner->setPalette(palette);
    m_banner->setBackgroundRole(QPalette::Window);  // showLoading() used AlternateBase
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
