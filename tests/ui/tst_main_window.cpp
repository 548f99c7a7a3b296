// The window as a user drives it: files dropped on it open in tabs, the listing matches core,
// the filter narrows it, bad files show a message instead of crashing.
#include "tests/support/large_files.h"
#include "ui/checkpoint_tab.h"
#include "ui/device_selector.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/stats_runner.h"
#include "ui/main_window.h"
#include "ui/models/parameter_tree_model.h"
#include "ui/plots/histogram_plot.h"
#include "ui/tensor_details.h"
#include "ui/weights_only_bar.h"
#include "core/stats/value_reader.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"
#include "core/runtime/torch_runtime.h"
#include "tests/support/torch_requirement.h"
#include "core/stats/stats_job.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QLineEdit>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTreeView>
#include <QUrl>
#include <QtEndian>

#include <mutex>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString data(const char* name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + QLatin1String(name);
}

void dropFiles(QWidget* target, const QStringList& paths)
{
    auto* mime = new QMimeData;
    QList<QUrl> urls;
    for (const QString& path : paths)
        urls.append(QUrl::fromLocalFile(path));
    mime->setUrls(urls);
    const QPoint center = target->rect().center();
    QDragEnterEvent enter(center, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(center), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
    delete mime;
}

}  // namespace

namespace {

// Shows the window, opens `path` and waits until it is read; the tab, or null on a timeout.
CheckpointTab* openAndWait(MainWindow& window, const QString& path)
{
    window.show();
    window.openPath(path);
    if (!QTest::qWaitFor([&] { return !window.loader()->isBusy(); }, 10000))
        return nullptr;
    return window.currentTab();
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();  // what an earlier run left (recent files, geometry) must not decide this one
    }
    void testDroppedFilesOpenInTabs();
    void testWeightsOnlyAdviceIsCopied();
    void testRefusedFileConvertsToSafetensors();
    void testListingMatchesCore();
    void testFilterKeepsMatchingRows();
    void testBadFilesShowMessages_data();
    void testBadFilesShowMessages();
    void testModelPassesModelTester();
    void testWindowGeometryIsRemembered();
    void testSelectingATensorPlotsCoresHistogram();
    void testSelectingAModulePlotsItsTensorsTogether();
    void testCancelStopsStatistics();
    void testDeviceSelectorListsWhatCoreFinds();
    void testRecentFilesReopen();
    void testFileTruncatedUnderTheApp();
};

