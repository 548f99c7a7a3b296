#include "ui/main_window.h"

#include "ui/checkpoint_tab.h"
#include "ui/device_selector.h"
#include "ui/diff_tab.h"
#include "ui/file_filters.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/diff_runner.h"
#include "ui/match_panel.h"

#include "core/runtime/torch_runtime.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace statelens::ui {

namespace {

// A dashed, rounded frame saying where to drop; while files hover over the window it turns into
// a solid frame in the selection colour.
class DropZone : public QWidget {
public:
    using QWidget::QWidget;
    void setHighlighted(bool highlighted)
    {
        m_highlighted = highlighted;
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter painter(this);
        painter.setRenderHint(QPainter::Antialiasing);
        const QColor accent = palette().color(QPalette::Highlight);
        QColor fill = accent;
        fill.setAlphaF(m_highlighted ? 0.14f : 0.0f);
        QPen pen(m_highlighted ? accent : palette().color(QPalette::PlaceholderText), m_highlighted ? 2.5 : 1.5,
                 m_highlighted ? Qt::SolidLine : Qt::DashLine);
        painter.setPen(pen);
        painter.setBrush(fill);
        painter.drawRoundedRect(QRectF(rect()).adjusted(2, 2, -2, -2), 10, 10);
    }

private:
    bool m_highlighted = false;
};

// "name — folder", the folder elided in the middle: the name is what a reader looks for.
QString recentText(const QString& path, const QFontMetrics& metrics)
{
    const QFileInfo info(path);
    const QString folder = metrics.elidedText(QDir::toNativeSeparators(info.absolutePath()), Qt::ElideMiddle, 320);
    return QStringLiteral("%1  —  %2").arg(info.fileName(), folder);
}

}  // namespace

EmptyState::EmptyState(QWidget* parent)
    : QWidget(parent)
    , m_open(new QPushButton(tr("Open…"), this))
    , m_compare(new QPushButton(tr("Compare Two Files…"), this))
    , m_dropZone(new DropZone(this))
    , m_dropText(new QLabel(m_dropZone))
    , m_recentTitle(new QLabel(tr("Recent files"), this))
    , m_recentLayout(new QVBoxLayout)
{
    setObjectName(QStringLiteral("emptyState"));
    // One centred column, as wide as reads well.
    auto* column = new QVBoxLayout;
    column->addStretch(2);
    addHeading(column);
    column->addSpacing(12);
    addButtons(column);
    column->addSpacing(16);
    addDropZone(column);
    column->addSpacing(16);
    addRecentList(column);
    column->addStretch(3);
    auto* columnWidget = new QWidget(this);
    columnWidget->setLayout(column);
    columnWidget->setMaximumWidth(560);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(columnWidget);
    setRecentFiles({});
}

// The application's icon, what it is for, and its promise about the file's code.
void EmptyState::addHeading(QVBoxLayout* column)
{
    auto* logo = new QLabel(this);
    const QIcon icon(QStringLiteral(":/icons/statelens.svg"));
    logo->setPixmap(icon.pixmap(QSize(64, 64)));
    logo->setVisible(!icon.isNull());
    logo->setAlignment(Qt::AlignCenter);
    auto* title = new QLabel(tr("Open a PyTorch checkpoint"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.6);
    titleFont.setBold(true);
    title->setFont(titleFont);
    title->setAlignment(Qt::AlignCenter);
    auto* subtitle = new QLabel(tr("See what is inside, whether it loads into a model, and what its weights look like. "
                                   "Nothing in the file is run."),
                                this);
    subtitle->setWordWrap(true);
    subtitle->setAlignment(Qt::AlignCenter);
    subtitle->setForegroundRole(QPalette::PlaceholderText);
    column->addWidget(logo);
    column->addWidget(title);
    column->addWidget(subtitle);
}

void EmptyState::addButtons(QVBoxLayout* column)
{
    m_open->setObjectName(QStringLiteral("emptyOpenButton"));
    m_open->setIcon(QIcon::fromTheme(QStringLiteral("document-open"), QIcon(QStringLiteral(":/icons/open.svg"))));
    m_open->setToolTip(tr("Open a checkpoint, a shard index or a folder (%1)").arg(QKeySequence(QKeySequence::Open).toString()));
    m_open->setDefault(true);
    m_compare->setObjectName(QStringLiteral("emptyCompareButton"));
    m_compare->setToolTip(tr("Compare two checkpoints tensor by tensor"));
    connect(m_open, &QPushButton::clicked, this, &EmptyState::openRequested);
    connect(m_compare, &QPushButton::clicked, this, &EmptyState::compareRequested);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_open);
    buttons->addWidget(m_compare);
    buttons->addStretch();
    column->addLayout(buttons);
}

