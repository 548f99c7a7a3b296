// The window as a user drives it: files dropped on it open in tabs, the listing matches core,
// the filter narrows it, bad files show a message instead of crashing.
#include "ui/checkpoint_loader.h"
#include "ui/checkpoint_tab.h"
#include "ui/main_window.h"
#include "ui/parameter_tree_model.h"

#include "core/checkpoint_reader.h"
#include "core/display_format.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QUrl>

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

class TestMainWindow : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void testDroppedFilesOpenInTabs();
    void testListingMatchesCore();
    void testFilterKeepsMatchingRows();
    void testBadFilesShowMessages_data();
    void testBadFilesShowMessages();
    void testModelPassesModelTester();
    void testWindowGeometryIsRemembered();
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
    window.show();
    window.openPath(data("simple_cnn.pth"));
    QTRY_VERIFY_WITH_TIMEOUT(!window.loader()->isBusy(), 10000);
    CheckpointTab* tab = window.currentTab();
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
        if (model.data(name).toString() == QLatin1String("epoch"))
            sawValue = !notes.isEmpty();
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

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
