// The window's keyboard and polish, as a person meets them: Ctrl+Tab and Ctrl+PgDown walk the
// tabs from wherever the focus is; with no tab open the window invites a file (Open…, the recent
// files, a drop zone that lights up under a drag) and what needs a file is disabled; the
// histogram says why when there is nothing to plot, and stops saying "Computing…" after Cancel;
// Tab walks the Details page in reading order.
#include "tests/support/large_files.h"
#include "ui/checkpoint_tab.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/stats_runner.h"
#include "ui/main_window.h"
#include "ui/models/parameter_tree_model.h"
#include "ui/plots/histogram_plot.h"
#include "ui/plots/plot_style.h"
#include "ui/tensor_details.h"
#include "ui/value_preview.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabBar>
#include <QTableView>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>
#include <QtEndian>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString data(const char* name)
{
    return QFileInfo(QStringLiteral(STATELENS_TEST_DATA "/") + QLatin1String(name)).absoluteFilePath();
}

bool waitUntilRead(MainWindow& window)
{
    return QTest::qWaitFor([&] { return !window.loader()->isBusy(); }, 10000);
}

// A window on screen and active (shortcuts need an active window), with `paths` open.
bool showWithFiles(MainWindow& window, const QStringList& paths)
{
    window.show();
    window.activateWindow();  // no window manager activates it under a bare X server
    if (!QTest::qWaitForWindowActive(&window))
        return false;
    for (const QString& path : paths)
        window.openPath(path);
    return waitUntilRead(window);
}

// The action of a menu or toolbar entry, by its text without the mnemonic.
QAction* action(const MainWindow& window, const QString& text)
{
    const QList<QAction*> actions = window.findChildren<QAction*>();
    for (QAction* candidate : actions) {
        if (candidate->text().remove(u'&') == text)
            return candidate;
    }
    return nullptr;
}

// The tree row at dotted `path` of a checkpoint tab, scrolled into view.
QModelIndex rowAt(CheckpointTab* tab, const QString& path)
{
    const ModuleTree& tree = tab->model()->tree();
    for (int node = 1; node < tree.size(); ++node) {
        if (tree.path(node) == path) {
            const QModelIndex index = tab->model()->indexForNode(node);
            tab->treeView()->scrollTo(index);
            return index;
        }
    }
    return {};
}

void clickRow(CheckpointTab* tab, const QModelIndex& index)
{
    QTreeView* view = tab->treeView();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
}

void sendDrag(QWidget* target, QMimeData* mime)
{
    QDragEnterEvent enter(target->rect().center(), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
}


}  // namespace

class TestWindowPolish : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().remove(QStringLiteral("window/geometry"));
    }
    void init() { QSettings().remove(QStringLiteral("files/recent")); }

    void testCtrlTabWalksTheTabs_data();
    void testCtrlTabWalksTheTabs();
    void testEmptyStateOpensRecentFiles();
    void testActionsNeedAFile();
    void testDragHoverLightsTheDropZone();
    void testHistogramSaysWhyThereIsNothingToPlot();
    void testCancelEndsComputing();
    void testDetailsTabOrder();
};

void TestWindowPolish::testCtrlTabWalksTheTabs_data()
{
    QTest::addColumn<int>("key");
    QTest::addColumn<Qt::KeyboardModifiers>("modifiers");
    QTest::addColumn<int>("step");
    QTest::newRow("Ctrl+Tab") << int(Qt::Key_Tab) << Qt::KeyboardModifiers(Qt::ControlModifier) << 1;
    QTest::newRow("Ctrl+PgDown") << int(Qt::Key_PageDown) << Qt::KeyboardModifiers(Qt::ControlModifier) << 1;
    QTest::newRow("Ctrl+Shift+Tab") << int(Qt::Key_Tab) << Qt::KeyboardModifiers(Qt::ControlModifier | Qt::ShiftModifier) << -1;
    QTest::newRow("Ctrl+Shift+Backtab") << int(Qt::Key_Backtab) << Qt::KeyboardModifiers(Qt::ControlModifier | Qt::ShiftModifier) << -1;
    QTest::newRow("Ctrl+PgUp") << int(Qt::Key_PageUp) << Qt::KeyboardModifiers(Qt::ControlModifier) << -1;
}

