// Checkpoint diffs equal torch's: statuses and deltas for every case of tests/data/diff
// (expected values written by torch in make_diff_fixtures.py), through the fused pass, the fused
// pass in tiny chunks and libtorch; the kernel against a plain float64 loop; alignment of a
// Lightning checkpoint against a plain state dict; the job's streaming, progress, cancellation
// and device errors; and the CLI's JSON and exit codes.
#include "core/diff/checkpoint_diff.h"
#include "core/diff/diff_job.h"
#include "core/diff/diff_kernels.h"
#include "core/formats/checkpoint_reader.h"
#include "core/runtime/torch_runtime.h"
#include "tests/support/cli_runner.h"
#include "tests/support/torch_requirement.h"
#include "tests/support/torch_rows.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTest>

#include <cmath>
#include <limits>
#include <mutex>
#include <random>

using namespace statelens;

namespace {

QString testData(const QString& relative)
{
    return QStringLiteral(STATELENS_TEST_DATA "/") + relative;
}

enum class Run { Fused, FusedTinyChunks, Torch };

DiffOptions optionsFor(Run run)
{
    DiffOptions options;
    options.engine = run == Run::Torch ? DiffOptions::Engine::Torch : DiffOptions::Engine::Fused;
    // Chunks of 37 pairs: every tensor splits across units and threads, views mid-row.
    if (run == Run::FusedTinyChunks)
        options.chunkElements = 37;
    return options;
}

QJsonArray expectedCases()
{
    QFile file(testData(QStringLiteral("diff/diff_expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("cases")).toArray();
}

QStringList strings(const QJsonValue& value)
{
    QStringList list;
    for (const QJsonValue& item : value.toArray())
        list.append(item.toString());
    return list;
}

QVector<qint64> shapeOf(const QJsonValue& value)
{
    QVector<qint64> shape;
    for (const QJsonValue& item : value.toArray())
        shape.append(item.toInteger());
    return shape;
}

struct Outcome {
    Status status = Ok{};
    QVector<TensorDiff> results;  // by plan index
    QVector<int> order;           // plan indices in delivery order
    QVector<QPair<qint64, qint64>> progress;
};

Outcome runDiff(const CheckpointPtr& a, const CheckpointPtr& b, const DiffPlan& plan, const DiffOptions& options)
{
    Outcome outcome;
    outcome.results.resize(plan.entries.size());
    DiffJob job(a, b, plan, options);
    std::mutex mutex;
    job.onResult = [&](const TensorDiff& diff) {
        std::lock_guard<std::mutex> lock(mutex);
        outcome.results[diff.index] = diff;
        outcome.order.append(diff.index);
    };
    job.onProgress = [&](qint64 done, qint64 total) {
        std::lock_guard<std::mutex> lock(mutex);
        outcome.progress.append({done, total});
    };
    outcome.status = job.run();
    return outcome;
}

// A figure against torch's: null where torch's is not finite, else within a relative tolerance.
QString compareFigure(const char* what, double got, const QJsonValue& expected, double tolerance)
{
    if (expected.isNull())
        return std::isfinite(got) ? QStringLiteral("%1 %2 where torch has none").arg(QLatin1String(what)).arg(got, 0, 'g', 17)
                                  : QString();
    const double r = expected.toDouble();
    if (std::abs(got - r) <= tolerance * std::abs(r) + 1e-300)
        return {};
    return QStringLiteral("%1 %2, torch %3").arg(QLatin1String(what)).arg(got, 0, 'g', 17).arg(r, 0, 'g', 17);
}

QString differences(const TensorDiff& got, const QJsonObject& expected)
{
    QStringList problems;
    auto check = [&](bool ok, const QString& what) {
        if (!ok)
            problems.append(what);
    };
    check(got.name == expected.value(QStringLiteral("name")).toString(), QStringLiteral("name %1").arg(got.name));
    const QString status = expected.value(QStringLiteral("status")).toString();
    check(diffStatusName(got.status) == status, QStringLiteral("status %1").arg(diffStatusName(got.status)));
    if (expected.contains(QStringLiteral("dtype_a")))
        check(dtypeName(got.a.dtype) == expected.value(QStringLiteral("dtype_a")).toString()
                  && got.a.shape == shapeOf(expected.value(QStringLiteral("shape_a"))),
              QStringLiteral("side a %1").arg(dtypeName(got.a.dtype)));
    else
        check(got.a.tensor < 0, QStringLiteral("a side where torch has none"));
    if (expected.contains(QStringLiteral("dtype_b")))
        check(dtypeName(got.b.dtype) == expected.value(QStringLiteral("dtype_b")).toString()
                  && got.b.shape == shapeOf(expected.value(QStringLiteral("shape_b"))),
              QStringLiteral("side b %1").arg(dtypeName(got.b.dtype)));
    else
        check(got.b.tensor < 0, QStringLiteral("b side where torch has none"));
    if (!expected.contains(QStringLiteral("differing"))) {
        check(!got.compared, QStringLiteral("values compared"));
        return problems.join(QStringLiteral("; "));
    }
    check(got.hasDeltas(), QStringLiteral("not compared: %1").arg(got.error));
    check(got.sums.count == expected.value(QStringLiteral("numel")).toInteger(), QStringLiteral("count %1").arg(got.sums.count));
    check(got.sums.differing == expected.value(QStringLiteral("differing")).toInteger(),
          QStringLiteral("differing %1").arg(got.sums.differing));
    const DiffDeltas deltas = got.deltas();
    for (const QString& problem : {compareFigure("max_abs_diff", deltas.maxAbs, expected.value(QStringLiteral("max_abs_diff")), 0.0),
                                   compareFigure("mean_abs_diff", deltas.meanAbs, expected.value(QStringLiteral("mean_abs_diff")), 1e-12),
                                   compareFigure("rel_l2", deltas.relL2, expected.value(QStringLiteral("rel_l2")), 1e-12),
                                   compareFigure("cosine", deltas.cosine, expected.value(QStringLiteral("cosine")), 1e-12)}) {
        if (!problem.isEmpty())
            problems.append(problem);
    }
    return problems.join(QStringLiteral("; "));
}

}  // namespace

class TestDiff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testMatchesTorch_data();
    void testMatchesTorch();
    void testKernelMatchesPlainLoop_data();
    void testKernelMatchesPlainLoop();
    void testLightningAgainstPlainStateDict();
    void testUnknownKeyNamesCandidates();
    void testResultsStreamOncePerTensor();
    void testCancelStopsQuickly();
    void testUnavailableDeviceSaysWhy_data();
    void testUnavailableDeviceSaysWhy();
    void testCliJson_data();
    void testCliJson();
    void testCliErrors_data();
    void testCliErrors();
};

void TestDiff::testMatchesTorch_data()
{
    QTest::addColumn<int>("caseIndex");
    QTest::addColumn<int>("run");
    const QJsonArray cases = expectedCases();
    QVERIFY(!cases.isEmpty());
    const std::pair<Run, const char*> runs[] = {
        {Run::Fused, "fused"}, {Run::FusedTinyChunks, "fused, 37-pair chunks"}, {Run::Torch, "libtorch"}};
    for (int c = 0; c < cases.size(); ++c) {
        for (const auto& [run, label] : runs) {
            const QString name = cases[c].toObject().value(QStringLiteral("name")).toString();
            QTest::addRow("%s (%s)", qPrintable(name), label) << c << int(run);
        }
    }
}

void TestDiff::testMatchesTorch()
{
    QFETCH(int, caseIndex);
    QFETCH(int, run);
    if (Run(run) == Run::Torch)
        STATELENS_REQUIRE_TORCH_MODULE();
    const QJsonObject expected = expectedCases()[caseIndex].toObject();
    auto a = openCheckpoint(testData(expected.value(QStringLiteral("a")).toString()));
    auto b = openCheckpoint(testData(expected.value(QStringLiteral("b")).toString()));
    QVERIFY2(a, qPrintable(a ? QString() : a.error().toString()));
    QVERIFY2(b, qPrintable(b ? QString() : b.error().toString()));
    DiffAlignment alignment;
    const QString keyA = expected.value(QStringLiteral("key_a")).toString();
    const QString keyB = expected.value(QStringLiteral("key_b")).toString();
    alignment.keyA = keyA.isEmpty() ? QString() : keyA;
    alignment.keyB = keyB.isEmpty() ? QString() : keyB;
    alignment.stripA = strings(expected.value(QStringLiteral("strip_a")));
    alignment.stripB = strings(expected.value(QStringLiteral("strip_b")));
    auto plan = planDiff(**a, **b, alignment);
    QVERIFY2(plan, qPrintable(plan ? QString() : plan.error().toString()));
    const QJsonArray tensors = expected.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(plan->entries.size(), tensors.size());
    const Outcome outcome = runDiff(*a, *b, *plan, optionsFor(Run(run)));
    QVERIFY2(outcome.status, qPrintable(outcome.status ? QString() : outcome.status.error().message));
    QCOMPARE(outcome.order.size(), tensors.size());
    QStringList problems;
    for (int i = 0; i < tensors.size(); ++i) {
        const QString problem = differences(outcome.results[i], tensors[i].toObject());
        if (!problem.isEmpty())
            problems.append(QStringLiteral("%1: %2").arg(tensors[i].toObject().value(QStringLiteral("name")).toString(), problem));
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
    // Progress ends at the total, and never runs backwards.
    QVERIFY(!outcome.progress.isEmpty());
    QCOMPARE(outcome.progress.last().first, outcome.progress.last().second);
}

void TestDiff::testKernelMatchesPlainLoop_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("nanAt");  // -1: none
    QTest::addColumn<double>("offset");
    QTest::newRow("empty") << 0 << -1 << 0.0;
    QTest::newRow("shorter than a vector") << 3 << -1 << 0.0;
    QTest::newRow("several blocks and a tail") << 10007 << -1 << 0.0;
    QTest::newRow("NaN in the vector part") << 10007 << 4100 << 0.0;
    QTest::newRow("NaN in the tail") << 10007 << 10006 << 0.0;
    QTest::newRow("large common offset") << 100003 << -1 << 1000.0;
}

void TestDiff::testKernelMatchesPlainLoop()
{
    QFETCH(int, count);
    QFETCH(int, nanAt);
    QFETCH(double, offset);
    std::mt19937 random(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> a(static_cast<size_t>(count)), b(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        a[size_t(i)] = float(offset) + normal(random);
        b[size_t(i)] = i % 3 == 0 ? a[size_t(i)] : a[size_t(i)] + 0.01f * normal(random);
    }
    if (nanAt >= 0)
        a[size_t(nanAt)] = std::numeric_limits<float>::quiet_NaN();
    // The reference: one float64 loop with long double sums.
    long double sumAbs = 0, sumSq = 0, a2 = 0, b2 = 0, dot = 0;
    double maxAbs = 0;
    qint64 differing = 0, nan = 0;
    for (int i = 0; i < count; ++i) {
        const double x = a[size_t(i)], y = b[size_t(i)], d = x - y;
        differing += !(a[size_t(i)] == b[size_t(i)]);
        nan += std::isnan(d);
        if (!std::isnan(d))
            maxAbs = std::max(maxAbs, std::abs(d));
        sumAbs += std::abs(d);
        sumSq += d * d;
        a2 += x * x;
        b2 += y * y;
        dot += x * y;
    }
    std::vector<double> wideA(a.begin(), a.end()), wideB(b.begin(), b.end());
    for (const DiffSums& sums : {kernels::diffSums(a.data(), b.data(), a.size()),
                                 kernels::diffSums(wideA.data(), wideB.data(), wideA.size())}) {
        QCOMPARE(sums.count, qint64(count));
        QCOMPARE(sums.differing, differing);
        QCOMPARE(sums.nanDiffs, nan);
        if (nan > 0) {
            QVERIFY(std::isnan(diffDeltas(sums).maxAbs) && std::isnan(diffDeltas(sums).cosine));
            continue;
        }
        QCOMPARE(sums.maxAbs, maxAbs);
        auto close = [](double got, long double reference) {
            return std::abs(got - double(reference)) <= 1e-13 * std::abs(double(reference)) + 1e-300;
        };
        QVERIFY2(close(sums.sumAbs.value(), sumAbs), qPrintable(QString::number(sums.sumAbs.value(), 'g', 17)));
        QVERIFY(close(sums.sumSq.value(), sumSq));
        QVERIFY(close(sums.sumA2.value(), a2));
        QVERIFY(close(sums.sumB2.value(), b2));
        QVERIFY(close(sums.dot.value(), dot));
    }
}

void TestDiff::testLightningAgainstPlainStateDict()
{
    auto a = openCheckpoint(testData(QStringLiteral("diff/mlp.pth")));
    auto b = openCheckpoint(testData(QStringLiteral("diff/mlp_lightning.ckpt")));
    QVERIFY(a && b);
    // Found by itself: the Lightning `state_dict`, not the optimizer state.
    DiffAlignment alignment;
    alignment.stripB = {QStringLiteral("model.")};
    auto plan = planDiff(**a, **b, alignment);
    QVERIFY(plan);
    QCOMPARE(plan->pathA, QString());
    QCOMPARE(plan->pathB, QStringLiteral("state_dict"));
    const Outcome outcome = runDiff(*a, *b, *plan, DiffOptions());
    QVERIFY(outcome.status);
    QCOMPARE(outcome.results.size(), 4);
    for (const TensorDiff& diff : outcome.results) {
        QCOMPARE(diffStatusName(diff.status), QStringLiteral("same"));
        QVERIFY(diff.b.name.startsWith(QLatin1String("state_dict.model.")));
    }
    // Without the prefix stripped nothing pairs.
    auto unaligned = planDiff(**a, **b, DiffAlignment());
    QVERIFY(unaligned);
    for (const TensorDiff& diff : unaligned->entries)
        QVERIFY(diff.status == DiffStatus::OnlyA || diff.status == DiffStatus::OnlyB);
}

void TestDiff::testUnknownKeyNamesCandidates()
{
    auto a = openCheckpoint(testData(QStringLiteral("diff/mlp.pth")));
    auto b = openCheckpoint(testData(QStringLiteral("diff/mlp_lightning.ckpt")));
    QVERIFY(a && b);
    DiffAlignment alignment;
    alignment.keyB = QStringLiteral("model");
    auto plan = planDiff(**a, **b, alignment);
    QVERIFY(!plan);
    QVERIFY2(plan.error().message.contains(QLatin1String("no state dict at 'model'"))
                 && plan.error().message.contains(QLatin1String("state_dict")),
             qPrintable(plan.error().message));
    QVERIFY(plan.error().toString().contains(QLatin1String("mlp_lightning.ckpt")));
}

void TestDiff::testResultsStreamOncePerTensor()
{
    auto a = openCheckpoint(testData(QStringLiteral("diff/dtypes_a.pt")));
    auto b = openCheckpoint(testData(QStringLiteral("diff/dtypes_b.pt")));
    QVERIFY(a && b);
    auto plan = planDiff(**a, **b);
    QVERIFY(plan);
    DiffOptions options;
    options.chunkElements = 5;
    options.threads = 3;
    const Outcome outcome = runDiff(*a, *b, *plan, options);
    QVERIFY(outcome.status);
    QCOMPARE(outcome.order.size(), plan->entries.size());
    QCOMPARE(QSet<int>(outcome.order.begin(), outcome.order.end()).size(), plan->entries.size());
    // What needs no value comes first, before anything is read.
    int lastUpFront = -1, firstRead = int(outcome.order.size());
    for (int k = 0; k < outcome.order.size(); ++k) {
        const int entry = outcome.order[k];
        if (!plan->needsValues(entry))
            lastUpFront = k;
        else if (outcome.results[entry].sums.count > 0)
            firstRead = qMin(firstRead, k);
    }
    QVERIFY(lastUpFront >= 3);
    QVERIFY(lastUpFront < firstRead);
    for (int k = 1; k < outcome.progress.size(); ++k)
        QVERIFY(outcome.progress[k].first >= outcome.progress[k - 1].first || k == outcome.progress.size() - 1);
}

void TestDiff::testCancelStopsQuickly()
{
    auto a = openCheckpoint(testData(QStringLiteral("diff/tiny_resnet18.pth")));
    auto b = openCheckpoint(testData(QStringLiteral("diff/tiny_resnet18_10class.pth")));
    QVERIFY(a && b);
    auto plan = planDiff(**a, **b);
    QVERIFY(plan);
    DiffOptions options;
    options.chunkElements = 1;  // thousands of units: the job is still running when cancelled
    options.threads = 2;
    DiffJob job(*a, *b, *plan, options);
    std::atomic<int> results{0};
    std::atomic<int> resultsAtCancel{-1};
    job.onResult = [&](const TensorDiff&) { ++results; };
    job.onProgress = [&](qint64 done, qint64) {
        if (done > 0 && !job.isCancelled()) {
            resultsAtCancel = results.load();
            job.cancel();
        }
    };
    const Status status = job.run();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::Cancelled);
    QVERIFY(results < plan->entries.size());
    QVERIFY(resultsAtCancel >= 0);
    // A cancel is acknowledged before the next unit starts: only the units in flight, one per
    // thread, can still complete a tensor. Its speed is tests/bench's to measure.
    QVERIFY2(results - resultsAtCancel <= options.threads,
             qPrintable(QStringLiteral("%1 results after the cancel").arg(results - resultsAtCancel)));
}

void TestDiff::testUnavailableDeviceSaysWhy_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("needsTorch");
    for (const test::DeviceRow& row : test::unavailableDeviceRows())
        QTest::newRow(qPrintable(row.name)) << row.device << row.reason << row.needsTorch;
}

void TestDiff::testUnavailableDeviceSaysWhy()
{
    QFETCH(QString, device);
    QFETCH(QString, reason);
    QFETCH(bool, needsTorch);
    if (needsTorch)
        STATELENS_REQUIRE_TORCH_MODULE();
    auto a = openCheckpoint(testData(QStringLiteral("diff/mlp.pth")));
    QVERIFY(a);
    auto plan = planDiff(**a, **a);
    QVERIFY(plan);
    DiffOptions options;
    options.device = device;
    DiffJob job(*a, *a, *plan, options);
    int results = 0;
    job.onResult = [&](const TensorDiff&) { ++results; };
    const Status status = job.run();
    QVERIFY(!status.ok());
    QVERIFY2(status.error().message.contains(reason) && status.error().message.contains(device),
             qPrintable(status.error().message));
    QCOMPARE(results, 0);
}

void TestDiff::testCliJson_data()
{
    QTest::addColumn<int>("caseIndex");
    const QJsonArray cases = expectedCases();
    for (int c = 0; c < cases.size(); ++c)
        QTest::newRow(qPrintable(cases[c].toObject().value(QStringLiteral("name")).toString())) << c;
}

void TestDiff::testCliJson()
{
    QFETCH(int, caseIndex);
    const QJsonObject expected = expectedCases()[caseIndex].toObject();
    QStringList arguments{QStringLiteral("diff"), testData(expected.value(QStringLiteral("a")).toString()),
                          testData(expected.value(QStringLiteral("b")).toString()), QStringLiteral("--json")};
    if (const QString key = expected.value(QStringLiteral("key_b")).toString(); !key.isEmpty())
        arguments << QStringLiteral("--key-b") << key;
    for (const QString& prefix : strings(expected.value(QStringLiteral("strip_b"))))
        arguments << QStringLiteral("--strip-prefix-b") << prefix;
    const CliRun run = runCli(arguments, 60000);
    const QJsonArray tensors = expected.value(QStringLiteral("tensors")).toArray();
    bool identical = true;
    for (const QJsonValue& tensor : tensors)
        identical = identical && tensor.toObject().value(QStringLiteral("status")).toString() == QLatin1String("same");
    QVERIFY2(run.exitCode == (identical ? 0 : 1), run.err.constData());
    QVERIFY(run.err.isEmpty());
    QJsonParseError parseError{};
    const QJsonObject json = QJsonDocument::fromJson(run.out, &parseError).object();
    QCOMPARE(parseError.error, QJsonParseError::NoError);
    QCOMPARE(json.value(QStringLiteral("identical")).toBool(), identical);
    QCOMPARE(json.value(QStringLiteral("device")).toString(), QStringLiteral("cpu"));
    const QJsonArray got = json.value(QStringLiteral("tensors")).toArray();
    QCOMPARE(got.size(), tensors.size());
    QHash<QString, int> counts;
    for (int i = 0; i < tensors.size(); ++i) {
        const QJsonObject e = tensors[i].toObject(), g = got[i].toObject();
        const QString name = e.value(QStringLiteral("name")).toString();
        QCOMPARE(g.value(QStringLiteral("name")).toString(), name);
        QCOMPARE(g.value(QStringLiteral("status")).toString(), e.value(QStringLiteral("status")).toString());
        ++counts[e.value(QStringLiteral("status")).toString()];
        if (e.contains(QStringLiteral("dtype_a")))
            QCOMPARE(g.value(QStringLiteral("a")).toObject().value(QStringLiteral("dtype")).toString(),
                     e.value(QStringLiteral("dtype_a")).toString());
        else
            QVERIFY(g.value(QStringLiteral("a")).isNull());
        if (!e.contains(QStringLiteral("differing"))) {
            QVERIFY2(!g.contains(QStringLiteral("max_abs_diff")), qPrintable(name));
            continue;
        }
        QCOMPARE(g.value(QStringLiteral("numel")).toInteger(), e.value(QStringLiteral("numel")).toInteger());
        QCOMPARE(g.value(QStringLiteral("differing")).toInteger(), e.value(QStringLiteral("differing")).toInteger());
        for (const char* key : {"max_abs_diff", "mean_abs_diff", "rel_l2", "cosine"}) {
            const QJsonValue want = e.value(QLatin1String(key)), have = g.value(QLatin1String(key));
            QVERIFY2(want.isNull() == have.isNull(), qPrintable(name + u' ' + QLatin1String(key)));
            if (!want.isNull())
                QVERIFY2(std::abs(have.toDouble() - want.toDouble()) <= 1e-12 * std::abs(want.toDouble()) + 1e-300,
                         qPrintable(QStringLiteral("%1 %2: %3 vs %4").arg(name, QLatin1String(key))
                                        .arg(have.toDouble(), 0, 'g', 17).arg(want.toDouble(), 0, 'g', 17)));
        }
    }
    const QJsonObject jsonCounts = json.value(QStringLiteral("counts")).toObject();
    for (const QString& status : {QStringLiteral("same"), QStringLiteral("changed"), QStringLiteral("shape_changed"),
                                  QStringLiteral("dtype_changed"), QStringLiteral("only_a"), QStringLiteral("only_b")})
        QCOMPARE(jsonCounts.value(status).toInt(), counts.value(status));
}

void TestDiff::testCliErrors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    const QString mlp = testData(QStringLiteral("diff/mlp.pth"));
    QTest::newRow("one file") << QStringList{QStringLiteral("diff"), mlp} << QStringLiteral("usage: statelens-cli diff A B");
    QTest::newRow("missing file") << QStringList{QStringLiteral("diff"), mlp, QStringLiteral("/nonexistent/b.pth")}
                                  << QStringLiteral("/nonexistent/b.pth");
    QTest::newRow("misspelt device") << QStringList{QStringLiteral("diff"), mlp, mlp, QStringLiteral("--device"), QStringLiteral("gpu")}
                                     << QStringLiteral("unknown device 'gpu'");
    QTest::newRow("unknown key") << QStringList{QStringLiteral("diff"), mlp, mlp, QStringLiteral("--key-b"), QStringLiteral("ema")}
                                 << QStringLiteral("no state dict at 'ema'");
    QTest::newRow("bad engine") << QStringList{QStringLiteral("diff"), mlp, mlp, QStringLiteral("--engine"), QStringLiteral("gpu")}
                                << QStringLiteral("--engine must be fused or torch");
}

void TestDiff::testCliErrors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    const CliRun run = runCli(arguments, 60000);
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.out.isEmpty());
    QVERIFY2(QString::fromUtf8(run.err).contains(message), run.err.constData());
}

QTEST_GUILESS_MAIN(TestDiff)
#include "tst_diff.moc"
