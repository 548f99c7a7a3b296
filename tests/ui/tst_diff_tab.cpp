// The comparison tab as a user sees it: statuses and deltas in the tree equal torch's (from
// tests/data/diff/make_diff_fixtures.py), modules count their tensors, the chart has a bar per
// layer, a selected tensor shows both histograms, "Only differences" filters, Ctrl+drop of two
// files opens a comparison, and Cancel stops it.
#include "ui/diff_tab.h"
#include "ui/jobs/diff_runner.h"
#include "ui/main_window.h"
#include "ui/models/diff_tree_model.h"
#include "ui/plots/diff_chart.h"
#include "ui/plots/diff_histograms.h"

#include "ui/plots/qcustomplot_include.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTest>
#include <QTreeView>

#include <QHeaderView>
#include <QScrollBar>

#include <algorithm>
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

QJsonObject deepExpected()
{
    QFile file(dataPath(QStringLiteral("diff/deep_expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

// Runs a comparison of two fixtures to its end; the tab is shown at a size a person would have.
bool compare(DiffTab& tab)
{
    QSignalSpy finished(&tab, &DiffTab::comparisonFinished);
    tab.resize(1300, 760);
    tab.show();
    if (!QTest::qWaitForWindowExposed(&tab))
        return false;
    tab.start(QStringLiteral("cpu"));
    return finished.wait(30000);
}

// Clicks a column's header, scrolling the tree sideways first when the column is out of view.
void clickHeader(QTreeView* tree, int column)
{
    QHeaderView* header = tree->header();
    tree->horizontalScrollBar()->setValue(header->sectionPosition(column));
    const int x = header->sectionViewportPosition(column) + header->sectionSize(column) / 2;
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, QPoint(x, header->height() / 2));
}

// The rows under `parent` in the order the view shows them, by path.
QStringList shownOrder(const QAbstractItemModel* model, const QModelIndex& parent = {})
{
    QStringList paths;
    for (int row = 0; row < model->rowCount(parent); ++row)
        paths.append(model->index(row, 0, parent).data(DiffTreeModel::PathRole).toString());
    return paths;
}

// Checks that `paths` are ordered by torch's figures (`figures`: path -> number, or null/absent
// for a blank): the numbers first, descending or ascending, then every blank.
void verifyOrder(const QStringList& paths, const QJsonObject& figures, Qt::SortOrder order)
{
    bool blankSeen = false;
    double previous = order == Qt::DescendingOrder ? INFINITY : -INFINITY;
    for (const QString& path : paths) {
        const QJsonValue figure = figures.value(path);
        if (figure.isNull() || figure.isUndefined()) {
            blankSeen = true;
            continue;
        }
        QVERIFY2(!blankSeen, qPrintable(path + QStringLiteral(" after a blank")));
        // Figures equal to the last digits (float32_changed and float64_changed move the same
        // values) may sit either way round: ours and torch's round differently.
        const double value = figure.toDouble();
        const double slack = 1e-9 * std::abs(value) + 1e-12;
        QVERIFY2(order == Qt::DescendingOrder ? value <= previous + slack : value >= previous - slack, qPrintable(path));
        previous = value;
    }
}

QJsonObject figuresOf(const QJsonArray& tensors, const QString& key)
{
    QJsonObject figures;
    for (const QJsonValue& value : tensors) {
        const QJsonObject t = value.toObject();
        figures.insert(t.value(QStringLiteral("name")).toString(), t.value(key));
    }
    return figures;
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
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();  // what an earlier run left (recent files, geometry) must not decide this one
    }

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
        // The chart: a row per module that owns tensors, or per run of unchanged ones folded
        // together, in file order; a bar for each row with a relative change.
        const QVector<DiffChart::Row>& rows = tab.chart()->rows();
        int covered = 0;
        int withBars = 0;
        for (const DiffChart::Row& row : rows) {
            QCOMPARE(row.firstLayer, covered);
            covered += row.layerCount;
            withBars += !row.isFold() && !std::isnan(row.value) ? 1 : 0;
        }
        QCOMPARE(covered, tab.model()->layers().size());
        QCOMPARE(tab.chart()->bars()->data()->size(), withBars);
        // A file against an identical copy (torch: every tensor the same) folds into one row.
        const bool allSame = std::all_of(tensors.begin(), tensors.end(), [](const QJsonValue& t) {
            return t.toObject().value(QStringLiteral("status")).toString() == QLatin1String("same");
        });
        if (allSame) {
            QCOMPARE(rows.size(), 1);
            QVERIFY(rows.first().isFold());
        }
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

    // 75 layers: horizontal bars under a fixed axis that scroll, runs of unchanged layers folded
    // into a row each (a click unfolds one), the replaced head marked, every bar torch's figure.
    void deepChartFoldsScrollsAndMarks()
    {
        const QJsonObject expected = deepExpected();
        const QJsonArray layers = expected.value(QStringLiteral("layers")).toArray();
        QCOMPARE(layers.size(), 75);
        DiffTab tab(dataPath(expected.value(QStringLiteral("a")).toString()), dataPath(expected.value(QStringLiteral("b")).toString()));
        QVERIFY(compare(tab));
        DiffChart* chart = tab.chart();
        QCOMPARE(chart->bars()->keyAxis(), chart->plot()->yAxis);  // layers down the side

        // The rows torch's statuses call for: runs of 2 or more unchanged layers folded.
        struct Expected {
            QString path;
            int layers;
        };
        QVector<Expected> rows;
        for (int i = 0; i < layers.size();) {
            int end = i;
            while (end < layers.size() && layers[end].toObject().value(QStringLiteral("unchanged")).toBool())
                ++end;
            const int run = end - i >= DiffChart::kMinFold ? end - i : 1;
            rows.append({layers[i].toObject().value(QStringLiteral("path")).toString(), run});
            i += run;
        }
        QCOMPARE(chart->rows().size(), rows.size());
        for (int r = 0; r < rows.size(); ++r) {
            const DiffChart::Row& row = chart->rows()[r];
            QCOMPARE(row.path, rows[r].path);
            QCOMPARE(row.layerCount, rows[r].layers);
            if (row.isFold())
                continue;
            const QJsonObject layer = layers[row.firstLayer].toObject();
            QVERIFY2(closeTo(row.value, layer.value(QStringLiteral("rel_l2"))), qPrintable(row.path));
            QCOMPARE(row.mark.contains(QStringLiteral("shape changed")), layer.value(QStringLiteral("shape_changed")).toBool());
        }
        QVERIFY(chart->rows().last().mark.contains(QStringLiteral("shape changed")));  // the head

        // More rows than fit: a scroll bar, and at its end the last row is on screen.
        chart->plot()->replot();
        QVERIFY(chart->visibleRowCount() < chart->rows().size());
        QVERIFY(chart->scrollBar()->isVisible());
        QCOMPARE(chart->firstVisibleRow(), 0);
        chart->scrollBar()->triggerAction(QAbstractSlider::SliderToMaximum);
        chart->plot()->replot();
        QCOMPARE(chart->firstVisibleRow() + chart->visibleRowCount(), chart->rows().size());
        QVERIFY(chart->plot()->yAxis->range().contains(chart->rows().size() - 1));
        QVERIFY(!chart->plot()->yAxis->range().contains(0));
        chart->scrollBar()->triggerAction(QAbstractSlider::SliderToMinimum);
        chart->plot()->replot();

        // A click on the first fold shows its layers one row each.
        const DiffChart::Row fold = chart->rows().first();
        QVERIFY(fold.isFold());
        QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->rowPosition(0));
        QCOMPARE(chart->rows().size(), rows.size() + fold.layerCount - 1);
        QCOMPARE(chart->rows().first().path, QStringLiteral("embed"));
        QVERIFY(closeTo(chart->rows().first().value, layers[0].toObject().value(QStringLiteral("rel_l2"))));

        // A click on a layer's row, scrolled to, selects that module in the tree.
        const int changed = fold.layerCount;  // blocks.5.norm, just after the unfolded run
        QCOMPARE(chart->rows()[changed].path, QStringLiteral("blocks.5.norm"));
        chart->scrollBar()->setValue(changed);
        chart->plot()->replot();
        QCOMPARE(chart->firstVisibleRow(), changed);
        QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, chart->rowPosition(changed));
        QCOMPARE(tab.treeView()->currentIndex().data(DiffTreeModel::PathRole).toString(), QStringLiteral("blocks.5.norm"));
    }

    // A first click on a delta column's header puts the largest change first and the blanks
    // (not compared, or undefined) last; a second reverses the numbers, blanks still last; a
    // third brings back the file's order. For the cosine, a similarity, the smallest comes first.
    void metricHeaderSortsLargestChangeFirst()
    {
        QJsonObject dtypes;
        for (const QJsonValue& value : torchCases()) {
            if (value.toObject().value(QStringLiteral("a")).toString() == QLatin1String("diff/dtypes_a.pt"))
                dtypes = value.toObject();
        }
        const QJsonArray tensors = dtypes.value(QStringLiteral("tensors")).toArray();
        QVERIFY(!tensors.isEmpty());
        DiffTab tab(dataPath(QStringLiteral("diff/dtypes_a.pt")), dataPath(QStringLiteral("diff/dtypes_b.pt")));
        QAbstractItemModelTester tester(tab.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(compare(tab));
        const QStringList fileOrder = shownOrder(tab.proxy());
        QCOMPARE(fileOrder.size(), tensors.size());  // every tensor at the top level

        const QJsonObject relL2 = figuresOf(tensors, QStringLiteral("rel_l2"));
        clickHeader(tab.treeView(), DiffTreeModel::RelL2Column);
        QCOMPARE(tab.treeView()->header()->sortIndicatorOrder(), Qt::DescendingOrder);
        QStringList shown = shownOrder(tab.proxy());
        QString largest;
        for (auto it = relL2.begin(); it != relL2.end(); ++it) {
            if (it.value().isDouble() && (largest.isEmpty() || it.value().toDouble() > relL2.value(largest).toDouble()))
                largest = it.key();
        }
        QCOMPARE(shown.first(), largest);  // torch's largest
        verifyOrder(shown, relL2, Qt::DescendingOrder);
        QCOMPARE(shown.last(), QStringLiteral("only_in_b"));  // blanks keep the file's order

        clickHeader(tab.treeView(), DiffTreeModel::RelL2Column);
        verifyOrder(shownOrder(tab.proxy()), relL2, Qt::AscendingOrder);
        clickHeader(tab.treeView(), DiffTreeModel::RelL2Column);
        QCOMPARE(shownOrder(tab.proxy()), fileOrder);

        clickHeader(tab.treeView(), DiffTreeModel::CosineColumn);
        QCOMPARE(tab.treeView()->header()->sortIndicatorOrder(), Qt::AscendingOrder);
        verifyOrder(shownOrder(tab.proxy()), figuresOf(tensors, QStringLiteral("cosine")), Qt::AscendingOrder);
        clickHeader(tab.treeView(), DiffTreeModel::MaxAbsColumn);
        verifyOrder(shownOrder(tab.proxy()), figuresOf(tensors, QStringLiteral("max_abs_diff")), Qt::DescendingOrder);
    }

    // Modules sort by their tensors' merged figure: torch's, over all floating-point tensors below.
    void metricHeaderSortsModules()
    {
        const QJsonObject expected = deepExpected();
        DiffTab tab(dataPath(expected.value(QStringLiteral("a")).toString()), dataPath(expected.value(QStringLiteral("b")).toString()));
        QAbstractItemModelTester tester(tab.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(compare(tab));
        clickHeader(tab.treeView(), DiffTreeModel::RelL2Column);
        const QJsonObject modules = expected.value(QStringLiteral("modules")).toObject();
        const QStringList top = shownOrder(tab.proxy());
        QCOMPARE(top, (QStringList{QStringLiteral("norm"), QStringLiteral("blocks"), QStringLiteral("embed"), QStringLiteral("head")}));
        verifyOrder(top, modules, Qt::DescendingOrder);
        const QModelIndex blocks = tab.proxy()->index(top.indexOf(QStringLiteral("blocks")), 0);
        const QStringList inBlocks = shownOrder(tab.proxy(), blocks);
        QCOMPARE(inBlocks.size(), 24);
        verifyOrder(inBlocks, modules, Qt::DescendingOrder);
        QCOMPARE(modules.value(inBlocks.first()).toDouble(), modules.value(QStringLiteral("blocks.23")).toDouble());
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
        // Once the worker has returned and posted everything, no result of the cancelled run arrived.
        tab.runner()->waitForDone();
        QCoreApplication::sendPostedEvents();
        QCOMPARE(finished.count(), 1);
    }
};

QTEST_MAIN(TestDiffTab)
#include "tst_diff_tab.moc"