void EmptyState::addDropZone(QVBoxLayout* column)
{
    m_dropZone->setObjectName(QStringLiteral("dropZone"));
    m_dropZone->setMinimumHeight(96);
    m_dropText->setAlignment(Qt::AlignCenter);
    m_dropText->setWordWrap(true);
    auto* dropLayout = new QVBoxLayout(m_dropZone);
    dropLayout->addWidget(m_dropText);
    setDropHighlighted(false);
    column->addWidget(m_dropZone);
}

void EmptyState::addRecentList(QVBoxLayout* column)
{
    QFont bold = m_recentTitle->font();
    bold.setBold(true);
    m_recentTitle->setFont(bold);
    m_recentLayout->setSpacing(0);
    column->addWidget(m_recentTitle);
    column->addLayout(m_recentLayout);
}

void EmptyState::setDropHighlighted(bool highlighted)
{
    m_dropHighlighted = highlighted;
    static_cast<DropZone*>(m_dropZone)->setHighlighted(highlighted);
    m_dropText->setText(highlighted ? tr("<b>Release to open</b><br>hold Ctrl to compare two files")
                                    : tr("<b>Drop a checkpoint here</b><br>or a shard folder; two with Ctrl held to compare them"));
}

void EmptyState::setRecentFiles(const QStringList& paths)
{
    qDeleteAll(m_recentButtons);
    m_recentButtons.clear();
    const QIcon icon = QIcon::fromTheme(QStringLiteral("document-open-recent"), QIcon(QStringLiteral(":/icons/open.svg")));
    for (const QString& path : paths) {
        auto* button = new QToolButton(this);
        button->setObjectName(QStringLiteral("recentFile"));
        button->setAutoRaise(true);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setIcon(icon);
        button->setText(recentText(path, button->fontMetrics()));
        button->setToolTip(path);
        if (!QFileInfo::exists(path)) {
            button->setEnabled(false);
            button->setText(tr("%1 (not found)").arg(button->text()));
        }
        connect(button, &QToolButton::clicked, this, [this, path] { Q_EMIT recentRequested(path); });
        m_recentLayout->addWidget(button, 0, Qt::AlignLeft);
        m_recentButtons.append(button);
    }
    m_recentTitle->setVisible(!paths.isEmpty());
    // Tab goes Open, Compare, then the recent files from the newest.
    QWidget* previous = m_compare;
    for (QToolButton* button : std::as_const(m_recentButtons)) {
        QWidget::setTabOrder(previous, button);
        previous = button;
    }
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_pages(new QStackedWidget(this))
    , m_empty(new EmptyState(m_pages))
    , m_tabs(new QTabWidget(m_pages))
    , m_status(new QLabel(this))
    , m_loader(new CheckpointLoader(this))
    , m_devices(new DeviceSelector(this))
{
    setWindowTitle(tr("Statelens"));
    setAcceptDrops(true);
    resize(1100, 720);
    m_tabs->setTabsClosable(true);
    m_tabs->setDocumentMode(true);
    m_pages->addWidget(m_empty);
    m_pages->addWidget(m_tabs);
    setCentralWidget(m_pages);
    connect(m_empty, &EmptyState::openRequested, this, &MainWindow::showOpenDialog);
    connect(m_empty, &EmptyState::compareRequested, this, [this] { showCompareDialog(false); });
    connect(m_empty, &EmptyState::recentRequested, this, &MainWindow::openPath);
    statusBar()->addWidget(m_status, 1);
    createMenus();
    QToolBar* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    // The desktop's own icons where it has them (follows light and dark themes), else ours.
    auto icon = [](const char* theme, const char* fallback) {
        return QIcon::fromTheme(QLatin1String(theme), QIcon(QStringLiteral(":/icons/") + QLatin1String(fallback)));
    };
    QAction* open = toolbar->addAction(icon("document-open", "open.svg"), tr("Open"), this, &MainWindow::showOpenDialog);
    open->setToolTip(tr("Open a checkpoint, a shard index or a folder (%1)").arg(QKeySequence(QKeySequence::Open).toString()));
    m_reloadAction = toolbar->addAction(icon("view-refresh", "reload.svg"), tr("Reload"), this, [this] {
        if (CheckpointTab* tab = currentTab())
            openPath(tab->path());
    });
    m_reloadAction->setShortcut(QKeySequence::Refresh);
    m_reloadAction->setToolTip(tr("Read the current file again (after it changed on disk)"));
    m_matchAction = toolbar->addAction(icon("view-list-details", "match.svg"), tr("Match to Model"), this, [this] {
        if (CheckpointTab* tab = currentTab())
            tab->showPage(1);
    });
    m_matchAction->setToolTip(tr("Does this checkpoint load into a model? Why not, and how to fix it"));
    toolbar->addSeparator();
    toolbar->addWidget(new QLabel(tr(" Compute on: "), toolbar));
    toolbar->addWidget(m_devices);
    // A new device reruns what depends on it: the statistics shown in every tab.
    connect(m_devices, &DeviceSelector::deviceChanged, this, [this](const QString& device) {
        QSettings().setValue(QStringLiteral("compute/device"), device);
        for (int i = 0; i < m_tabs->count(); ++i) {
            if (auto* tab = qobject_cast<CheckpointTab*>(m_tabs->widget(i)))
                tab->setDevice(device);
            else if (auto* diff = qobject_cast<DiffTab*>(m_tabs->widget(i)))
                diff->start(device);
        }
    });

    connect(m_tabs, &QTabWidget::tabCloseRequested, this, [this](int index) {
        QWidget* tab = m_tabs->widget(index);
        m_tabs->removeTab(index);
        tab->deleteLater();
        updateStatus();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateStatus);
    connect(m_loader, &CheckpointLoader::loadFinished, this,
            [this](const QString& path, CheckpointPtr checkpoint, std::shared_ptr<ModuleTree> tree) {
        if (CheckpointTab* tab = tabFor(path))
            tab->showCheckpoint(std::move(checkpoint), std::move(tree));
        rememberRecent(path);
        updateStatus();
    });
    connect(m_loader, &CheckpointLoader::loadFailed, this, [this](const QString& path, const Error& error) {
        if (CheckpointTab* tab = tabFor(path))
            tab->showError(error);
        updateStatus();
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    const QString device = settings.value(QStringLiteral("compute/device"), QStringLiteral("cpu")).toString();
    if (device != QLatin1String("cpu")) {
        m_devices->setDevice(device);  // selected once enumeration finds it
        m_devices->enumerate();
    }
    updateStatus();
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::showOpenDialog);
    file->addAction(tr("&Compare Two Files…"), this, [this] { showCompareDialog(false); });
    m_compareCurrentAction = file->addAction(tr("Compare Current &With…"), this, [this] { showCompareDialog(true); });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    rebuildRecentMenu();
    m_closeTabAction = file->addAction(tr("&Close Tab"), this, [this] {
        if (m_tabs->currentIndex() >= 0)
            Q_EMIT m_tabs->tabCloseRequested(m_tabs->currentIndex());
    });
    m_closeTabAction->setShortcuts(QKeySequence::Close);  // every binding: Ctrl+W and Ctrl+F4 on Linux
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::closeAllWindows);
    // Window-wide shortcuts, so they switch the file tabs wherever the focus is (a tree, or the
    // Details/Match and Histogram/Values tabs inside a file's tab, which would take Ctrl+Tab).
    QMenu* view = menuBar()->addMenu(tr("&View"));
    m_nextTabAction = view->addAction(tr("&Next Tab"), this, [this] { switchTab(+1); });
    m_nextTabAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Tab), QKeySequence(Qt::CTRL | Qt::Key_PageDown)});
    m_previousTabAction = view->addAction(tr("&Previous Tab"), this, [this] { switchTab(-1); });
    // A keyboard sends Shift+Tab as Backtab; QTest and some platforms send Tab with Shift.
    m_previousTabAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Tab), QKeySequence(Qt::CTRL | Qt::Key_PageUp),
                                       QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Backtab)});
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Statelens"), this, &MainWindow::showAbout);
}

