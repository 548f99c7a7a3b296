// The module tree over fixtures written by torch: one leaf per tensor torch.load listed, at the
// path of its name, with totals that add up to torch's shapes, and repeated or nested names
// placed as a dict of them reads.
#include "tests/support/fixture_expectations.h"

#include "core/formats/checkpoint_reader.h"
#include "core/model/module_tree.h"

#include <QHash>
#include <QSet>
#include <QTest>

#include <algorithm>

using namespace statelens;

namespace {

const FixtureExpectation* expectationFor(const QVector<FixtureExpectation>& all, const QString& fixture)
{
    for (const FixtureExpectation& expectation : all) {
        if (expectation.fixturePath.endsWith(u'/' + fixture))
            return &expectation;
    }
    return nullptr;
}

qint64 product(const QVector<qint64>& shape)
{
    qint64 numel = 1;
    for (const qint64 size : shape)
        numel *= size;
    return numel;
}

TensorInfo namedTensor(const QString& name, qint64 size)
{
    TensorInfo tensor;
    tensor.name = name;
    tensor.dtype = DType::Float32;
    tensor.shape = {size};
    tensor.strides = {1};
    return tensor;
}

}  // namespace

class TestModuleTree : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testLeavesAreTorchsTensors_data();
    void testLeavesAreTorchsTensors();
    void testRepeatedAndNestedNames();
    void testUnsafeObjectsInPlace_data();
    void testUnsafeObjectsInPlace();
    void testValuesAndSafeObjects();

private:
    QVector<FixtureExpectation> m_expectations = loadFixtureExpectations(QStringLiteral(STATELENS_TEST_DATA));
};

void TestModuleTree::testLeavesAreTorchsTensors_data()
{
    QTest::addColumn<QString>("fixture");
    for (const char* fixture : {"many_tensors.pt", "lightning.ckpt", "simple_cnn.pth", "ddp_prefix.pth", "parameters.pt"})
        QTest::addRow("%s", fixture) << QString::fromLatin1(fixture);
}

void TestModuleTree::testLeavesAreTorchsTensors()
{
    QFETCH(QString, fixture);
    const FixtureExpectation* expected = expectationFor(m_expectations, fixture);
    QVERIFY2(expected, qPrintable(fixture + QStringLiteral(" has no expectation: run tests/data/generate_fixtures.py")));
    auto opened = openCheckpoint(expected->fixturePath);
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    const Checkpoint& checkpoint = *opened.value();
    const ModuleTree tree = ModuleTree::build(checkpoint);

    // One tensor leaf per tensor torch listed, at the path of its name.
    QHash<QString, int> nodeAtPath;
    for (int n = 1; n < tree.size(); ++n)
        nodeAtPath.insert(tree.path(n), n);
    qint64 numel = 0;
    for (const ExpectedTensor& tensor : expected->tensors) {
        const int node = nodeAtPath.value(tensor.name, -1);
        QVERIFY2(node > 0, qPrintable(QStringLiteral("no node at '%1'").arg(tensor.name)));
        QVERIFY2(tree.node(node).isTensor(), qPrintable(tensor.name));
        QCOMPARE(checkpoint.tensors[tree.node(node).tensor].name, tensor.name);
        numel += product(tensor.shape);
    }
    QCOMPARE(tree.node(ModuleTree::kRoot).tensorCount, qint64(expected->tensors.size()));
    QCOMPARE(tree.node(ModuleTree::kRoot).numel, numel);
    // Parents come before their children, which are listed in the order the file names them.
    for (int n = 1; n < tree.size(); ++n) {
        QVERIFY(tree.node(n).parent < n);
        const std::vector<int>& siblings = tree.node(tree.node(n).parent).children;
        QVERIFY(std::is_sorted(siblings.begin(), siblings.end()));
    }
}

// A name repeated later (the later tensor takes the leaf, as a dict assigned twice keeps the
// last value), a tensor whose name is also a module, and a wide node's children.
void TestModuleTree::testRepeatedAndNestedNames()
{
    Checkpoint checkpoint;
    QStringList names = {QStringLiteral("a.b"), QStringLiteral("a.c"), QStringLiteral("x")};
    for (int i = 0; i < 12; ++i)
        names << QStringLiteral("wide.%1.w").arg(i);
    names << QStringLiteral("a.d") << QStringLiteral("x") << QStringLiteral("a") << QStringLiteral("x.y") << QStringLiteral("wide.3.v")
          << QStringLiteral("wide.20.w") << QStringLiteral("a.b");
    for (int i = 0; i < names.size(); ++i)
        checkpoint.tensors.append(namedTensor(names[i], i + 1));
    const ModuleTree tree = ModuleTree::build(checkpoint);
    QStringList paths;
    for (int n = 1; n < tree.size(); ++n)
        paths << tree.path(n);
    QCOMPARE(paths.size(), QSet<QString>(paths.begin(), paths.end()).size());  // one node per path
    for (int n = 1; n < tree.size(); ++n) {
        const QString path = tree.path(n);
        if (path == QLatin1String("x") || path == QLatin1String("a.b"))
            QCOMPARE(tree.node(n).tensor, int(names.lastIndexOf(path)));
        if (path == QLatin1String("a")) {
            QCOMPARE(tree.node(n).tensor, int(names.indexOf(path)));
            QCOMPARE(tree.node(n).children.size(), size_t(3));
        }
        if (path == QLatin1String("wide"))
            QCOMPARE(tree.node(n).children.size(), size_t(13));
    }
    // Each leaf counts once, whatever its node also holds: the later "x" and "a.b" only.
    const QSet<QString> distinct(names.begin(), names.end());
    qint64 numel = 0;
    for (const QString& name : distinct)
        numel += names.lastIndexOf(name) + 1;
    QCOMPARE(tree.node(ModuleTree::kRoot).tensorCount, qint64(distinct.size()));
    QCOMPARE(tree.node(ModuleTree::kRoot).numel, numel);
}

