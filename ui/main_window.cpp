#include "main_window.h"

#include "checkpoint_loader.h"
#include "checkpoint_tab.h"
#include "device_selector.h"
#include "diff_runner.h"
#include "file_filters.h"
#include "diff_tab.h"
#include "match_panel.h"

#include "core/torch_runtime.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QIcon>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

namespace statelens::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_tabs(new QTabWidget(this))
    , m_status(new QLabel(this))
    , m_loader(new CheckpointLoader(this))
    , m_devices(new DeviceSelector(this))
{
    setWindowTitle(tr("Statelens"));
    setAcceptDrops(true);
    resize(1100, 720);
    m_tabs->setTabsClosable(true);
    m_tabs->setDocumentMode(true);
    setCentralWidget(m_tabs);
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
    connect(m_loader, &CheckpointLoader::loadFailed, this, [this](const QString& path, const QString& message) {
        if (CheckpointTab* tab = tabFor(path))
            tab->showError(message);
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
    file->addAction(tr("Compare Current &With…"), this, [this] { showCompareDialog(true); });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    rebuildRecentMenu();
    file->addAction(tr("&Close Tab"), QKeySequence::Close, this, [this] {
        if (m_tabs->currentIndex() >= 0)
            Q_EMIT m_tabs->tabCloseRequested(m_tabs->currentIndex());
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::closeAllWindows);
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
    tab->showLoading();
    m_loader->open(absolute);
}

void MainWindow::updateStatus()
{
    CheckpointTab* tab = currentTab();
    m_reloadAction->setEnabled(tab != nullptr);
    m_matchAction->setEnabled(tab != nullptr);
    if (auto* diff = qobject_cast<DiffTab*>(m_tabs->currentWidget())) {
        m_status->setText(diff->summary());
        setWindowTitle(tr("%1 — Statelens").arg(m_tabs->tabText(m_tabs->currentIndex())));
        return;
    }
    m_status->setText(tab ? tab->summary() : tr("Drop a checkpoint here, or use File › Open"));
    setWindowTitle(tab ? tr("%1 — Statelens").arg(QFileInfo(tab->path()).fileName()) : tr("Statelens"));
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
        if (event->mimeData()->urls().size() == 2)
            statusBar()->showMessage(tr("Hold Ctrl while dropping to compare the two files"), 3000);
    }
}

void MainWindow::dropEvent(QDropEvent* event)
{
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