void MainWindow::showOpenDialog()
{
    QSettings settings;
    const QString start = settings.value(QStringLiteral("files/lastFolder")).toString();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open checkpoint"), start,
        checkpointFileFilter());
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastFolder"), QFileInfo(path).absolutePath());
    openPath(path);
}

void MainWindow::showCompareDialog(bool withCurrent)
{
    QSettings settings;
    const QString start = settings.value(QStringLiteral("files/lastFolder")).toString();
    const QString filter = checkpointFileFilter();
    QString first;
    if (withCurrent) {
        auto* tab = qobject_cast<CheckpointTab*>(m_tabs->currentWidget());
        if (!tab) {
            statusBar()->showMessage(tr("Open a checkpoint first, then compare it with another"), 5000);
            return;
        }
        first = tab->path();
    } else {
        first = QFileDialog::getOpenFileName(this, tr("Compare: the first checkpoint (A)"), start, filter);
        if (first.isEmpty())
            return;
    }
    const QString second = QFileDialog::getOpenFileName(this, tr("Compare %1 with (B)").arg(QFileInfo(first).fileName()),
                                                        QFileInfo(first).absolutePath(), filter);
    if (second.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastFolder"), QFileInfo(second).absolutePath());
    openDiff(first, second);
}

void MainWindow::openDiff(const QString& pathA, const QString& pathB)
{
    const QString a = QFileInfo(pathA).absoluteFilePath();
    const QString b = QFileInfo(pathB).absoluteFilePath();
    auto* tab = new DiffTab(a, b, m_tabs);
    const int index = m_tabs->addTab(tab, tr("%1 ↔ %2").arg(QFileInfo(a).fileName(), QFileInfo(b).fileName()));
    m_tabs->setTabToolTip(index, tr("A: %1\nB: %2").arg(a, b));
    m_tabs->setCurrentWidget(tab);
    updateStatus();
    connect(tab->runner(), &DiffRunner::result, this, [this, tab] {
        if (m_tabs->currentWidget() == tab)
            updateStatus();
    });
    connect(tab, &DiffTab::comparisonFinished, this, &MainWindow::updateStatus);
    tab->start(m_devices->device());
}

void MainWindow::showAbout()
{
    // The libtorch version needs the module loaded (~0.6 s the first time): off the GUI thread.
    m_aboutJob.start([](const JobControl&) { return TorchRuntime::instance().libtorchVersion(); },
                     [this](const Result<QString>& version) {
                         const QString torch = version ? tr("libtorch %1, loaded when a computation needs it").arg(version.value())
                                                       : tr("libtorch not available: %1").arg(version.error().message.toHtmlEscaped());
                         QMessageBox::about(this, tr("About Statelens"),
                                            tr("<h3>Statelens %1</h3><p>Open a PyTorch checkpoint and understand it at a glance.</p>"
                                               "<p>Files are read by a pickle machine that never runs their code.</p>"
                                               "<p>Qt %2<br>%3</p>")
                                                .arg(QStringLiteral(STATELENS_VERSION), QString::fromLatin1(qVersion()), torch));
                     });
}

namespace {
const QString kRecentFiles = QStringLiteral("files/recent");
constexpr int kRecentLimit = 10;
}  // namespace

void MainWindow::rememberRecent(const QString& path)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentFiles).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kRecentLimit)
        recent.removeLast();
    settings.setValue(kRecentFiles, recent);
    rebuildRecentMenu();
}