void TestMainWindow::testDroppedFilesOpenInTabs()
{
    MainWindow window;
    window.show();
    QSignalSpy finished(window.loader(), &CheckpointLoader::loadFinished);
    dropFiles(&window, {data("simple_cnn.pth"), data("tiny.safetensors")});
    QCOMPARE(window.tabs()->count(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 10000);
    auto* first = qobject_cast<CheckpointTab*>(window.tabs()->widget(0));
    auto* second = qobject_cast<CheckpointTab*>(window.tabs()->widget(1));
    QCOMPARE(first->model()->rowCount(), 2);  // conv1, fc
    QCOMPARE(first->model()->visibleTensorCount(), 4);
    QVERIFY(second->model()->visibleTensorCount() > 5);
    QCOMPARE(window.currentTab(), second);
    // Dropping an open file again reuses its tab.
    dropFiles(&window, {data("simple_cnn.pth")});
    QTRY_VERIFY_WITH_TIMEOUT(!window.loader()->isBusy(), 10000);
    QCOMPARE(window.tabs()->count(), 2);
    QCOMPARE(window.currentTab(), first);
}

namespace {

// Opens PATH and waits for the verdicts of torch.load per release, which the tab's bar works out
// after the tree is shown; the tab, or null on a timeout.
CheckpointTab* openAndWaitForVerdicts(MainWindow& window, const QString& path)
{
    window.show();
    window.openPath(path);
    CheckpointTab* tab = window.currentTab();
    if (!tab)
        return nullptr;
    QSignalSpy shown(tab->weightsOnlyBar(), &WeightsOnlyBar::answersShown);
    return shown.wait(10000) ? tab : nullptr;
}

// Clicks a link label where its text starts (each holds one link, its whole text).
void clickLinkLabel(QLabel* label)
{
    const QRect contents = label->contentsRect();
    QTest::mouseClick(label, Qt::LeftButton, {}, QPoint(contents.left() + label->fontMetrics().averageCharWidth() * 2, contents.center().y()));
}

}  // namespace

// argparse.Namespace saved beside the weights: refused by every torch release; the banner says
// so per release and "Copy" puts the add_safe_globals line torch 2.6 needs on the clipboard.
void TestMainWindow::testWeightsOnlyAdviceIsCopied()
{
    MainWindow window;
    CheckpointTab* tab = openAndWaitForVerdicts(window, data("weights_only/namespace.pt"));
    QVERIFY(tab);
    QVERIFY(tab->banner()->isVisible());
    WeightsOnlyBar* bar = tab->weightsOnlyBar();
    QVERIFY(bar->isVisible());
    const QString verdicts = bar->verdicts()->text();
    QVERIFY2(verdicts.contains(QLatin1String("1.13 refuses it")) && verdicts.contains(QLatin1String("2.6 refuses it")), qPrintable(verdicts));
    QVERIFY(verdicts.contains(QLatin1String("add_safe_globals([argparse.Namespace])")));
    QVERIFY(verdicts.contains(QLatin1String("It then loads.")));
    QVERIFY(bar->copyLink()->isVisible());
    QVERIFY(!bar->convertLink()->isVisible());  // no tensor in it
    QApplication::clipboard()->clear();
    clickLinkLabel(bar->copyLink());
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("import torch, argparse\ntorch.serialization.add_safe_globals([argparse.Namespace])"));
    QVERIFY(bar->outcome()->isVisible());
}

// A float beside a tensor: nothing unsafe, but torch 1.13 refuses it (BINFLOAT). The notice says
// which releases refuse it; "Save the tensors as safetensors…" asks where, in the dialog a person
// types into, and writes a file whose tensor holds the original values.
void TestMainWindow::testRefusedFileConvertsToSafetensors()
{
    MainWindow window;
    CheckpointTab* tab = openAndWaitForVerdicts(window, data("weights_only/float.pt"));
    QVERIFY(tab);
    QVERIFY(tab->banner()->isVisible());
    QVERIFY2(tab->banner()->text().contains(QLatin1String("Nothing in this file runs code")), qPrintable(tab->banner()->text()));
    WeightsOnlyBar* bar = tab->weightsOnlyBar();
    QVERIFY(bar->verdicts()->text().contains(QLatin1String("1.13 refuses it (Unsupported operand 71)")));
    QVERIFY(bar->verdicts()->text().contains(QLatin1String("2.6 loads it")));
    QVERIFY(!bar->copyLink()->isVisible());
    QVERIFY(bar->convertLink()->isVisible());

    QTemporaryDir dir;
    const QString output = dir.filePath(QStringLiteral("float.safetensors"));
    bool typed = false;
    // The dialog is modal: once it shows, type the name into it and press Enter.
    QTimer poll;
    connect(&poll, &QTimer::timeout, this, [&] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            auto* dialog = qobject_cast<QFileDialog*>(widget);
            auto* name = dialog && dialog->isVisible() ? dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit")) : nullptr;
            if (!name || typed)
                continue;
            typed = true;
            poll.stop();
            name->selectAll();
            QTest::keyClicks(name, output);
            QTest::keyClick(name, Qt::Key_Return);
        }
    });
    poll.start(50);
    QSignalSpy finished(bar, &WeightsOnlyBar::conversionFinished);
    clickLinkLabel(bar->convertLink());
    QVERIFY(typed);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.takeFirst().at(0).toBool(), true);
    QVERIFY2(bar->outcome()->text().contains(QLatin1String("Wrote 1 tensors")), qPrintable(bar->outcome()->text()));

    auto written = openCheckpoint(output);
    QVERIFY2(written, qPrintable(written ? QString() : written.error().toString()));
    QCOMPARE((*written)->format, Format::Safetensors);
    QCOMPARE((*written)->tensors.size(), 1);
    const TensorInfo& w = (*written)->tensors.front();
    QCOMPARE(w.name, QStringLiteral("w"));
    QCOMPARE(w.shape, (QVector<qint64>{2}));
    auto reader = ValueReader::create(**written, w);
    QVERIFY(reader);
    QCOMPARE(reader->at({0})->real, 1.0);  // torch.ones(2), as the generator saved it
    QCOMPARE(reader->at({1})->real, 1.0);
}

