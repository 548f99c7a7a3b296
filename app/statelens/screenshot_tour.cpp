#include "app/statelens/screenshot_tour.h"

#include "ui/checkpoint_tab.h"
#include "ui/diff_tab.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/diff_runner.h"
#include "ui/jobs/stats_runner.h"
#include "ui/main_window.h"
#include "ui/match_panel.h"
#include "ui/models/diff_tree_model.h"
#include "ui/models/parameter_tree_model.h"
#include "ui/plots/diff_histograms.h"
#include "ui/tensor_details.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QTabWidget>
#include <QSortFilterProxyModel>
#include <QTimer>

#include <cmath>
#include <functional>
#include <QTreeView>

#include <cstdio>

namespace statelens::ui {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString folder, QString select, QString match, QObject* parent)
    : QObject(parent), m_window(window), m_folder(std::move(folder)), m_select(std::move(select)), m_match(std::move(match))
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
        QApplication::exit(m_failures > 0 ? 1 : 0);
        return;
    }
    m_window->tabs()->setCurrentIndex(m_tab);
    if (auto* diff = qobject_cast<DiffTab*>(m_window->tabs()->widget(m_tab))) {
        shootDiff(diff);
        return;
    }
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
        QTimer::singleShot(200, this, [this] {
            shootCurrent(QString());
            next();
        });
        return;
    }
    StatsRunner* runner = tab->details()->runner();
    auto connection = std::make_shared<QMetaObject::Connection>();
    auto done = [this, connection] {
        QObject::disconnect(*connection);
        QTimer::singleShot(200, this, [this] {  // let the plot repaint
            shootCurrent(QString());
            if (m_match.isEmpty())
                next();
            else
                matchCurrent();
        });
    };
    *connection = connect(runner, &StatsRunner::finished, this, done);
    connect(runner, &StatsRunner::failed, this, done, Qt::SingleShotConnection);
    const QModelIndex index = model->indexForNode(chosen);
    tab->treeView()->scrollTo(index);
    tab->treeView()->setCurrentIndex(index);
}

// A comparison: once every result is in, select the largest compared tensor (the most telling
// histograms) and wait for its two histograms.
void ScreenshotTour::shootDiff(DiffTab* diff)
{
    auto shootWhenDrawn = [this, diff] {
        QSortFilterProxyModel* proxy = diff->proxy();
        QModelIndex best;
        double bestChange = -1.0;
        std::function<void(const QModelIndex&)> visit = [&](const QModelIndex& parent) {
            for (int row = 0; row < proxy->rowCount(parent); ++row) {
                const QModelIndex index = proxy->index(row, 0, parent);
                visit(index);
                const int entry = index.data(DiffTreeModel::EntryRole).toInt();
                if (entry < 0 || !diff->model()->plan().entries[entry].hasDeltas())
                    continue;
                qint64 numel = 1;
                for (qint64 size : diff->model()->plan().entries[entry].a.shape)
                    numel *= size;
                if (double(numel) > bestChange) {
                    bestChange = double(numel);
                    best = index;
                }
            }
        };
        visit({});
        auto shoot = [this] {
            QTimer::singleShot(200, this, [this] {
                shootCurrent(QString());
                next();
            });
        };
        if (!best.isValid())
            return shoot();
        connect(diff->histograms(), &DiffHistograms::drawn, this, shoot, Qt::SingleShotConnection);
        diff->treeView()->scrollTo(best);
        diff->treeView()->setCurrentIndex(best);
    };
    if (!diff->runner()->isBusy())
        shootWhenDrawn();
    else
        connect(diff, &DiffTab::comparisonFinished, this, shootWhenDrawn, Qt::SingleShotConnection);
}

void ScreenshotTour::matchCurrent()
{
    auto* tab = qobject_cast<CheckpointTab*>(m_window->tabs()->currentWidget());
    MatchPanel* panel = tab->matchPanel();
    tab->showPage(1);
    auto finished = [this, tab] {
        QTimer::singleShot(200, this, [this, tab] {
            shootCurrent(QStringLiteral("-match"));
            tab->showPage(0);
            next();
        });
    };
    // One of the two arrives: the report, or the error that replaces it.
    auto connections = std::make_shared<QVector<QMetaObject::Connection>>();
    auto once = [connections, finished] {
        for (const auto& connection : *connections)
            QObject::disconnect(connection);
        finished();
    };
    connections->append(connect(panel, &MatchPanel::reportShown, this, once));
    connections->append(connect(panel, &MatchPanel::outcomeShown, this, once));
    panel->setArchitecture(m_match);
    panel->runMatch();
}

void ScreenshotTour::shootCurrent(const QString& suffix)
{
    auto* tab = qobject_cast<CheckpointTab*>(m_window->tabs()->currentWidget());
    auto* diff = qobject_cast<DiffTab*>(m_window->tabs()->currentWidget());
    const QString base = diff ? QStringLiteral("diff-%1").arg(QFileInfo(diff->pathB()).completeBaseName())
                              : QFileInfo(tab ? tab->path() : QString()).completeBaseName();
    const QString name = QStringLiteral("%1-%2%3.png").arg(m_tab + 1).arg(base, suffix);
    const QString path = QDir(m_folder).filePath(name);
    const bool saved = m_window->grab().save(path);
    m_failures += saved ? 0 : 1;
    std::fprintf(saved ? stdout : stderr, "%s %s\n", saved ? "wrote" : "could not write", qPrintable(path));
}

}  // namespace statelens::ui
