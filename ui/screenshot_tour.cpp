#include "screenshot_tour.h"

#include "checkpoint_loader.h"
#include "checkpoint_tab.h"
#include "main_window.h"
#include "parameter_tree_model.h"
#include "stats_runner.h"
#include "tensor_details.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QTabWidget>
#include <QTimer>
#include <QTreeView>

#include <cstdio>

namespace statelens::ui {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString folder, QString select, QObject* parent)
    : QObject(parent), m_window(window), m_folder(std::move(folder)), m_select(std::move(select))
{
}

void ScreenshotTour::start()
{
    QDir().mkpath(m_folder);
    // Wait for every file to be read, then visit the tabs one by one.
    auto* poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, [this, poll] {
        if (m_window->loader()->isBusy())
            return;
        poll->deleteLater();
        next();
    });
    poll->start(50);
}

void ScreenshotTour::next()
{
    ++m_tab;
    if (m_tab >= m_window->tabs()->count()) {
        QApplication::quit();
        return;
    }
    m_window->tabs()->setCurrentIndex(m_tab);
    auto* tab = qobject_cast<CheckpointTab*>(m_window->tabs()->widget(m_tab));
    ParameterTreeModel* model = tab->model();
    const ModuleTree& tree = model->tree();
    int chosen = -1;
    for (int node = 1; node < tree.size(); ++node) {
        if (tree.node(node).tensor < 0)
            continue;
        if (!m_select.isEmpty() ? tree.path(node) == m_select
                                : (chosen < 0 || tree.node(node).nbytes > tree.node(chosen).nbytes))
            chosen = node;
    }
    if (chosen < 0) {  // an error or an empty file: the tab as it is
        QTimer::singleShot(200, this, [this] { shootCurrent(); });
        return;
    }
    StatsRunner* runner = tab->details()->runner();
    auto connection = std::make_shared<QMetaObject::Connection>();
    auto done = [this, connection] {
        QObject::disconnect(*connection);
        QTimer::singleShot(200, this, [this] { shootCurrent(); });  // let the plot repaint
    };
    *connection = connect(runner, &StatsRunner::finished, this, done);
    connect(runner, &StatsRunner::failed, this, done, Qt::SingleShotConnection);
    const QModelIndex index = model->indexForNode(chosen);
    tab->treeView()->scrollTo(index);
    tab->treeView()->setCurrentIndex(index);
}

void ScreenshotTour::shootCurrent()
{
    auto* tab = qobject_cast<CheckpointTab*>(m_window->tabs()->currentWidget());
    const QString name = QStringLiteral("%1-%2.png").arg(m_tab + 1).arg(QFileInfo(tab ? tab->path() : QString()).completeBaseName());
    const QString path = QDir(m_folder).filePath(name);
    const bool saved = m_window->grab().save(path);
    std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "wrote" : "could not write", qPrintable(path));
    next();
}

}  // namespace statelens::ui