void TestMainWindow::testListingMatchesCore()
{
    MainWindow window;
    window.show();
    window.openPath(data("views.pt"));
    QTRY_VERIFY_WITH_TIMEOUT(!window.loader()->isBusy(), 10000);
    auto opened = openCheckpoint(data("views.pt"));
    QVERIFY(opened);
    const ParameterTreeModel* model = window.currentTab()->model();
    QCOMPARE(model->visibleTensorCount(), int((*opened)->tensors.size()));
    // Every tensor core lists is a leaf at its dotted path, with its dtype and shape.
    int leaves = 0;
    for (int node = 1; node < model->tree().size(); ++node) {
        const int tensor = model->tree().node(node).tensor;
        if (tensor < 0)
            continue;
        ++leaves;
        const TensorInfo& expected = (*opened)->tensors[tensor];
        QCOMPARE(model->tree().path(node), expected.name.isEmpty() ? QStringLiteral("<root>") : expected.name);
        QCOMPARE(model->data(model->indexForNode(node, ParameterTreeModel::DtypeColumn)).toString(), dtypeName(expected.dtype));
        QCOMPARE(model->data(model->indexForNode(node, ParameterTreeModel::ShapeColumn)).toString(), formatShape(expected.shape));
    }
    QCOMPARE(leaves, int((*opened)->tensors.size()));
}

void TestMainWindow::testFilterKeepsMatchingRows()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data("simple_cnn.pth"));
    QVERIFY(tab);
    ParameterTreeModel* model = tab->model();
    QTest::keyClicks(tab->filterEdit(), QStringLiteral("FC."));
    QCOMPARE(model->visibleTensorCount(), 2);
    QCOMPARE(model->rowCount(), 1);  // fc, kept as the ancestor of its matches
    QCOMPARE(model->rowCount(model->index(0, 0)), 2);
    tab->filterEdit()->clear();
    QTest::keyClicks(tab->filterEdit(), QStringLiteral("^conv1\\.(weight|bias)$"));
    QCOMPARE(model->visibleTensorCount(), 2);
    tab->filterEdit()->setText(QStringLiteral("weight"));
    QCOMPARE(model->visibleTensorCount(), 2);
    QCOMPARE(model->rowCount(), 2);  // conv1 and fc, one child each
    tab->filterEdit()->setText(QStringLiteral("[unclosed"));  // not a regex: a plain substring
    QCOMPARE(model->visibleTensorCount(), 0);
    tab->filterEdit()->clear();
    QCOMPARE(model->visibleTensorCount(), 4);
}

void TestMainWindow::testBadFilesShowMessages_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");
    QTest::newRow("git lfs pointer") << data("broken_lfs_pointer.pth") << QStringLiteral("Git LFS");
    QTest::newRow("truncated zip") << data("broken_truncated_zip.pt") << QStringLiteral("truncated");
    QTest::newRow("unsafe globals") << data("hostile_os_system.pt") << QStringLiteral("posix.system");
}

