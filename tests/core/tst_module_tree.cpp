// The module tree over fixtures written by torch: one leaf per tensor torch.load listed, at the
// path of its name, with totals that add up to torch's shapes, and repeated or nested names
// placed as a dict of them reads.
#include "fixture_expectations.h"

#include "core/checkpoint_reader.h"
#include "core/module_tree.h"

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

QTEST_GUILESS_MAIN(TestModuleTree)
#include "tst_module_tree.moc"
