#include "main_window.h"

#include "checkpoint_loader.h"
#include "checkpoint_tab.h"
#include "device_selector.h"
#include "match_panel.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
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
    QToolBar* toolbar = addToolBar(tr("Device"));
    toolbar->setObjectName(QStringLiteral("deviceToolbar"));
    toolbar->setMovable(false);
    toolbar->addWidget(new QLabel(tr(" Compute on: "), toolbar));
    toolbar->addWidget(m_devices);
    // A new device reruns what depends on it: the statistics shown in every tab.
    connect(m_devices, &DeviceSelector::deviceChanged, this, [this](const QString& device) {
        QSettings().setValue(QStringLiteral("compute/device"), device);
        for (int i = 0; i < m_tabs->count(); ++i) {
            if (auto* tab = qobject_cast<CheckpointTab*>(m_tabs->widget(i)))
                tab->setDevice(device);
        }
    });

    connect(m_tabs, &QTabWidget::tabCloseRequested, this, [this](int index) {
        QWidget* tab = m_tabs->widget(index);
        m_tabs->removeTab(index);
        tab->deleteLater();
        updateStatus();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateStatus);
    connect(m_loader, &CheckpointLoader::loadFinished, this, [this](const QString& path, CheckpointPtr checkpoint) {
        if (CheckpointTab* tab = tabFor(path))
            tab->showCheckpoint(std::move(checkpoint));
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
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::showOpenDialog);
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
        tr("Checkpoints (*.pt *.pth *.bin *.ckpt *.pt2 *.safetensors *.json *.jit);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("files/lastFolder"), QFileInfo(path).absolutePath());
    openPath(path);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Statelens"),
                       tr("<h3>Statelens %1</h3><p>Open a PyTorch checkpoint and understand it at a glance.</p>"
                          "<p>Files are read by a pickle machine that never runs their code.</p>"
                          "<p>Qt %2. libtorch is loaded only when a computation needs it.</p>")
                           .arg(QStringLiteral(STATELENS_VERSION), QString::fromLatin1(qVersion())));
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
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
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