void TestMainWindow::testBadFilesShowMessages()
{
    QFETCH(QString, path);
    QFETCH(QString, expected);
    MainWindow window;
    window.show();
    dropFiles(&window, {path});
    QTRY_VERIFY_WITH_TIMEOUT(!window.loader()->isBusy(), 10000);
    CheckpointTab* tab = window.currentTab();
    QVERIFY(tab);
    QVERIFY(tab->banner()->isVisible());
    QVERIFY2(tab->banner()->text().contains(expected, Qt::CaseInsensitive), qPrintable(tab->banner()->text()));
}

void TestMainWindow::testModelPassesModelTester()
{
    ParameterTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto opened = openCheckpoint(data("lightning.ckpt"));
    QVERIFY(opened);
    model.setCheckpoint(*opened);
    QCOMPARE(model.visibleTensorCount(), int((*opened)->tensors.size()));
    // Non-tensor values sit in place, candidate state dicts are marked with their share.
    bool sawValue = false, sawCandidate = false;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex name = model.index(row, ParameterTreeModel::NameColumn);
        const QString notes = model.data(model.index(row, ParameterTreeModel::NotesColumn)).toString();
        if (model.data(name).toString() == QLatin1String("epoch"))  // its value in the column on screen
            sawValue = !model.data(model.index(row, ParameterTreeModel::ShapeColumn)).toString().isEmpty();
        if (notes.contains(QLatin1String("% of the bytes")))
            sawCandidate = true;
    }
    QVERIFY(sawValue);
    QVERIFY(sawCandidate);
    model.sort(ParameterTreeModel::SizeColumn, Qt::DescendingOrder);
    const ModuleTree& tree = model.tree();
    for (int row = 1; row < model.rowCount(); ++row) {
        QVERIFY(tree.node(model.nodeForIndex(model.index(row - 1, 0))).nbytes
                >= tree.node(model.nodeForIndex(model.index(row, 0))).nbytes);
    }
    model.sort(ParameterTreeModel::NameColumn, Qt::AscendingOrder);
    model.setFilterText(QStringLiteral("running_"));
    QVERIFY(model.visibleTensorCount() > 0);
    model.setFilterText(QString());
    model.setCheckpoint(nullptr);
    QCOMPARE(model.rowCount(), 0);
}

void TestMainWindow::testWindowGeometryIsRemembered()
{
    QSettings().remove(QStringLiteral("window/geometry"));
    {
        MainWindow window;
        window.show();
        window.resize(900, 640);
        window.close();
    }
    QVERIFY(!QSettings().value(QStringLiteral("window/geometry")).toByteArray().isEmpty());
    MainWindow reopened;
    QCOMPARE(reopened.size(), QSize(900, 640));
}

namespace {

// Core's own statistics for the same selection, to compare with what the plot shows.
TensorStats coreStats(const CheckpointPtr& checkpoint, const QVector<int>& tensors, const QString& group)
{
    StatsJob job(checkpoint, StatsOptions());
    if (group.isEmpty())
        job.addTensors({tensors.first()});
    else
        job.addGroup(group, tensors);
    TensorStats result;
    std::mutex mutex;
    job.onResult = [&](const TensorStats& stats) {
        std::lock_guard<std::mutex> lock(mutex);
        result = stats;
    };
    (void)job.run();
    return result;
}

QVector<double> asDoubles(const QVector<qint64>& counts)
{
    QVector<double> out;
    for (qint64 count : counts)
        out.append(double(count));
    return out;
}

}  // namespace

