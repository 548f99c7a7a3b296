// A checkpoint's tab as a person uses it: nothing they came to see is hidden. The columns fit the
// default window with values such as `epoch` on screen; Ctrl+F reaches the filter, which counts
// its matches; a hostile file's objects sit in the tree, and the banner's links select them; a
// broken file says what is wrong in plain words before the reader's detail. Expected names and
// values come from torch (tests/data/*.expected.json) or from the generator that wrote the
// fixtures (tests/data/generate_fixtures.py), never from Statelens's own output.
#include "tests/support/fixture_expectations.h"

#include "ui/checkpoint_tab.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/main_window.h"
#include "ui/models/parameter_tree_model.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QFont>
#include <QHeaderView>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QStandardPaths>
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

// A window at its default size (no remembered geometry or split), shown and active.
void forgetLayout()
{
    QSettings().remove(QStringLiteral("window/geometry"));
    QSettings().remove(QStringLiteral("layout/treeDetailsSplit"));
}

// Opens `path` in `window` as File › Open does and waits until it is read.
CheckpointTab* openAndWait(MainWindow& window, const QString& path)
{
    window.show();
    if (!QTest::qWaitForWindowActive(&window))
        return nullptr;
    window.openPath(path);
    if (!QTest::qWaitFor([&] { return !window.loader()->isBusy(); }, 10000))
        return nullptr;
    return window.currentTab();
}

// The tree node at a dotted path, -1 when there is none.
int nodeAt(const ParameterTreeModel* model, const QString& path)
{
    for (int node = 1; node < model->tree().size(); ++node) {
        if (model->tree().path(node) == path)
            return node;
    }
    return -1;
}

const FixtureExpectation* expectationFor(const QVector<FixtureExpectation>& all, const QString& fixture)
{
    for (const FixtureExpectation& expectation : all) {
        if (expectation.fixturePath.endsWith(u'/' + fixture))
            return &expectation;
    }
    return nullptr;
}

// The banner's text as a person reads it (its HTML without the markup).
QString plainText(const QLabel* label)
{
    QString text = label->text();
    text.replace(QStringLiteral("<br>"), QStringLiteral("\n"));
    text.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
    return text.replace(QStringLiteral("&amp;"), QStringLiteral("&")).replace(QStringLiteral("&#x27;"), QStringLiteral("'"))
        .replace(QStringLiteral("&quot;"), QStringLiteral("\"")).replace(QStringLiteral("&lt;"), QStringLiteral("<"))
        .replace(QStringLiteral("&gt;"), QStringLiteral(">"));
}

// Clicks a label's link where its text starts (each link label holds one link, its whole text).
void clickLink(QLabel* label)
{
    const QRect contents = label->contentsRect();
    const QPoint start(contents.left() + label->fontMetrics().averageCharWidth() * 2, contents.top() + label->fontMetrics().height() / 2);
    QTest::mouseClick(label, Qt::LeftButton, {}, start);
}

}  // namespace

class TestCheckpointTab : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();  // what an earlier run left (recent files, geometry) must not decide this one
    }
    void init() { forgetLayout(); }
    void testColumnsFitTheDefaultWindow_data();
    void testColumnsFitTheDefaultWindow();
    void testCtrlFFocusesTheFilterAndCountsMatches();
    void testCtrlFReachesTheCurrentTabOnly();
    void testUnsafeObjectsAreInTheTree_data();
    void testUnsafeObjectsAreInTheTree();
    void testBannerLinkSelectsTheObject();
    void testBannerWarnsOfAPickleThatReadsDifferently();
    void testModuleAttributesAreListedApart();
    void testNumpyArraysAreListed();
    void testBrokenFilesSayWhatIsWrongFirst_data();
    void testBrokenFilesSayWhatIsWrongFirst();

private:
    QVector<FixtureExpectation> m_expectations = loadFixtureExpectations(QStringLiteral(STATELENS_TEST_DATA));
};

void TestCheckpointTab::testColumnsFitTheDefaultWindow_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("as the window opens") << QSize();  // MainWindow's own default size
    QTest::newRow("as --screenshot shoots") << QSize(1300, 760);  // app/statelens/main.cpp
}