// From the tree, and from inside a tab's own Histogram/Values tabs (which would otherwise take
// Ctrl+Tab for themselves), the key moves between the window's tabs, wrapping at the ends.
void TestWindowPolish::testCtrlTabWalksTheTabs()
{
    QFETCH(int, key);
    QFETCH(Qt::KeyboardModifiers, modifiers);
    QFETCH(int, step);
    MainWindow window;
    QVERIFY(showWithFiles(window, {data("simple_cnn.pth"), data("tiny.safetensors"), data("lightning.ckpt")}));
    QTabWidget* tabs = window.tabs();
    QCOMPARE(tabs->count(), 3);
    tabs->setCurrentIndex(0);
    window.currentTab()->treeView()->setFocus();
    QTRY_VERIFY(window.currentTab()->treeView()->hasFocus());

    const int expected[] = {(0 + step + 3) % 3, (0 + 2 * step + 6) % 3, (0 + 3 * step + 9) % 3};
    for (int i = 0; i < 3; ++i) {
        QWidget* focus = QApplication::focusWidget();
        QVERIFY(focus);
        // The second press comes from the details' inner tab bar.
        if (i == 1) {
            QTabBar* inner = window.currentTab()->details()->views()->tabBar();
            inner->setFocus();
            QTRY_VERIFY(inner->hasFocus());
            focus = inner;
        }
        const int innerBefore = window.currentTab()->details()->views()->currentIndex();
        QTest::keyClick(focus, Qt::Key(key), modifiers);
        QCOMPARE(tabs->currentIndex(), expected[i]);
        if (i == 1)
            QCOMPARE(static_cast<CheckpointTab*>(tabs->widget((expected[i] - step + 3) % 3))->details()->views()->currentIndex(),
                     innerBefore);
    }
}

// With no tab open the window shows Open…, Compare… and the recent files; one click on a recent
// file opens it, and closing the last tab brings the invitation back with that file listed first.
void TestWindowPolish::testEmptyStateOpensRecentFiles()
{
    QTemporaryDir folder;
    const QString gone = folder.filePath(QStringLiteral("gone.pth"));
    QSettings().setValue(QStringLiteral("files/recent"), QStringList{data("tiny.safetensors"), gone});
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    EmptyState* empty = window.emptyState();
    QVERIFY(empty->isVisible());
    QVERIFY(!window.tabs()->isVisible());
    QVERIFY(empty->openButton()->isVisible());
    QVERIFY(empty->compareButton()->isVisible());
    QCOMPARE(empty->recentButtons().size(), 2);
    QToolButton* first = empty->recentButtons().at(0);
    QToolButton* missing = empty->recentButtons().at(1);
    QCOMPARE(first->toolTip(), data("tiny.safetensors"));
    QVERIFY(first->text().contains(QStringLiteral("tiny.safetensors")));
    QVERIFY(first->isEnabled());
    QVERIFY(!missing->isEnabled());
    QVERIFY(missing->text().contains(QStringLiteral("not found")));

    QSignalSpy finished(window.loader(), &CheckpointLoader::loadFinished);
    QTest::mouseClick(first, Qt::LeftButton);
    QCOMPARE(window.tabs()->count(), 1);
    QVERIFY(finished.wait(10000));
    QCOMPARE(window.currentTab()->path(), data("tiny.safetensors"));
    QVERIFY(window.tabs()->isVisible());
    QVERIFY(!empty->isVisible());

    // Opened again from elsewhere: it moves to the top of the list.
    window.openPath(data("simple_cnn.pth"));
    QVERIFY(waitUntilRead(window));
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(window.currentTab()->treeView(), Qt::Key_W, Qt::ControlModifier);
    QTest::keyClick(window.currentTab()->treeView(), Qt::Key_W, Qt::ControlModifier);
    QCOMPARE(window.tabs()->count(), 0);
    QVERIFY(empty->isVisible());
    QCOMPARE(empty->recentButtons().size(), 3);
    QCOMPARE(empty->recentButtons().at(0)->toolTip(), data("simple_cnn.pth"));
    QCOMPARE(empty->recentButtons().at(1)->toolTip(), data("tiny.safetensors"));
}