// Files that are gone stay listed, disabled, so the list does not silently change.
void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentFiles).toStringList();
    for (const QString& path : recent) {
        QAction* action = m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openPath(path); });
        action->setToolTip(path);
        action->setStatusTip(path);
        if (!QFileInfo::exists(path)) {
            action->setEnabled(false);
            action->setText(tr("%1 (not found)").arg(QFileInfo(path).fileName()));
        }
    }
    m_empty->setRecentFiles(recent);
    if (recent.isEmpty())
        m_recentMenu->addAction(tr("No recent files"))->setEnabled(false);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
        QSettings().remove(kRecentFiles);
        rebuildRecentMenu();
    })->setEnabled(!recent.isEmpty());
}

CheckpointTab* MainWindow::tabFor(const QString& path) const
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto* tab = qobject_cast<CheckpointTab*>(m_tabs->widget(i));
        if (tab && tab->path() == path)
            return tab;
    }
    return nullptr;
}

CheckpointTab* MainWindow::currentTab() const
{
    return qobject_cast<CheckpointTab*>(m_tabs->currentWidget());
}

void MainWindow::openPath(const QString& path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    CheckpointTab* tab = tabFor(absolute);
    if (!tab) {
        tab = new CheckpointTab(absolute, m_tabs);
        connect(tab, &CheckpointTab::reloadRequested, this, &MainWindow::openPath);
        tab->setDevice(m_devices->device());
        if (!m_matchArchitecture.isEmpty()) {
            tab->matchPanel()->setArchitecture(m_matchArchitecture);
            tab->showPage(1);
        }
        const int index = m_tabs->addTab(tab, QFileInfo(absolute).fileName());
        m_tabs->setTabToolTip(index, absolute);
    }
    m_tabs->setCurrentWidget(tab);
    updateStatus();
    tab->showLoading();
    m_loader->open(absolute);
}

