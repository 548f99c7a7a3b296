// Background work meets a person who does not wait: a tab closed with the close button while
// its statistics, comparison or match still runs, and tensors re-selected with the arrow keys
// faster than their statistics arrive. The tab's jobs are cancelled and waited for before it is
// freed (the `destroyed` signal comes after), nothing reaches a deleted widget, and only the
// current selection's statistics are shown. CI also runs this test in the AddressSanitizer
// build, where a late delivery to a freed tab is a reported use after free.
#include "ui/architecture_chooser.h"
#include "ui/checkpoint_tab.h"
#include "ui/diff_tab.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/diff_runner.h"
#include "ui/jobs/match_runner.h"
#include "ui/jobs/stats_runner.h"
#include "ui/main_window.h"
#include "ui/match_panel.h"
#include "ui/models/parameter_tree_model.h"
#include "ui/tensor_details.h"

#include <QApplication>
#include <QLineEdit>
#include <QPointer>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTest>
#include <QTreeView>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString data(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + name;
}

// Clicks the close button of `window`'s current tab, as a person does.
void clickCloseButton(MainWindow& window)
{
    QTabBar* bar = window.tabs()->tabBar();
    QWidget* close = bar->tabButton(window.tabs()->currentIndex(), QTabBar::RightSide);
    QVERIFY(close);
    QTest::mouseClick(close, Qt::LeftButton);
}

// Clicks the close button of the current tab while its job runs, and waits until the tab is
// freed: `destroyed` comes only after its jobs were cancelled and waited for. Nothing is left in
// the window, and nothing posted by the job is delivered afterwards.
bool closeWhileBusyAndWaitFreed(MainWindow& window, QObject* tab)
{
    QSignalSpy destroyed(tab, &QObject::destroyed);
    clickCloseButton(window);
    if (QTest::currentTestFailed() || !destroyed.wait(20000))
        return false;
    QCoreApplication::sendPostedEvents();
    return window.tabs()->count() == 0;
}

bool openAndWait(MainWindow& window, const QString& path)
{
    window.openPath(path);
    return QTest::qWaitFor([&] { return !window.loader()->isBusy() && window.currentTab() && window.currentTab()->model()->checkpoint(); }, 20000);
}

// The row of the first tensor whose path starts with `prefix`, among the expanded rows.
QModelIndex firstRowUnder(QTreeView* tree, const QString& path)
{
    const QAbstractItemModel* model = tree->model();
    QModelIndexList stack{QModelIndex()};
    while (!stack.isEmpty()) {
        const QModelIndex parent = stack.takeLast();
        for (int row = model->rowCount(parent) - 1; row >= 0; --row) {
            const QModelIndex index = model->index(row, 0, parent);
            if (index.data(ParameterTreeModel::PathRole).toString() == path)
                return index;
            stack.append(index);
        }
    }
    return {};
}

void clickRow(QTreeView* tree, const QModelIndex& index)
{
    tree->scrollTo(index);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(index).center());
}

}  // namespace

class TestTabClose : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    // The statistics of a whole 20 000-tensor module, then the tab's close button at once.
    void closingATabWhileItsStatisticsRun()
    {
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(openAndWait(window, data(QStringLiteral("many_tensors.pt"))));
        CheckpointTab* tab = window.currentTab();
        QTreeView* tree = tab->treeView();
        const QModelIndex top = tree->model()->index(0, 0);
        QVERIFY(top.isValid());
        clickRow(tree, top);
        QVERIFY(tab->details()->runner()->isBusy());  // its result needs the event loop: still pending
        QVERIFY(closeWhileBusyAndWaitFreed(window, tab));
        // The window goes on working.
        QVERIFY(openAndWait(window, data(QStringLiteral("simple_cnn.pth"))));
    }

    void closingATabWhileItsComparisonRuns()
    {
        MainWindow window;
        window.show();
        window.openDiff(data(QStringLiteral("diff/tiny_resnet18.pth")), data(QStringLiteral("diff/tiny_resnet18_10class.pth")));
        auto* tab = qobject_cast<DiffTab*>(window.tabs()->currentWidget());
        QVERIFY(tab);
        QVERIFY(tab->runner()->isBusy());
        QVERIFY(closeWhileBusyAndWaitFreed(window, tab));
    }

    void closingATabWhileItsMatchRuns()
    {
        MainWindow window;
        window.show();
        QVERIFY(openAndWait(window, data(QStringLiteral("match/resnet18_ddp_compiled.pth"))));
        CheckpointTab* tab = window.currentTab();
        tab->showPage(1);
        MatchPanel* panel = tab->matchPanel();
        QLineEdit* field = panel->chooser()->lineEdit();
        QVERIFY(field);
        QTest::mouseClick(field, Qt::LeftButton);
        QTest::keyClicks(field, data(QStringLiteral("match/resnet18.json")));
        QTest::keyClick(field, Qt::Key_Return);
        QVERIFY(panel->runner()->isBusy());
        QVERIFY(closeWhileBusyAndWaitFreed(window, tab));
    }

    // Arrow keys through the tensors faster than statistics arrive: every request supersedes the
    // one before, and once the runner is idle exactly one result came after the last key, for the
    // tensor selected last.
    void rapidReselectionShowsOnlyTheCurrentTensor()
    {
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(openAndWait(window, data(QStringLiteral("simple_cnn.pth"))));
        CheckpointTab* tab = window.currentTab();
        QTreeView* tree = tab->treeView();
        tree->expandAll();
        const QModelIndex first = firstRowUnder(tree, QStringLiteral("conv1.weight"));
        QVERIFY(first.isValid());
        clickRow(tree, first);
        StatsRunner* runner = tab->details()->runner();
        QSignalSpy finished(runner, &StatsRunner::finished);
        for (int i = 0; i < 12; ++i) {
            QTest::keyClick(tree, Qt::Key_Down);
            QTest::keyClick(tree, Qt::Key_Up);
            QTest::keyClick(tree, Qt::Key_Down);
        }
        const QString current = tree->currentIndex().data(ParameterTreeModel::PathRole).toString();
        QVERIFY(current != QLatin1String("conv1.weight"));
        finished.clear();
        QVERIFY(QTest::qWaitFor([&] { return !runner->isBusy(); }, 20000));
        QCoreApplication::sendPostedEvents();
        QCOMPARE(finished.count(), 1);
        const auto stats = finished.first().at(0).value<TensorStats>();
        const bool isTensor = tree->currentIndex().data(ParameterTreeModel::TensorRole).toInt() >= 0;
        // A module's statistics are named after it with a trailing dot ("conv1."), a tensor's by its path.
        QCOMPARE(stats.name, isTensor ? current : current + u'.');
    }
};

QTEST_MAIN(TestTabClose)
#include "tst_tab_close.moc"