// Reload, Match to Model, Compare Current With…, Close Tab and the tab switches are disabled
// without a file, enabled when one opens, and disabled again when it closes.
void TestWindowPolish::testActionsNeedAFile()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QStringList needFile{QStringLiteral("Reload"), QStringLiteral("Match to Model"), QStringLiteral("Compare Current With…"),
                               QStringLiteral("Close Tab")};
    for (const QString& text : needFile) {
        QAction* a = action(window, text);
        QVERIFY2(a, qPrintable(text));
        QVERIFY2(!a->isEnabled(), qPrintable(text));
    }
    QVERIFY(!window.nextTabAction()->isEnabled());
    QVERIFY(!window.previousTabAction()->isEnabled());
    QVERIFY(action(window, QStringLiteral("Open…"))->isEnabled());

    window.openPath(data("simple_cnn.pth"));
    QVERIFY(waitUntilRead(window));
    for (const QString& text : needFile)
        QVERIFY2(action(window, text)->isEnabled(), qPrintable(text));
    QVERIFY(!window.nextTabAction()->isEnabled());  // one tab: nothing to switch to
    window.openPath(data("tiny.safetensors"));
    QVERIFY(waitUntilRead(window));
    QVERIFY(window.nextTabAction()->isEnabled());
    QVERIFY(window.previousTabAction()->isEnabled());

    action(window, QStringLiteral("Close Tab"))->trigger();
    action(window, QStringLiteral("Close Tab"))->trigger();
    QCOMPARE(window.tabs()->count(), 0);
    for (const QString& text : needFile)
        QVERIFY2(!action(window, text)->isEnabled(), qPrintable(text));
}

// Files dragged over the window light the drop zone up; leaving or dropping puts it out.
void TestWindowPolish::testDragHoverLightsTheDropZone()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    EmptyState* empty = window.emptyState();
    QVERIFY(!empty->isDropHighlighted());

    QMimeData text;
    text.setText(QStringLiteral("not a file"));
    sendDrag(&window, &text);
    QVERIFY(!empty->isDropHighlighted());

    QMimeData files;
    files.setUrls({QUrl::fromLocalFile(data("simple_cnn.pth"))});
    sendDrag(&window, &files);
    QVERIFY(empty->isDropHighlighted());
    QDragLeaveEvent leave;
    QApplication::sendEvent(&window, &leave);
    QVERIFY(!empty->isDropHighlighted());

    sendDrag(&window, &files);
    QVERIFY(empty->isDropHighlighted());
    QDropEvent drop(QPointF(window.rect().center()), Qt::CopyAction, &files, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QVERIFY(!empty->isDropHighlighted());
    QCOMPARE(window.tabs()->count(), 1);
    QVERIFY(waitUntilRead(window));
}

// No axes without data: before a selection, for a plain value and for a module holding no
// tensors the histogram says why, and a tensor selected before leaves nothing behind.
void TestWindowPolish::testHistogramSaysWhyThereIsNothingToPlot()
{
    MainWindow window;
    QVERIFY(showWithFiles(window, {data("lightning.ckpt")}));
    CheckpointTab* tab = window.currentTab();
    HistogramPlot* histogram = tab->details()->histogram();
    QVERIFY(!histogram->area()->isShowingPlot());
    QVERIFY(histogram->message().contains(QStringLiteral("Select")));
    QVERIFY(histogram->drawnCounts().isEmpty());

    // A tensor first, so that there is a plot to leave behind.
    const QModelIndex weight = rowAt(tab, QStringLiteral("state_dict.model.conv.weight"));
    QVERIFY(weight.isValid());
    QSignalSpy finished(tab->details()->runner(), &StatsRunner::finished);
    clickRow(tab, weight);
    QVERIFY(finished.wait(10000));
    QVERIFY(histogram->area()->isShowingPlot());
    QCOMPARE(histogram->drawnCounts().size(), 64);
    QVERIFY(histogram->message().isEmpty());

    const QModelIndex epoch = rowAt(tab, QStringLiteral("epoch"));
    QVERIFY(epoch.isValid());
    clickRow(tab, epoch);
    QCOMPARE(tab->details()->titleLabel()->text(), QStringLiteral("epoch"));
    QVERIFY(!histogram->area()->isShowingPlot());
    QVERIFY(histogram->drawnCounts().isEmpty());
    QVERIFY2(histogram->message().contains(QStringLiteral("not a tensor")), qPrintable(histogram->message()));
    QVERIFY(histogram->readout()->text().isEmpty());

    const QModelIndex hyper = rowAt(tab, QStringLiteral("hyper_parameters"));
    QVERIFY(hyper.isValid());
    clickRow(tab, hyper);
    QCOMPARE(tab->details()->titleLabel()->text(), QStringLiteral("hyper_parameters"));
    QVERIFY(!histogram->area()->isShowingPlot());
    QVERIFY(histogram->drawnCounts().isEmpty());
    QVERIFY2(histogram->message().contains(QStringLiteral("holds no tensors")), qPrintable(histogram->message()));
    QVERIFY(!tab->details()->runner()->isBusy());
}

