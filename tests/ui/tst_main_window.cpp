// The window as a user drives it: files dropped on it open in tabs, the listing matches core,
// the filter narrows it, bad files show a message instead of crashing.
#include "ui/checkpoint_loader.h"
#include "ui/checkpoint_tab.h"
#include "ui/main_window.h"
#include "ui/tensor_list_model.h"

#include "core/checkpoint_reader.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
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
    QCOMPARE(first->model()->rowCount(), 4);
    QVERIFY(second->model()->rowCount() > 5);
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
    const TensorListModel* model = window.currentTab()->model();
    QCOMPARE(model->rowCount(), int((*opened)->tensors.size()));
    for (int row = 0; row < model->rowCount(); ++row) {
        const QString expectedName = (*opened)->tensors[row].name;
        QCOMPARE(model->data(model->index(row, TensorListModel::NameColumn)).toString(),
                 expectedName.isEmpty() ? QStringLiteral("<root>") : expectedName);
        QCOMPARE(model->data(model->index(row, TensorListModel::DtypeColumn)).toString(), dtypeName((*opened)->tensors[row].dtype));
    }
}

void TestMainWindow::testFilterKeepsMatchingRows()
{
    MainWindow window;
    window.show();
    window.openPath(data("simple_cnn.pth"));
    QTRY_VERIFY_WITH_TIMEOUT(!window.loader()->isBusy(), 10000);
    CheckpointTab* tab = window.currentTab();
    QTest::keyClicks(tab->filterEdit(), QStringLiteral("FC."));
    QCOMPARE(tab->proxy()->rowCount(), 2);
    tab->filterEdit()->clear();
    QTest::keyClicks(tab->filterEdit(), QStringLiteral("^conv1\\.(weight|bias)$"));
    QCOMPARE(tab->proxy()->rowCount(), 2);
    tab->filterEdit()->setText(QStringLiteral("[unclosed"));  // not a regex: a plain substring
    QCOMPARE(tab->proxy()->rowCount(), 0);
    tab->filterEdit()->clear();
    QCOMPARE(tab->proxy()->rowCount(), 4);
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
    TensorListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto opened = openCheckpoint(data("lightning.ckpt"));
    QVERIFY(opened);
    model.setCheckpoint(*opened);
    QCOMPARE(model.rowCount(), int((*opened)->tensors.size()));
    QSortFilterProxyModel proxy;
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setSourceModel(&model);
    proxy.setSortRole(TensorListModel::SortRole);
    proxy.sort(TensorListModel::SizeColumn, Qt::DescendingOrder);
    QVERIFY(proxy.data(proxy.index(0, TensorListModel::SizeColumn), TensorListModel::SortRole).toLongLong()
            >= proxy.data(proxy.index(proxy.rowCount() - 1, TensorListModel::SizeColumn), TensorListModel::SortRole).toLongLong());
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