// tests/data/generate_fixtures.py, fx_lightning: "epoch": 3, "hyper_parameters": {"lr": 0.001, ...}.
void TestCheckpointTab::testColumnsFitTheDefaultWindow()
{
    QFETCH(QSize, size);
    MainWindow window;
    if (size.isValid())
        window.resize(size);
    CheckpointTab* tab = openAndWait(window, data(QStringLiteral("lightning.ckpt")));
    QVERIFY(tab);
    QTreeView* view = tab->treeView();
    QAbstractItemModelTester tester(tab->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY(view->viewport()->width() > 0);
    const int visible = view->viewport()->width();
    QHeaderView* header = view->header();
    for (int column = 0; column < ParameterTreeModel::ColumnCount; ++column) {
        const int left = header->sectionViewportPosition(column);
        const QString name = tab->model()->headerData(column, Qt::Horizontal).toString();
        QVERIFY2(left >= 0 && left + header->sectionSize(column) <= visible,
                 qPrintable(QStringLiteral("%1 at %2 + %3 in %4").arg(name).arg(left).arg(header->sectionSize(column)).arg(visible)));
        // Each column at least as wide as its header: "Parameters" is never "Param…".
        QVERIFY2(header->sectionSize(column) >= header->fontMetrics().horizontalAdvance(name), qPrintable(name));
    }
    // The values, whole, in a column on screen.
    const ParameterTreeModel* model = tab->model();
    const QList<QPair<QString, QString>> values = {{QStringLiteral("epoch"), QStringLiteral("3")},
                                                   {QStringLiteral("hyper_parameters.lr"), QStringLiteral("0.001")}};
    for (const auto& [path, value] : values) {
        const int node = nodeAt(model, path);
        QVERIFY2(node > 0, qPrintable(path));
        QModelIndex shown;
        for (int column = 0; column < ParameterTreeModel::ColumnCount; ++column) {
            const QModelIndex index = model->indexForNode(node, column);
            if (column != ParameterTreeModel::NameColumn && index.data().toString() == value)
                shown = index;
        }
        QVERIFY2(shown.isValid(), qPrintable(path));
        view->scrollTo(shown);
        const QRect cell = view->visualRect(shown);
        QVERIFY2(view->viewport()->rect().contains(cell), qPrintable(path));
        QVERIFY2(view->fontMetrics().horizontalAdvance(value) < cell.width(), qPrintable(path));
    }
}

void TestCheckpointTab::testCtrlFFocusesTheFilterAndCountsMatches()
{
    const FixtureExpectation* expected = expectationFor(m_expectations, QStringLiteral("many_tensors.pt"));
    QVERIFY(expected);
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, expected->fixturePath);
    QVERIFY(tab);
    QAbstractItemModelTester tester(tab->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QString total = formatCount(expected->tensors.size());
    QCOMPARE(tab->filterCount()->text(), QStringLiteral("%1 tensors").arg(total));

    tab->treeView()->setFocus();
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QVERIFY(tab->filterEdit()->hasFocus());
    QTest::keyClicks(QApplication::focusWidget(), QStringLiteral("99"));
    int matches = 0;
    for (const ExpectedTensor& tensor : expected->tensors)
        matches += tensor.name.contains(QLatin1String("99")) ? 1 : 0;
    QVERIFY(matches > 0 && matches < expected->tensors.size());
    QCOMPARE(tab->filterCount()->text(), QStringLiteral("%1 of %2 tensors").arg(formatCount(matches), total));
    QCOMPARE(tab->model()->visibleTensorCount(), matches);

    // Ctrl+F again selects what was typed: the next words replace it.
    tab->treeView()->setFocus();
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QTest::keyClicks(QApplication::focusWidget(), QStringLiteral("^blocks\\.7\\.w$"));
    QCOMPARE(tab->filterCount()->text(), QStringLiteral("1 of %1 tensors").arg(total));
    // Enter goes to the match, selected.
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Return);
    QVERIFY(tab->treeView()->hasFocus());
    QCOMPARE(tab->treeView()->currentIndex().data(ParameterTreeModel::PathRole).toString(), expected->tensors[7].name);
    // Escape in the filter clears it.
    tab->filterEdit()->setFocus();
    QTest::keyClick(tab->filterEdit(), Qt::Key_Escape);
    QVERIFY(tab->filterEdit()->text().isEmpty());
    QCOMPARE(tab->filterCount()->text(), QStringLiteral("%1 tensors").arg(total));
}