// Cancel while the statistics stream: the footer no longer says "Computing…", the plot's place
// says they were cancelled, and the link computes them again.
void TestWindowPolish::testCancelEndsComputing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("large.safetensors"));
    // 16 tensors of 16 Mi float32 zeros, sparse on disk: statistics long enough to press Cancel.
    QVERIFY(statelens::test::writeZeroSafetensors(path, 16, qint64(1) << 24));
    MainWindow window;
    QVERIFY(showWithFiles(window, {path}));
    CheckpointTab* tab = window.currentTab();
    TensorDetails* details = tab->details();
    const QModelIndex blocks = rowAt(tab, QStringLiteral("blocks"));
    QVERIFY(blocks.isValid());
    clickRow(tab, blocks);  // all 16 tensors together: 1 GiB to read
    QPushButton* cancel = details->cancelButton();
    QVERIFY(QTest::qWaitFor([&] { return cancel->isVisible(); }, 10000));
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(!details->runner()->isBusy());
    QVERIFY(!cancel->isVisible());
    QVERIFY2(!details->histogram()->readout()->text().contains(QStringLiteral("Computing")),
             qPrintable(details->histogram()->readout()->text()));
    QVERIFY2(details->histogram()->message().contains(QStringLiteral("cancelled")), qPrintable(details->histogram()->message()));
    QVERIFY(details->statsLabel()->text().contains(QStringLiteral("cancelled")));

    // The label's link, reached with the keyboard, starts them again.
    QSignalSpy started(details->runner(), &StatsRunner::started);
    details->statsLabel()->setFocus();
    QTest::keyClick(details->statsLabel(), Qt::Key_Tab);  // onto the link
    QTest::keyClick(details->statsLabel(), Qt::Key_Return);
    QVERIFY(started.count() == 1 || started.wait(5000));
    QVERIFY(details->runner()->isBusy());
    details->runner()->cancel();
}

// Tab from the tree walks the Details page top to bottom: its Histogram/Values tabs, then the
// histogram's Log scale and Export…; with Values shown, the index spin boxes and the table, and
// on out of the table (not from cell to cell).
void TestWindowPolish::testDetailsTabOrder()
{
    MainWindow window;
    QVERIFY(showWithFiles(window, {data("simple_cnn.pth")}));
    CheckpointTab* tab = window.currentTab();
    TensorDetails* details = tab->details();
    QSignalSpy finished(details->runner(), &StatsRunner::finished);
    clickRow(tab, rowAt(tab, QStringLiteral("conv1.weight")));  // 4 dimensions: two index spin boxes
    QVERIFY(finished.wait(10000));
    QTRY_VERIFY(tab->treeView()->hasFocus());
    auto tabOnce = [] {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        return QApplication::focusWidget();
    };
    // The tab's own pages first (Details / Match to Model), then the Details page in reading order.
    QTabBar* pages = nullptr;
    for (QTabWidget* candidate : tab->findChildren<QTabWidget*>()) {
        if (candidate->indexOf(details) == 0)
            pages = candidate->tabBar();
    }
    QVERIFY(pages);
    QCOMPARE(tabOnce(), pages);
    QTabBar* views = details->views()->tabBar();
    QCOMPARE(tabOnce(), views);
    QCOMPARE(tabOnce(), details->histogram()->logScaleBox());
    QCOMPARE(tabOnce(), details->histogram()->exportButton());
    QVERIFY(!details->isAncestorOf(tabOnce()));  // on out of the page

    views->setFocus();
    QTRY_VERIFY(views->hasFocus());
    QTest::keyClick(views, Qt::Key_Right);  // the Values tab
    QCOMPARE(details->views()->currentWidget(), details->valuePreview());
    const QVector<QSpinBox*>& spins = details->valuePreview()->indexSpinBoxes();
    QCOMPARE(spins.size(), 2);
    tabOnce();
    QVERIFY(spins[0]->hasFocus());  // its line edit has
    tabOnce();
    QVERIFY(spins[1]->hasFocus());
    QCOMPARE(tabOnce(), details->valuePreview()->table());
    QVERIFY(!details->isAncestorOf(tabOnce()));
}

QTEST_MAIN(TestWindowPolish)
#include "tst_window_polish.moc"
