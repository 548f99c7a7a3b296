// The details panel's value preview as a user drives it: select a tensor, open the Values tab,
// pick the leading indices with the spin boxes, read the cells. Every expected cell comes from
// torch (tests/data/stats/values_expected.json, written by make_value_fixtures.py).
#include "ui/models/tensor_values_model.h"
#include "ui/plots/histogram_plot.h"
#include "ui/tensor_details.h"
#include "ui/value_preview.h"

#include "core/formats/checkpoint_reader.h"
#include "core/model/module_tree.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString data(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + name;
}

QJsonObject expectations()
{
    QFile file(data(QStringLiteral("stats/values_expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

// Python's repr of a float ("nan", "-inf", "0.1") as a double.
double parseFloat(const QString& text)
{
    if (text == QLatin1String("nan"))
        return std::nan("");
    if (text == QLatin1String("inf"))
        return HUGE_VAL;
    if (text == QLatin1String("-inf"))
        return -HUGE_VAL;
    bool ok = false;
    const double value = text.toDouble(&ok);
    return ok ? value : -12345.678;
}

bool sameDouble(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

int nodeAt(const ModuleTree& tree, const QString& path)
{
    for (int node = 1; node < tree.size(); ++node)
        if (tree.path(node) == path)
            return node;
    return -1;
}

// A checkpoint with its tree, and the details panel showing one node of it.
struct Shown {
    CheckpointPtr checkpoint;
    ModuleTree tree;
    int node = -1;
};

Shown open(const QString& path, const QString& select)
{
    Shown shown;
    auto opened = openCheckpoint(path);
    if (!opened)
        return shown;
    shown.checkpoint = opened.value();
    shown.tree = ModuleTree::build(*shown.checkpoint);
    shown.node = nodeAt(shown.tree, select);
    return shown;
}

}  // namespace

class TestValuePreview : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testSliceMatchesTorch_data();
    void testSliceMatchesTorch();
    void testHistogramStaysTheDefaultTab();
    void testSpinBoxesFollowTheLeadingDimensions();
    void testLargeSliceDecodesOnlyWhatIsShown();
    void testModulesAndValuesSayValuesAreForTensors();
    void testOutOfBoundsViewShowsMessage();
    void testShrunkFileShowsMessage();
    void testFileShrinkingUnderAShownTableShowsMessage();
    void testModelPassesModelTester();
};

void TestValuePreview::testSliceMatchesTorch_data()
{
    QTest::addColumn<QJsonObject>("expected");
    const QJsonObject doc = expectations();
    QVERIFY(!doc.isEmpty());
    QCOMPARE(doc.value(QStringLiteral("max_cells")).toInt(), TensorValuesModel::kMaxCells);
    for (const QJsonValue& c : doc.value(QStringLiteral("cases")).toArray()) {
        const QJsonObject expected = c.toObject();
        QTest::newRow(qPrintable(expected.value(QStringLiteral("tensor")).toString())) << expected;
    }
}

void TestValuePreview::testSliceMatchesTorch()
{
    QFETCH(QJsonObject, expected);
    const QString name = expected.value(QStringLiteral("tensor")).toString();
    Shown shown = open(data(QStringLiteral("stats/values.pt")), name);
    QVERIFY(shown.checkpoint);
    QVERIFY(shown.node > 0);
    TensorDetails details;
    details.resize(700, 600);
    details.show();
    details.showNode(shown.checkpoint, shown.tree, shown.node);
    ValuePreview* preview = details.valuePreview();
    details.views()->setCurrentWidget(preview);
    QVERIFY2(preview->messageLabel()->isHidden(), qPrintable(preview->messageLabel()->text()));

    // The leading indices, typed into the spin boxes as a user would.
    const QJsonArray index = expected.value(QStringLiteral("index")).toArray();
    QCOMPARE(preview->indexSpinBoxes().size(), index.size());
    for (int d = 0; d < index.size(); ++d) {
        QSpinBox* spin = preview->indexSpinBoxes()[d];
        spin->selectAll();
        QTest::keyClicks(spin, QString::number(index[d].toInt()));
        QCOMPARE(spin->value(), index[d].toInt());
    }
    const TensorValuesModel* model = preview->model();
    QCOMPARE(model->leadingIndex().size(), index.size());
    for (int d = 0; d < index.size(); ++d)
        QCOMPARE(model->leadingIndex()[d], qint64(index[d].toInt()));

    QCOMPARE(model->rowCount(), expected.value(QStringLiteral("rows")).toInt());
    QCOMPARE(model->columnCount(), expected.value(QStringLiteral("cols")).toInt());
    const QString dtype = expected.value(QStringLiteral("dtype")).toString();
    for (const QJsonValue& c : expected.value(QStringLiteral("cells")).toArray()) {
        const QJsonArray cell = c.toArray();
        const int row = cell[0].toInt(), column = cell[1].toInt();
        const QModelIndex at = model->index(row, column);
        const QString where = QStringLiteral("%1[%2, %3]").arg(name).arg(row).arg(column);
        QCOMPARE(model->data(at).toString(), cell[2].toString());
        const QVariant value = model->data(at, TensorValuesModel::ValueRole);
        if (dtype == QLatin1String("bool")) {
            QCOMPARE(value.toBool(), cell[3].toString() == QLatin1String("True"));
        } else if (dtype.startsWith(QLatin1String("complex"))) {
            const QVariantList parts = value.toList();
            QCOMPARE(parts.size(), 2);
            const QJsonArray exact = cell[3].toArray();
            QVERIFY2(sameDouble(parts[0].toDouble(), parseFloat(exact[0].toString())), qPrintable(where));
            QVERIFY2(sameDouble(parts[1].toDouble(), parseFloat(exact[1].toString())), qPrintable(where));
        } else if (dtype.startsWith(QLatin1String("int"))) {
            QCOMPARE(value.toLongLong(), cell[3].toString().toLongLong());
        } else if (dtype.startsWith(QLatin1String("uint"))) {
            QCOMPARE(value.toULongLong(), cell[3].toString().toULongLong());
        } else {
            QVERIFY2(sameDouble(value.toDouble(), parseFloat(cell[3].toString())),
                     qPrintable(where + QStringLiteral(": %1 vs %2").arg(value.toDouble(), 0, 'g', 17).arg(cell[3].toString())));
        }
    }
    // Headers are the indices along the slice's dimensions.
    const int dims = expected.value(QStringLiteral("shape")).toArray().size();
    if (dims >= 1)
        QCOMPARE(model->headerData(model->rowCount() - 1, Qt::Vertical).toString(), QString::number(model->rowCount() - 1));
    if (dims >= 2)
        QCOMPARE(model->headerData(model->columnCount() - 1, Qt::Horizontal).toString(), QString::number(model->columnCount() - 1));
}

void TestValuePreview::testHistogramStaysTheDefaultTab()
{
    Shown shown = open(data(QStringLiteral("stats/values.pt")), QStringLiteral("conv_weight"));
    QVERIFY(shown.node > 0);
    TensorDetails details;
    details.resize(700, 600);
    details.show();
    details.showNode(shown.checkpoint, shown.tree, shown.node);
    QCOMPARE(details.views()->currentWidget(), details.histogram());
    QVERIFY(details.histogram()->isVisible());
    QVERIFY(!details.valuePreview()->isVisible());
    // Nothing is decoded for a tab nobody looks at.
    QCOMPARE(details.valuePreview()->model()->decodedCells(), qint64(0));
}

void TestValuePreview::testSpinBoxesFollowTheLeadingDimensions()
{
    Shown shown = open(data(QStringLiteral("stats/values.pt")), QStringLiteral("conv_weight"));
    QVERIFY(shown.node > 0);
    ValuePreview preview;
    preview.show();
    const int tensor = shown.tree.node(shown.node).tensor;
    preview.showTensor(shown.checkpoint, tensor);
    QCOMPARE(preview.indexSpinBoxes().size(), 2);  // [6, 3, 5, 5]: t[i, j, :, :]
    QCOMPARE(preview.indexSpinBoxes()[0]->maximum(), 5);
    QCOMPARE(preview.indexSpinBoxes()[1]->maximum(), 2);
    preview.indexSpinBoxes()[0]->setValue(99);  // clamped by the spin box to the last index
    QCOMPARE(preview.model()->leadingIndex(), (QVector<qint64>{5, 0}));
    QCOMPARE(preview.summaryLabel()->text(), QStringLiteral("5 × 5"));
    // Shown again (the details panel redraws on a device change): the slice stays.
    preview.showTensor(shown.checkpoint, tensor);
    QCOMPARE(preview.model()->leadingIndex(), (QVector<qint64>{5, 0}));
    QCOMPARE(preview.indexSpinBoxes()[0]->value(), 5);
    // A 2-D tensor has no leading dimensions; a 1-D one shows its first values.
    preview.showTensor(shown.checkpoint, shown.tree.node(nodeAt(shown.tree, QStringLiteral("transposed"))).tensor);
    QVERIFY(preview.indexSpinBoxes().isEmpty());
    preview.showTensor(shown.checkpoint, shown.tree.node(nodeAt(shown.tree, QStringLiteral("vector"))).tensor);
    QVERIFY(preview.indexSpinBoxes().isEmpty());
    QCOMPARE(preview.summaryLabel()->text(), QStringLiteral("first 256 of 1,000 values"));
    QCOMPARE(preview.model()->headerData(0, Qt::Horizontal).toString(), QStringLiteral("value"));
}

void TestValuePreview::testLargeSliceDecodesOnlyWhatIsShown()
{
    Shown shown = open(data(QStringLiteral("stats/values.pt")), QStringLiteral("wide"));
    QVERIFY(shown.node > 0);
    ValuePreview preview;
    preview.resize(500, 300);
    preview.show();
    preview.showTensor(shown.checkpoint, shown.tree.node(shown.node).tensor);
    QVERIFY(QTest::qWaitForWindowExposed(&preview));
    QCoreApplication::processEvents();
    const TensorValuesModel* model = preview.model();
    QCOMPARE(model->sliceRows(), qint64(300));
    QCOMPARE(model->sliceColumns(), qint64(400));
    QCOMPARE(model->rowCount(), 256);
    QCOMPARE(model->columnCount(), 256);
    QVERIFY(preview.summaryLabel()->text().contains(QStringLiteral("first 256 × 256 shown")));
    // The view asked for what fits in 500 x 300 pixels, not 65 536 cells (or 120 000).
    QVERIFY2(model->decodedCells() > 0 && model->decodedCells() < 2000, qPrintable(QString::number(model->decodedCells())));
    const qint64 before = model->decodedCells();
    preview.table()->scrollToBottom();
    QCoreApplication::processEvents();
    QVERIFY(model->decodedCells() - before < 2000);
}

void TestValuePreview::testModulesAndValuesSayValuesAreForTensors()
{
    Shown shown = open(data(QStringLiteral("stats/stats_module_tree.pt")), QStringLiteral("layer1"));
    QVERIFY(shown.node > 0);
    TensorDetails details;
    details.show();
    details.views()->setCurrentWidget(details.valuePreview());
    details.showNode(shown.checkpoint, shown.tree, shown.node);
    ValuePreview* preview = details.valuePreview();
    QVERIFY(preview->table()->isHidden());
    QVERIFY(preview->messageLabel()->text().contains(QLatin1String("tensors")));
    QCOMPARE(preview->model()->rowCount(), 0);
    // A plain value (a training checkpoint's epoch).
    Shown lightning = open(data(QStringLiteral("lightning.ckpt")), QStringLiteral("epoch"));
    QVERIFY(lightning.node > 0);
    details.showNode(lightning.checkpoint, lightning.tree, lightning.node);
    QVERIFY(preview->table()->isHidden());
    QVERIFY(preview->messageLabel()->text().contains(QLatin1String("tensors")));
    // And back to a tensor.
    details.showNode(shown.checkpoint, shown.tree, nodeAt(shown.tree, QStringLiteral("fc.weight")));
    QVERIFY(preview->messageLabel()->isHidden());
    QCOMPARE(preview->model()->rowCount(), 10);
}

void TestValuePreview::testOutOfBoundsViewShowsMessage()
{
    Shown shown = open(data(QStringLiteral("stats/values.pt")), QStringLiteral("stepped"));
    QVERIFY(shown.node > 0);
    // A view reaching past its storage, as a corrupt or hostile file could describe.
    TensorInfo& stepped = shown.checkpoint->tensors[shown.tree.node(shown.node).tensor];
    stepped.shape = {3000, 3};
    ValuePreview preview;
    preview.show();
    preview.showTensor(shown.checkpoint, shown.tree.node(shown.node).tensor);
    QVERIFY(preview.table()->isHidden());
    QVERIFY2(preview.messageLabel()->text().contains(QLatin1String("reaches byte")), qPrintable(preview.messageLabel()->text()));
    QCOMPARE(preview.model()->rowCount(), 0);
    QVERIFY(!preview.model()->data(preview.model()->index(0, 0)).isValid());
}

void TestValuePreview::testShrunkFileShowsMessage()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("values.pt"));
    QVERIFY(QFile::copy(data(QStringLiteral("stats/values.pt")), path));
    Shown shown = open(path, QStringLiteral("conv_weight"));
    QVERIFY(shown.node > 0);
    ValuePreview preview;
    preview.show();
    preview.showTensor(shown.checkpoint, shown.tree.node(shown.node).tensor);
    QVERIFY(preview.messageLabel()->isHidden());
    // Cut under the map: reading a cell now would fault (SIGBUS), so nothing may be read.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.resize(512));
    file.close();
    preview.indexSpinBoxes()[0]->setValue(3);
    QVERIFY(preview.table()->isHidden());
    QVERIFY2(preview.messageLabel()->text().contains(QLatin1String("shrank")), qPrintable(preview.messageLabel()->text()));
    preview.showTensor(shown.checkpoint, shown.tree.node(nodeAt(shown.tree, QStringLiteral("wide"))).tensor);
    QVERIFY(preview.table()->isHidden());
    QVERIFY(preview.messageLabel()->text().contains(QLatin1String("shrank")));
}

void TestValuePreview::testFileShrinkingUnderAShownTableShowsMessage()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("values.pt"));
    QVERIFY(QFile::copy(data(QStringLiteral("stats/values.pt")), path));
    Shown shown = open(path, QStringLiteral("wide"));
    QVERIFY(shown.node > 0);
    ValuePreview preview;
    preview.resize(500, 300);
    preview.show();
    preview.showTensor(shown.checkpoint, shown.tree.node(shown.node).tensor);
    QVERIFY(QTest::qWaitForWindowExposed(&preview));
    QTRY_VERIFY(preview.model()->decodedCells() > 0);
    // The view fetches cells again (a scroll) well after the last size check: the model checks
    // before reading, answers nothing and drops the tensor. (No repaint may check meanwhile.)
    preview.table()->viewport()->setUpdatesEnabled(false);
    QTest::qWait(2 * 250 + 50);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.resize(512));
    file.close();
    const qint64 before = preview.model()->decodedCells();
    QVERIFY(!preview.model()->data(preview.model()->index(255, 255)).isValid());
    QCOMPARE(preview.model()->decodedCells(), before);
    QTRY_VERIFY(preview.table()->isHidden());
    QVERIFY2(preview.messageLabel()->text().contains(QLatin1String("shrank")), qPrintable(preview.messageLabel()->text()));
    QCOMPARE(preview.model()->rowCount(), 0);
}

void TestValuePreview::testModelPassesModelTester()
{
    Shown shown = open(data(QStringLiteral("stats/values.pt")), QStringLiteral("uint8_3d"));
    QVERIFY(shown.node > 0);
    TensorValuesModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(model.setTensor(shown.checkpoint, shown.tree.node(shown.node).tensor));
    QVERIFY(model.setLeadingIndex({1}));
    QVERIFY(!model.setLeadingIndex({2}));  // outside [2, 3, 4]
    QCOMPARE(model.leadingIndex(), QVector<qint64>{1});
    QVERIFY(!model.setTensor(shown.checkpoint, 10000));
    QCOMPARE(model.rowCount(), 0);
    model.clear();
}

QTEST_MAIN(TestValuePreview)
#include "tst_value_preview.moc"