void TestCheckpointTab::testCtrlFReachesTheCurrentTabOnly()
{
    MainWindow window;
    CheckpointTab* first = openAndWait(window, data(QStringLiteral("simple_cnn.pth")));
    CheckpointTab* second = openAndWait(window, data(QStringLiteral("tiny.safetensors")));
    QVERIFY(first && second && first != second);
    QCOMPARE(window.currentTab(), second);
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QVERIFY(second->filterEdit()->hasFocus());
    window.tabs()->setCurrentWidget(first);
    first->treeView()->setFocus();
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QVERIFY(first->filterEdit()->hasFocus());
}

// tests/data/generate_fixtures.py, HOSTILE: each payload key's value is a call that would run,
// with `touch CANARY_PREFIX + stem` as its argument.
void TestCheckpointTab::testUnsafeObjectsAreInTheTree_data()
{
    QTest::addColumn<QString>("stem");
    QTest::addColumn<QStringList>("keys");
    QTest::addColumn<QString>("callable");
    QTest::newRow("os.system by GLOBAL") << QStringLiteral("hostile_os_system") << QStringList{QStringLiteral("payload")} << QStringLiteral("posix.system");
    QTest::newRow("INST and OBJ") << QStringLiteral("hostile_inst_obj") << QStringList{QStringLiteral("inst"), QStringLiteral("obj")}
                                  << QStringLiteral("subprocess.Popen");
    QTest::newRow("NEWOBJ_EX partial") << QStringLiteral("hostile_newobj_ex") << QStringList{QStringLiteral("payload")} << QStringLiteral("functools.partial");
    QTest::newRow("legacy layout") << QStringLiteral("hostile_legacy_os_system") << QStringList{QStringLiteral("payload")} << QStringLiteral("posix.system");
}

void TestCheckpointTab::testUnsafeObjectsAreInTheTree()
{
    QFETCH(QString, stem);
    QFETCH(QStringList, keys);
    QFETCH(QString, callable);
    const FixtureExpectation* expected = expectationFor(m_expectations, stem + QStringLiteral(".pt"));
    QVERIFY(expected);
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, expected->fixturePath);
    QVERIFY(tab);
    ParameterTreeModel* model = tab->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model->visibleTensorCount(), int(expected->tensors.size()));  // torch's listing, unchanged

    // The banner names torch's unsafe globals and links each object, in file order.
    QVERIFY(tab->banner()->isVisible());
    for (const QString& global : expected->unsafeGlobals)
        QVERIFY2(plainText(tab->banner()).contains(global), qPrintable(plainText(tab->banner())));
    const QList<QLabel*> links = tab->unsafeObjectLinks();
    QCOMPARE(links.size(), keys.size());
    const QString canary = QStringLiteral("/tmp/statelens_canary_") + stem;
    for (int i = 0; i < keys.size(); ++i) {
        QVERIFY(links[i]->isVisible());
        const QString link = plainText(links[i]);
        QVERIFY2(link.startsWith(keys[i] + QStringLiteral(" = ") + callable), qPrintable(link));
        QVERIFY2(link.contains(canary), qPrintable(link));
        // The same call in the tree, in the value column on screen.
        const int node = nodeAt(model, keys[i]);
        QVERIFY(node > 0);
        const QString call = model->indexForNode(node, ParameterTreeModel::ShapeColumn).data().toString();
        QVERIFY2(call.startsWith(callable) && call.contains(canary), qPrintable(call));
        // Marked with the style's warning icon, which the tab hands its QtGui-only model.
        const QVariant icon = model->indexForNode(node, ParameterTreeModel::NameColumn).data(Qt::DecorationRole);
        QVERIFY2(icon.canConvert<QIcon>() && !icon.value<QIcon>().isNull(), "no warning icon beside the object");
    }

    // The filter reaches them by what they call.
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QTest::keyClicks(QApplication::focusWidget(), callable.section(u'.', -1));
    QCOMPARE(model->visibleTensorCount(), 0);
    for (const QString& key : keys)
        QVERIFY2(model->indexForNode(nodeAt(model, key)).isValid(), qPrintable(key));
    const QString kept = keys.size() == 1 ? QStringLiteral("1 value") : QStringLiteral("%1 values").arg(keys.size());
    QCOMPARE(tab->filterCount()->text(), QStringLiteral("0 of %1 tensors, %2").arg(expected->tensors.size()).arg(kept));
}