void TestMainWindow::testSelectingATensorPlotsCoresHistogram()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data("simple_cnn.pth"));
    QVERIFY(tab);
    ParameterTreeModel* model = tab->model();
    int fcWeight = -1;
    for (int node = 1; node < model->tree().size(); ++node)
        if (model->tree().path(node) == QLatin1String("fc.weight"))
            fcWeight = node;
    QVERIFY(fcWeight > 0);
    QSignalSpy finished(tab->details()->runner(), &StatsRunner::finished);
    // Click the row, as a user would.
    QTreeView* view = tab->treeView();
    view->scrollTo(model->indexForNode(fcWeight));
    const QRect rect = view->visualRect(model->indexForNode(fcWeight));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    const TensorStats expected = coreStats(model->checkpoint(), {model->tree().node(fcWeight).tensor}, QString());
    QCOMPARE(tab->details()->histogram()->drawnCounts(), asDoubles(expected.histogram));
    QCOMPARE(tab->details()->titleLabel()->text(), QStringLiteral("fc.weight"));
    QVERIFY(tab->details()->statsLabel()->text().contains(QString::number(expected.moments.min, 'g', 7)));
    // The log-scale toggle and the export keep the same counts.
    tab->details()->histogram()->setLogScale(true);
    QCOMPARE(tab->details()->histogram()->drawnCounts(), asDoubles(expected.histogram));
    QTemporaryDir dir;
    QVERIFY(tab->details()->histogram()->exportTo(dir.filePath(QStringLiteral("h.png"))));
    QVERIFY(QFileInfo(dir.filePath(QStringLiteral("h.png"))).size() > 0);
}

void TestMainWindow::testSelectingAModulePlotsItsTensorsTogether()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data("simple_cnn.pth"));
    QVERIFY(tab);
    ParameterTreeModel* model = tab->model();
    const QModelIndex conv1 = model->index(0, 0);
    QCOMPARE(model->data(conv1).toString(), QStringLiteral("conv1"));
    QSignalSpy finished(tab->details()->runner(), &StatsRunner::finished);
    tab->treeView()->setCurrentIndex(conv1);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    QVector<int> tensors;
    for (int child : model->tree().node(model->nodeForIndex(conv1)).children)
        tensors.append(model->tree().node(child).tensor);
    const TensorStats expected = coreStats(model->checkpoint(), tensors, QStringLiteral("conv1"));
    QCOMPARE(expected.tensorCount, 2);
    QCOMPARE(tab->details()->histogram()->drawnCounts(), asDoubles(expected.histogram));
}

void TestMainWindow::testCancelStopsStatistics()
{
    // A 192 MiB file: its root module's statistics take long enough to cancel.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("large.safetensors"));
    QVERIFY(statelens::test::writeZeroSafetensors(path, 12, qint64(1) << 22));

    MainWindow window;
    CheckpointTab* tab = openAndWait(window, path);
    QVERIFY(tab);
    QSignalSpy finished(tab->details()->runner(), &StatsRunner::finished);
    tab->treeView()->setCurrentIndex(tab->model()->index(0, 0));  // "blocks": all 12 tensors
    QVERIFY(tab->details()->runner()->isBusy());
    QPushButton* cancel = tab->details()->cancelButton();
    QVERIFY(cancel);
    QTest::mouseClick(cancel, Qt::LeftButton);
    // The click returned with the job cancelled and the page saying so, without waiting for it.
    QVERIFY(!tab->details()->runner()->isBusy());
    QVERIFY(tab->details()->statsLabel()->text().contains(QLatin1String("cancelled")));
    // Once the worker has returned and posted everything, nothing of the cancelled job arrived.
    tab->details()->runner()->waitForDone();
    QCoreApplication::sendPostedEvents();
    QCOMPARE(finished.count(), 0);
}