void MainWindow::updateStatus()
{
    updateActions();
    CheckpointTab* tab = currentTab();
    if (m_tabs->count() == 0) {
        m_status->clear();  // the empty state says what to do
        setWindowTitle(tr("Statelens"));
        return;
    }
    if (auto* diff = qobject_cast<DiffTab*>(m_tabs->currentWidget())) {
        m_status->setText(diff->summary());
        setWindowTitle(tr("%1 — Statelens").arg(m_tabs->tabText(m_tabs->currentIndex())));
        return;
    }
    m_status->setText(tab ? tab->summary() : QString());
    setWindowTitle(tab ? tr("%1 — Statelens").arg(QFileInfo(tab->path()).fileName()) : tr("Statelens"));
}

// What needs a file is disabled without one; the empty state stands in for the tabs when none
// is open.
void MainWindow::updateActions()
{
    const bool checkpoint = currentTab() != nullptr;
    m_reloadAction->setEnabled(checkpoint);
    m_matchAction->setEnabled(checkpoint);
    m_compareCurrentAction->setEnabled(checkpoint);
    m_closeTabAction->setEnabled(m_tabs->count() > 0);
    m_nextTabAction->setEnabled(m_tabs->count() > 1);
    m_previousTabAction->setEnabled(m_tabs->count() > 1);
    QWidget* page = m_tabs->count() > 0 ? static_cast<QWidget*>(m_tabs) : m_empty;
    if (m_pages->currentWidget() == page)
        return;
    m_pages->setCurrentWidget(page);
    if (page == m_empty)
        m_empty->openButton()->setFocus();  // Enter or Space opens a file
}

// The next (+1) or previous (-1) tab, wrapping around at either end.
void MainWindow::switchTab(int step)
{
    const int count = m_tabs->count();
    if (count > 1)
        m_tabs->setCurrentIndex((m_tabs->currentIndex() + step + count) % count);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls()) {
        event->acceptProposedAction();
        m_empty->setDropHighlighted(true);
        if (event->mimeData()->urls().size() == 2)
            statusBar()->showMessage(tr("Hold Ctrl while dropping to compare the two files"), 3000);
    }
}

void MainWindow::dragLeaveEvent(QDragLeaveEvent* event)
{
    m_empty->setDropHighlighted(false);
    QMainWindow::dragLeaveEvent(event);
}

void MainWindow::dropEvent(QDropEvent* event)
{
    m_empty->setDropHighlighted(false);
    // Two files dropped with Ctrl held are compared; otherwise every file opens in its tab.
    const QList<QUrl> urls = event->mimeData()->urls();
    if ((event->modifiers() & Qt::ControlModifier) && urls.size() == 2 && urls[0].isLocalFile() && urls[1].isLocalFile()) {
        openDiff(urls[0].toLocalFile(), urls[1].toLocalFile());
        event->acceptProposedAction();
        return;
    }
    bool opened = false;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (url.isLocalFile()) {
            openPath(url.toLocalFile());
            opened = true;
        }
    }
    if (opened)
        event->acceptProposedAction();
    else
        statusBar()->showMessage(tr("Only local files and folders can be opened"), 5000);
}

}  // namespace statelens::ui
