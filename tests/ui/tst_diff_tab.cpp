// The comparison tab as a user sees it: statuses and deltas in the tree equal torch's (from
// tests/data/diff/make_diff_fixtures.py), modules count their tensors, the chart has a bar per
// layer, a selected tensor shows both histograms, "Only differences" filters, Ctrl+drop of two
// files opens a comparison, and Cancel stops it.
#include "ui/diff_chart.h"
#include "ui/diff_histograms.h"
#include "ui/diff_runner.h"
#include "ui/diff_tab.h"
#include "ui/diff_tree_model.h"
#include "ui/main_window.h"

#include "qcustomplot_include.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeData>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QTreeView>

#include <cmath>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString dataPath(const QString& relative)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + relative;
}

QJsonArray torchCases()
{
    QFile file(dataPath(QStringLiteral("diff/diff_expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("cases")).toArray();
}

// The model index of a tensor row by its aligned name.
QModelIndex findTensor(const QAbstractItemModel* model, const QString& name, const QModelIndex& parent = {})
{
    for (int row = 0; row < model->rowCount(parent); ++row) {
        const QModelIndex index = model->index(row, 0, parent);
        if (index.data(DiffTreeModel::EntryRole).toInt() >= 0 && index.data(DiffTreeModel::PathRole).toString() == name)
            return index;
        const QModelIndex below = findTensor(model, name, index);
        if (below.isValid())
            return below;
    }
    return {};
}

bool closeTo(double ours, const QJsonValue& torch)
{
    if (torch.isNull())
        return !std::isfinite(ours);
    const double expected = torch.toDouble();
    return std::abs(ours - expected) <= 1e-9 + 1e-9 * std::abs(expected);
}

}  // namespace

class TestDiffTab : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void statusesAndDeltasEqualTorch_data()
    {
        QTest::addColumn<QJsonObject>("expected");
        for (const QJsonValue& value : torchCases()) {
            const QJsonObject c = value.toObject();
            // The GUI aligns by itself (auto-found state dicts, no prefix options): cases that need
            // explicit keys or prefixes are the CLI's (tst_diff).
            if (!c.value(QStringLiteral("strip_a")).toArray().isEmpty() || !c.value(QStringLiteral("strip_b")).toArray().isEmpty())
                continue;
            QTest::newRow(qPrintable(c.value(QStringLiteral("name")).toString())) << c;
        }
    }
    void statusesAndDeltasEqualTorch()
    {
        QFETCH(QJsonObject, expected);
        DiffTab tab(dataPath(expected.value(QStringLiteral("a")).toString()), dataPath(expected.value(QStringLiteral("b")).toString()));
        QSignalSpy finished(&tab, &DiffTab::comparisonFinished);
        tab.start(QStringLiteral("cpu"));
        QVERIFY(finished.wait(30000));
        QAbstractItemModelTester tester(tab.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const DiffTreeModel* model = tab.model();
        QCOMPARE(model->pendingCount(), 0);
        const QJsonArray tensors = expected.value(QStringLiteral("tensors")).toArray();
        int tensorRows = 0;
        for (int s = 0; s < 6; ++s)
            tensorRows += model->count(DiffStatus(s));
        QCOMPARE(tensorRows, tensors.size());
        for (const QJsonValue& value : tensors) {
            const QJsonObject t = value.toObject();
            const QString name = t.value(QStringLiteral("name")).toString();
            const QModelIndex index = findTensor(model, name);
            QVERIFY2(index.isValid(), qPrintable(name));
            QCOMPARE(index.siblingAtColumn(DiffTreeModel::StatusColumn).data().toString(), t.value(QStringLiteral("status")).toString());
            if (!t.contains(QStringLiteral("rel_l2")))
                continue;
            const TensorDiff& diff = model->plan().entries[index.data(DiffTreeModel::EntryRole).toInt()];
            if (!diff.hasDeltas())
                continue;
            const DiffDeltas deltas = diff.deltas();
            QVERIFY2(closeTo(deltas.maxAbs, t.value(QStringLiteral("max_abs_diff"))), qPrintable(name));
            QVERIFY2(closeTo(deltas.relL2, t.value(QStringLiteral("rel_l2"))), qPrintable(name));
            QVERIFY2(closeTo(deltas.cosine, t.value(QStringLiteral("cosine"))), qPrintable(name));
        }
        // One bar per module that owns tensors.
        QCOMPARE(tab.chart()->bars()->data()->size(), tab.model()->layers().size());
    }

    void onlyDifferencesAndHistograms()
    {
        DiffTab tab(dataPath(QStringLiteral("diff/mlp.pth")), dataPath(QStringLiteral("diff/mlp_extra_keys.pth")));
        QSignalSpy finished(&tab, &DiffTab::comparisonFinished);
        tab.start(QStringLiteral("cpu"));
        QVERIFY(finished.wait(30000));
        QSortFilterProxyModel* proxy = tab.proxy();
        const int all = proxy->rowCount();
        tab.onlyDifferences()->setChecked(true);
        std::function<int(const QModelIndex&)> sameRows = [&](const QModelIndex& parent) {
            int same = 0;
            for (int row = 0; row < proxy->rowCount(parent); ++row) {
                const QModelIndex index = proxy->index(row, 0, parent);
                same += index.data(DiffTreeModel::DiffersRole).toBool() ? 0 : 1;
                same += sameRows(index);
            }
            return same;
        };
        QCOMPARE(sameRows({}), 0);
        tab.onlyDifferences()->setChecked(false);
        QCOMPARE(proxy->rowCount(), all);

        // A tensor in both files: both histograms are drawn; one only in B: B's alone.
        const QModelIndex both = findTensor(proxy, QStringLiteral("0.weight"));
        QVERIFY(both.isValid());
        QSignalSpy drawn(tab.histograms(), &DiffHistograms::drawn);
        tab.treeView()->setCurrentIndex(both);
        QVERIFY(drawn.wait(10000));
        QCOMPARE(tab.histograms()->graphA()->data()->size(), 64);
        QCOMPARE(tab.histograms()->graphB()->data()->size(), 64);
    }

    void ctrlDropOfTwoFilesCompares()
    {
        MainWindow window;
        window.show();
        auto* mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(dataPath(QStringLiteral("diff/mlp.pth"))),
                       QUrl::fromLocalFile(dataPath(QStringLiteral("diff/mlp_extra_keys.pth")))});
        const QPoint center = window.rect().center();
        QDragEnterEvent enter(center, Qt::CopyAction, mime, Qt::LeftButton, Qt::ControlModifier);
        QCoreApplication::sendEvent(&window, &enter);
        QDropEvent drop(QPointF(center), Qt::CopyAction, mime, Qt::LeftButton, Qt::ControlModifier);
        QCoreApplication::sendEvent(&window, &drop);
        QVERIFY(drop.isAccepted());
        QCOMPARE(window.tabs()->count(), 1);
        auto* tab = qobject_cast<DiffTab*>(window.tabs()->widget(0));
        QVERIFY(tab);
        QTRY_VERIFY_WITH_TIMEOUT(!tab->runner()->isBusy(), 30000);
        QVERIFY(tab->summary().contains(QStringLiteral("only_b")));
        delete mime;
    }

    void cancelStopsTheComparison()
    {
        DiffTab tab(dataPath(QStringLiteral("diff/tiny_resnet18.pth")), dataPath(QStringLiteral("diff/tiny_resnet18_10class.pth")));
        QSignalSpy finished(&tab, &DiffTab::comparisonFinished);
        tab.start(QStringLiteral("cpu"));
        tab.runner()->cancel();
        QCOMPARE(finished.count(), 1);
        QVERIFY(!tab.runner()->isBusy());
        QVERIFY(tab.summaryLabel()->text().contains(QStringLiteral("cancelled")));
        QTest::qWait(300);  // results of the cancelled run must not arrive
        QCOMPARE(finished.count(), 1);
    }
};

QTEST_MAIN(TestDiffTab)
#include "tst_diff_tab.moc"