void TestCheckpointTab::testBannerLinkSelectsTheObject()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data(QStringLiteral("hostile_inst_obj.pt")));
    QVERIFY(tab);
    const QList<QLabel*> links = tab->unsafeObjectLinks();
    QCOMPARE(links.size(), 2);  // "inst", then "obj" (generate_fixtures.py, HOSTILE)
    clickLink(links[1]);
    QCOMPARE(tab->treeView()->currentIndex().data(ParameterTreeModel::PathRole).toString(), QStringLiteral("obj"));
    QVERIFY(tab->treeView()->hasFocus());
    // Hidden by a filter: the link clears it and still finds the object.
    tab->filterEdit()->setText(QStringLiteral("weight"));
    QVERIFY(!tab->model()->indexForNode(nodeAt(tab->model(), QStringLiteral("inst"))).isValid());
    clickLink(links[0]);
    QVERIFY(tab->filterEdit()->text().isEmpty());
    const QModelIndex current = tab->treeView()->currentIndex();
    QCOMPARE(current.data(ParameterTreeModel::PathRole).toString(), QStringLiteral("inst"));
    QVERIFY(tab->treeView()->viewport()->rect().intersects(tab->treeView()->visualRect(current)));
}

// Tensors a pickled module holds outside its state dict (yolov5's Detect.grid) are in the tree,
// found by typing in the filter, noted and set in italics; the state-dict candidate counts the
// state-dict tensors only (the listing's truth: tests/data/module_attributes.pt.expected.json).
void TestCheckpointTab::testModuleAttributesAreListedApart()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data(QStringLiteral("module_attributes.pt")));
    QVERIFY(tab);
    QTest::keyClicks(tab->filterEdit(), QStringLiteral("grid"));
    const ParameterTreeModel* model = tab->model();
    for (const char* path : {"model.1.grid.0", "model.1.grid.1", "model.1.anchor_grid.0"}) {
        const QModelIndex name = model->indexForNode(nodeAt(model, QLatin1String(path)));
        QVERIFY2(name.isValid(), path);  // shown by the filter
        const QModelIndex notes = name.siblingAtColumn(ParameterTreeModel::NotesColumn);
        QVERIFY2(notes.data().toString().contains(QLatin1String("attribute (not in state_dict)")), qPrintable(notes.data().toString()));
        QVERIFY(name.data(Qt::FontRole).value<QFont>().italic());
        QVERIFY(name.data(Qt::ToolTipRole).toString().contains(QLatin1String("outside state_dict()")));
    }
    QVERIFY(!model->indexForNode(nodeAt(model, QStringLiteral("model.0.weight"))).isValid());  // filtered out
    QTest::keyClick(tab->filterEdit(), Qt::Key_Escape);
    const QModelIndex weight = model->indexForNode(nodeAt(model, QStringLiteral("model.0.weight")));
    QVERIFY(weight.isValid());
    QVERIFY(!weight.siblingAtColumn(ParameterTreeModel::NotesColumn).data().toString().contains(QLatin1String("attribute")));
    QVERIFY(!weight.data(Qt::FontRole).value<QFont>().italic());
    // The module's state dict: 156 of the 252 tensor bytes (the expected listing's state tensors).
    const QModelIndex module = model->indexForNode(nodeAt(model, QStringLiteral("model")));
    const QString moduleNotes = module.siblingAtColumn(ParameterTreeModel::NotesColumn).data().toString();
    QVERIFY2(moduleNotes.contains(QStringLiteral("module · %1% of the bytes").arg(156.0 / 252.0 * 100.0, 0, 'f', 1)), qPrintable(moduleNotes));
}

// NumPy arrays pickled in a checkpoint are in the tree beside its tensors, noted with NumPy's
// dtype (tests/data/numpy_arrays.pt.expected.json holds what NumPy returned for each).
void TestCheckpointTab::testNumpyArraysAreListed()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data(QStringLiteral("numpy_arrays.pt")));
    QVERIFY(tab);
    QTest::keyClicks(tab->filterEdit(), QStringLiteral("scaler"));
    const ParameterTreeModel* model = tab->model();
    const QModelIndex mean = model->indexForNode(nodeAt(model, QStringLiteral("scaler.mean")));
    QVERIFY(mean.isValid());
    QCOMPARE(mean.siblingAtColumn(ParameterTreeModel::DtypeColumn).data().toString(), QStringLiteral("float64"));
    QCOMPARE(mean.siblingAtColumn(ParameterTreeModel::ShapeColumn).data().toString(), QStringLiteral("[5]"));
    QVERIFY2(mean.siblingAtColumn(ParameterTreeModel::NotesColumn).data().toString().contains(QLatin1String("NumPy <f8")),
             qPrintable(mean.siblingAtColumn(ParameterTreeModel::NotesColumn).data().toString()));
    QVERIFY(!model->indexForNode(nodeAt(model, QStringLiteral("labels"))).isValid());  // filtered out
}