// The hostile fixtures: what tests/data/generate_fixtures.py puts beside `weight` and `bias`
// (HOSTILE: the payload keys, the callables, `touch CANARY_PREFIX + stem`) is a node at its key
// with the call torch.load would make, found by the filter through its callable. Nothing ran.
void TestModuleTree::testUnsafeObjectsInPlace_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QStringList>("keys");
    QTest::addColumn<QString>("callable");
    const auto row = [](const char* stem, const QStringList& keys, const char* callable) {
        QTest::newRow(stem) << QString::fromLatin1(stem) << keys << QString::fromLatin1(callable);
    };
    row("hostile_os_system", {QStringLiteral("payload")}, "posix.system(");
    row("hostile_eval", {QStringLiteral("payload")}, "builtins.eval(");
    row("hostile_stack_global", {QStringLiteral("payload")}, "os.system(");
    row("hostile_build_setstate", {QStringLiteral("payload")}, "argparse.Namespace(");
    row("hostile_inst_obj", {QStringLiteral("inst"), QStringLiteral("obj")}, "subprocess.Popen(");
    row("hostile_newobj_ex", {QStringLiteral("payload")}, "functools.partial(posix.system, ");
    row("hostile_legacy_os_system", {QStringLiteral("payload")}, "posix.system(");
}

void TestModuleTree::testUnsafeObjectsInPlace()
{
    QFETCH(QString, fixture);
    QFETCH(QStringList, keys);
    QFETCH(QString, callable);
    auto opened = openCheckpoint(QStringLiteral(STATELENS_TEST_DATA "/") + fixture + QStringLiteral(".pt"));
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    const ModuleTree tree = ModuleTree::build(*opened.value());
    const QString canary = QStringLiteral("/tmp/statelens_canary_") + fixture;
    std::vector<int> expected;
    for (const QString& key : keys) {
        int node = -1;
        for (int n = 1; n < tree.size(); ++n) {
            if (tree.path(n) == key)
                node = n;
        }
        QVERIFY2(node > 0, qPrintable(key));
        const ModuleTreeNode& object = tree.node(node);
        QVERIFY(object.isObject());
        QVERIFY(object.isValue());  // a leaf, shown in place
        QVERIFY(object.unsafe);
        QVERIFY2(object.value.startsWith(callable), qPrintable(object.value));
        QVERIFY2(object.value.contains(canary), qPrintable(object.value));
        QVERIFY(tree.objectClass(node).startsWith(callable.chopped(1)));
        // Found by its key and by what it calls, never by a word it lacks.
        QVERIFY(tree.visibleFor(key)[size_t(node)]);
        QVERIFY(tree.visibleFor(callable.section(u'.', -1).chopped(1))[size_t(node)]);
        QVERIFY(!tree.visibleFor(QStringLiteral("weight"))[size_t(node)]);
        expected.push_back(node);
    }
    QCOMPARE(tree.unsafeObjects(), expected);
    QCOMPARE(tree.node(ModuleTree::kRoot).tensorCount, qint64(2));  // weight and bias, as before
}

// Scalars keep their kind; a pickled module is its class, its layers under their state_dict()
// names (tests/data/generate_fixtures.py: whole_model_in_dict.pt = {"epoch": 7, "model": a
// Sequential of Conv2d, BatchNorm2d, ReLU, ...}); the only unsafe object listed is the model.
void TestModuleTree::testValuesAndSafeObjects()
{
    auto lightning = openCheckpoint(QStringLiteral(STATELENS_TEST_DATA "/lightning.ckpt"));
    QVERIFY(lightning);
    const ModuleTree values = ModuleTree::build(*lightning.value());
    QHash<QString, int> at;
    for (int n = 1; n < values.size(); ++n)
        at.insert(values.path(n), n);
    QCOMPARE(values.node(at.value(QStringLiteral("epoch"))).value, QStringLiteral("3"));
    QCOMPARE(values.node(at.value(QStringLiteral("epoch"))).valueKind, ValueKind::Int);
    QCOMPARE(values.node(at.value(QStringLiteral("hyper_parameters.lr"))).valueKind, ValueKind::Float);
    QVERIFY(values.unsafeObjects().empty());

    auto model = openCheckpoint(QStringLiteral(STATELENS_TEST_DATA "/whole_model_in_dict.pt"));
    QVERIFY(model);
    const ModuleTree tree = ModuleTree::build(*model.value());
    at.clear();
    for (int n = 1; n < tree.size(); ++n)
        at.insert(tree.path(n), n);
    QCOMPARE(tree.node(at.value(QStringLiteral("epoch"))).value, QStringLiteral("7"));
    const int sequential = at.value(QStringLiteral("model"), -1);
    QVERIFY(sequential > 0);
    QCOMPARE(tree.objectClass(sequential), QStringLiteral("torch.nn.modules.container.Sequential"));
    QCOMPARE(tree.objectClass(at.value(QStringLiteral("model.0"))), QStringLiteral("torch.nn.modules.conv.Conv2d"));
    QVERIFY(tree.node(at.value(QStringLiteral("model.0.weight"))).isTensor());
    QCOMPARE(tree.unsafeObjects(), std::vector<int>{sequential});
}

QTEST_GUILESS_MAIN(TestModuleTree)
#include "tst_module_tree.moc"