void TestMainWindow::testDeviceSelectorListsWhatCoreFinds()
{
    MainWindow window;
    window.show();
    DeviceSelector* selector = window.deviceSelector();
    QCOMPARE(selector->device(), QStringLiteral("cpu"));
    QSignalSpy enumerated(selector, &DeviceSelector::enumerated);
    selector->enumerate();
    // enumerate() returned before the list arrived: libtorch loads off the GUI thread.
    QVERIFY(selector->isEnumerating());
    QCOMPARE(enumerated.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(enumerated.count(), 1, 30000);
    STATELENS_REQUIRE_TORCH_MODULE();  // what the list must hold comes from libtorch
    auto devices = TorchRuntime::instance().devices();
    QVERIFY2(devices, qPrintable(devices ? QString() : devices.error().message));
    QStringList listed;
    for (int i = 0; i < selector->count(); ++i)
        listed.append(selector->itemData(i).toString());
    for (const DeviceInfo& device : devices.value())
        QVERIFY2(listed.contains(device.id), qPrintable(device.id));
}

// File › Open Recent lists what was opened, newest first, and reopens it; a file that is gone
// stays listed but disabled.
void TestMainWindow::testRecentFilesReopen()
{
    QSettings().remove(QStringLiteral("files/recent"));
    QTemporaryDir folder;
    const QString doomed = folder.filePath(QStringLiteral("doomed.pth"));
    QVERIFY(QFile::copy(data("simple_cnn.pth"), doomed));
    MainWindow window;
    QVERIFY(openAndWait(window, doomed));
    QVERIFY(openAndWait(window, data("tiny.safetensors")));
    auto* recent = window.findChild<QMenu*>(QStringLiteral("recentMenu"));
    QVERIFY(recent);
    QCOMPARE(recent->actions().at(0)->toolTip(), QFileInfo(data("tiny.safetensors")).absoluteFilePath());
    QCOMPARE(recent->actions().at(1)->toolTip(), QFileInfo(doomed).absoluteFilePath());

    while (window.tabs()->count() > 0)
        Q_EMIT window.tabs()->tabCloseRequested(0);
    recent->actions().at(0)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.tabs()->count(), 1, 5000);
    QCOMPARE(window.currentTab()->path(), QFileInfo(data("tiny.safetensors")).absoluteFilePath());

    QVERIFY(QFile::remove(doomed));
    QVERIFY(openAndWait(window, data("simple_cnn.pth")));  // rebuilds the menu
    QAction* gone = nullptr;
    for (QAction* action : recent->actions())
        if (action->toolTip() == QFileInfo(doomed).absoluteFilePath())
            gone = action;
    QVERIFY(gone);
    QVERIFY(!gone->isEnabled());
}

// A training loop rewrites the open checkpoint in place: the tab says so and offers Reload;
// selecting a tensor whose bytes vanished shows an error, not a crash (SIGBUS on Linux).
void TestMainWindow::testFileTruncatedUnderTheApp()
{
#if defined(Q_OS_WIN)
    QSKIP("Windows refuses to truncate a mapped file");
#endif
    QTemporaryDir folder;
    const QString path = folder.filePath(QStringLiteral("training.pth"));
    QVERIFY(QFile::copy(data("simple_cnn.pth"), path));
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, path);
    QVERIFY(tab);
    QVERIFY(!tab->changedBar()->isVisible());
    QVERIFY(QFile::resize(path, 700));
    QTRY_VERIFY_WITH_TIMEOUT(tab->changedBar()->isVisible(), 5000);

    int fcWeight = -1;
    for (int node = 0; node < tab->model()->tree().size(); ++node) {
        if (tab->model()->tree().path(node) == QLatin1String("fc.weight"))
            fcWeight = node;
    }
    const QModelIndex index = tab->model()->indexForNode(fcWeight);
    QVERIFY(index.isValid());
    tab->treeView()->setCurrentIndex(index);
    QTRY_VERIFY_WITH_TIMEOUT(tab->details()->statsLabel()->text().contains(QStringLiteral("since it was opened")), 10000);
    QVERIFY(tab->details()->histogram()->drawnCounts().isEmpty());

    QSignalSpy failed(window.loader(), &CheckpointLoader::loadFailed);
    auto* reload = tab->changedBar()->findChild<QPushButton*>(QStringLiteral("reloadButton"));
    QVERIFY(reload);
    QTest::mouseClick(reload, Qt::LeftButton);
    QVERIFY(failed.wait(10000));  // 700 bytes of a zip: a clear error in the same tab
    QCOMPARE(window.tabs()->count(), 1);
    QVERIFY(tab->banner()->isVisible());
    QVERIFY(tab->banner()->text().contains(QStringLiteral("Cannot open")));
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