// A pickle whose frames CPython's unpicklers read differently is announced first: what torch.load
// would run may not be the tree on screen. The call CPython's file unpickler reads there
// (posix.system, hidden from the linear reading) is named, though no object in the tree makes it.
void TestCheckpointTab::testBannerWarnsOfAPickleThatReadsDifferently()
{
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, data(QStringLiteral("hostile/frame_straddle_system.pt")));
    QVERIFY(tab);
    QVERIFY(tab->banner()->isVisible());
    const QString shown = plainText(tab->banner());
    QVERIFY2(shown.startsWith(QLatin1String("Do not load this file: its pickle reads differently in different unpicklers.")), qPrintable(shown));
    QVERIFY2(shown.contains(QLatin1String("BINBYTES at byte")), qPrintable(shown));
    QVERIFY2(shown.contains(QLatin1String("Globals outside torch's allow list: posix.system.")), qPrintable(shown));
    QVERIFY(tab->unsafeObjectLinks().isEmpty());
}

void TestCheckpointTab::testBrokenFilesSayWhatIsWrongFirst_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("plainWords");
    QTest::newRow("truncated zip") << QStringLiteral("broken_truncated_zip.pt")
                                   << QStringLiteral("the file is truncated: the zip directory at its end is missing");
    QTest::newRow("truncated safetensors") << QStringLiteral("broken_truncated.safetensors") << QStringLiteral("the file is truncated: the tensor data");
    QTest::newRow("truncated legacy") << QStringLiteral("broken_truncated_legacy.pt") << QStringLiteral("the file is truncated: the pickled object tree");
    QTest::newRow("git lfs pointer") << QStringLiteral("broken_lfs_pointer.pth") << QStringLiteral("this is not a PyTorch checkpoint");
    QTest::newRow("html page") << QStringLiteral("broken_html.pth") << QStringLiteral("this is not a PyTorch checkpoint");
    QTest::newRow("overlapping tensors") << QStringLiteral("broken_overlap.safetensors") << QStringLiteral("the file is damaged: the tensor data");
    QTest::newRow("deep nesting") << QStringLiteral("broken_deep_nesting.pt") << QStringLiteral("larger or deeper than Statelens reads safely");
}

void TestCheckpointTab::testBrokenFilesSayWhatIsWrongFirst()
{
    QFETCH(QString, fixture);
    QFETCH(QString, plainWords);
    const FixtureExpectation* expected = expectationFor(m_expectations, fixture);
    QVERIFY(expected && expected->format.isEmpty());  // torch refuses it too
    MainWindow window;
    CheckpointTab* tab = openAndWait(window, expected->fixturePath);
    QVERIFY(tab);
    QVERIFY(tab->banner()->isVisible());
    const QString shown = plainText(tab->banner());
    // "Cannot open FILE: plain words." on the first line, the reader's detail (what torch's
    // refusal was checked against) after it.
    const QString first = shown.section(u'\n', 0, 0);
    QVERIFY2(first.startsWith(QStringLiteral("Cannot open %1: ").arg(QFileInfo(fixture).fileName())), qPrintable(shown));
    QVERIFY2(first.contains(plainWords), qPrintable(shown));
    const qsizetype words = shown.indexOf(plainWords);
    QVERIFY2(shown.indexOf(expected->error, words + plainWords.size(), Qt::CaseInsensitive) > words, qPrintable(shown));
    QCOMPARE(tab->model()->rowCount(), 0);
    QVERIFY(tab->filterCount()->text().isEmpty());

    // The reader's own Error says the same as the message the loader passes on.
    auto opened = openCheckpoint(expected->fixturePath);
    QVERIFY(!opened);
    CheckpointTab direct(expected->fixturePath);
    direct.showError(opened.error());
    QCOMPARE(plainText(direct.banner()), shown);
}

QTEST_MAIN(TestCheckpointTab)
#include "tst_checkpoint_tab.moc"
