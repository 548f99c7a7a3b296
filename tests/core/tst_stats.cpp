// Statistics equal torch's: every dtype, view and format of tests/data/stats (expected values
// written by torch in make_stats_fixtures.py), through the fused pass and through libtorch; and
// the job's behaviour: chunking, groups, bad bytes, a file truncated after opening, progress,
// cancellation, unavailable devices.
#include "core/formats/checkpoint_reader.h"
#include "core/runtime/torch_runtime.h"
#include "core/stats/stats_job.h"
#include "core/stats/stats_kernels.h"
#include "tests/support/torch_requirement.h"
#include "tests/support/torch_rows.h"

#include <QtEndian>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <mutex>

using namespace statelens;

namespace {

QString statsData(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/stats/") + name;
}

enum class Run { Fused, FusedTinyChunks, Torch };

StatsOptions optionsFor(Run run, int bins = 64)
{
    StatsOptions options;
    options.bins = bins;
    options.engine = run == Run::Torch ? StatsOptions::Engine::Torch : StatsOptions::Engine::Fused;
    // Chunks of 37 elements: every tensor splits across units and threads, views mid-row.
    if (run == Run::FusedTinyChunks)
        options.chunkElements = 37;
    return options;
}

struct JobOutcome {
    Status status = Ok{};
    QVector<TensorStats> tensors;  // by listing index
    QHash<QString, TensorStats> groups;
    QVector<QPair<qint64, qint64>> progress;
};

JobOutcome runJob(const CheckpointPtr& checkpoint, const StatsOptions& options, const QStringList& groups = {})
{
    JobOutcome outcome;
    outcome.tensors.resize(checkpoint->tensors.size());
    StatsJob job(checkpoint, options);
    QVector<int> all;
    for (int i = 0; i < checkpoint->tensors.size(); ++i)
        all.append(i);
    job.addTensors(all);
    for (const QString& prefix : groups) {
        QVector<int> members;
        for (int i : all)
            if (checkpoint->tensors[i].name.startsWith(prefix))
                members.append(i);
        job.addGroup(prefix, members);
    }
    std::mutex mutex;
    job.onResult = [&](const TensorStats& stats) {
        std::lock_guard<std::mutex> lock(mutex);
        if (stats.tensor >= 0)
            outcome.tensors[stats.tensor] = stats;
        else
            outcome.groups.insert(stats.name, stats);
    };
    job.onProgress = [&](qint64 done, qint64 total) {
        std::lock_guard<std::mutex> lock(mutex);
        outcome.progress.append({done, total});
    };
    outcome.status = job.run();
    return outcome;
}

bool isSixteenBit(const QString& dtype)
{
    return dtype == QLatin1String("float16") || dtype == QLatin1String("bfloat16");
}

// Compares one result with torch's figures; returns an empty string or what differs.
QString differences(const TensorStats& got, const QJsonObject& expected, const QString& histogramKey,
                    const QString& toleranceKey)
{
    QStringList problems;
    auto check = [&](bool ok, const QString& what) {
        if (!ok)
            problems.append(what);
    };
    check(got.numel == expected.value(QStringLiteral("numel")).toInteger(),
          QStringLiteral("numel %1").arg(got.numel));
    if (expected.value(QStringLiteral("skipped")).toBool()) {
        check(!got.skipped.isEmpty(), QStringLiteral("not skipped"));
        return problems.join(QStringLiteral("; "));
    }
    check(got.error.isEmpty() && got.skipped.isEmpty(), QStringLiteral("error '%1' skipped '%2'").arg(got.error, got.skipped));
    const Moments& m = got.moments;
    check(m.nan == expected.value(QStringLiteral("nan")).toInteger(), QStringLiteral("nan %1").arg(m.nan));
    check(m.inf() == expected.value(QStringLiteral("inf")).toInteger(), QStringLiteral("inf %1").arg(m.inf()));
    check(m.zeros == expected.value(QStringLiteral("zeros")).toInteger(), QStringLiteral("zeros %1").arg(m.zeros));
    if (expected.value(QStringLiteral("min")).isNull()) {
        check(m.finite == 0, QStringLiteral("finite values where torch has none"));
        check(got.histogram.isEmpty(), QStringLiteral("a histogram without finite values"));
        return problems.join(QStringLiteral("; "));
    }
    const double tolerance = isSixteenBit(expected.value(QStringLiteral("dtype")).toString()) ? 2e-3 : 1e-5;
    auto close = [&](double value, const QJsonValue& reference) {
        const double r = reference.toDouble();
        return std::abs(value - r) <= tolerance * std::abs(r) + 1e-12;
    };
    check(m.min == expected.value(QStringLiteral("min")).toDouble(), QStringLiteral("min %1").arg(m.min, 0, 'g', 17));
    check(m.max == expected.value(QStringLiteral("max")).toDouble(), QStringLiteral("max %1").arg(m.max, 0, 'g', 17));
    check(close(m.mean, expected.value(QStringLiteral("mean"))), QStringLiteral("mean %1").arg(m.mean, 0, 'g', 17));
    if (expected.value(QStringLiteral("std")).isNull())
        check(std::isnan(m.std()), QStringLiteral("std %1 where torch has none").arg(m.std()));
    else
        check(close(m.std(), expected.value(QStringLiteral("std"))), QStringLiteral("std %1").arg(m.std(), 0, 'g', 17));
    const QJsonObject histogram = expected.value(histogramKey).toObject();
    check(got.range.lo == histogram.value(QStringLiteral("lo")).toDouble()
              && got.range.hi == histogram.value(QStringLiteral("hi")).toDouble(),
          QStringLiteral("histogram range [%1, %2]").arg(got.range.lo, 0, 'g', 17).arg(got.range.hi, 0, 'g', 17));
    const QJsonArray counts = histogram.value(QStringLiteral("counts")).toArray();
    if (counts.size() != got.histogram.size()) {
        problems.append(QStringLiteral("%1 bins, torch %2").arg(got.histogram.size()).arg(counts.size()));
        return problems.join(QStringLiteral("; "));
    }
    // Values on a bin edge may land on either side of it; every other count is torch's.
    qint64 moved = 0, total = 0, expectedTotal = 0;
    for (int b = 0; b < counts.size(); ++b) {
        moved += std::abs(got.histogram[b] - counts[b].toInteger());
        total += got.histogram[b];
        expectedTotal += counts[b].toInteger();
    }
    check(total == expectedTotal, QStringLiteral("histogram holds %1 values, torch %2").arg(total).arg(expectedTotal));
    const qint64 edgeValues = expected.value(toleranceKey).toInteger();
    check(moved <= 2 * edgeValues, QStringLiteral("histogram counts differ by %1 (values on edges: %2)").arg(moved).arg(edgeValues));
    return problems.join(QStringLiteral("; "));
}

QByteArray safetensorsOf(const QVector<QPair<QString, qint64>>& float32Tensors)
{
    QJsonObject header;
    qint64 offset = 0;
    for (const auto& [name, numel] : float32Tensors) {
        header.insert(name, QJsonObject{{QStringLiteral("dtype"), QStringLiteral("F32")},
                                        {QStringLiteral("shape"), QJsonArray{numel}},
                                        {QStringLiteral("data_offsets"), QJsonArray{offset, offset + numel * 4}}});
        offset += numel * 4;
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json.append(' ');
    QByteArray file(8, '\0');
    qToLittleEndian<quint64>(quint64(json.size()), file.data());
    file += json;
    QByteArray data(int(offset), '\0');
    float* values = reinterpret_cast<float*>(data.data());
    for (qint64 i = 0; i < offset / 4; ++i)
        values[i] = float(i % 1000) * 0.001f;
    return file + data;
}

}  // namespace

class TestStats : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void testMatchesTorch_data();
    void testMatchesTorch();
    void testTenBinsMatchTorch();
    void testGroupsMatchTorch_data();
    void testGroupsMatchTorch();
    void testSparseIsSkippedWithReason();
    void testMomentsStayAccurateFarFromZero();
    void testHistogramKernelMatchesTorchArithmetic();
    void testBadTensorsAreErrorsTheRestComputed();
    void testFileTruncatedAfterOpening();
    void testProgressReachesTotal();
    void testCancelStopsWithinAChunk();
    void testUnavailableDeviceSaysWhy_data();
    void testUnavailableDeviceSaysWhy();

private:
    const JobOutcome& outcome(const QString& file, Run run);
    QJsonObject m_expected;
    QHash<QString, CheckpointPtr> m_checkpoints;
    QHash<QString, JobOutcome> m_outcomes;
};

void TestStats::initTestCase()
{
    QFile file(statsData(QStringLiteral("stats_expected.json")));
    QVERIFY2(file.open(QIODevice::ReadOnly), "run tests/data/stats/make_stats_fixtures.py");
    m_expected = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("files")).toObject();
    QVERIFY(m_expected.size() >= 8);
}

const JobOutcome& TestStats::outcome(const QString& file, Run run)
{
    const QString key = file + QString::number(int(run));
    if (!m_outcomes.contains(key)) {
        if (!m_checkpoints.contains(file)) {
            auto opened = openCheckpoint(statsData(file));
            if (!opened)
                qFatal("%s", qPrintable(opened.error().toString()));
            m_checkpoints.insert(file, *opened);
        }
        m_outcomes.insert(key, runJob(m_checkpoints.value(file), optionsFor(run)));
    }
    return m_outcomes[key];
}

void TestStats::testMatchesTorch_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("run");
    const char* runNames[] = {"fused", "fused-chunked", "libtorch"};
    for (auto file = m_expected.begin(); file != m_expected.end(); ++file) {
        const QJsonArray tensors = file.value().toObject().value(QStringLiteral("tensors")).toArray();
        for (int i = 0; i < tensors.size(); ++i) {
            for (int run = 0; run < 3; ++run) {
                QTest::addRow("%s/%s/%s", qPrintable(file.key()),
                              qPrintable(tensors[i].toObject().value(QStringLiteral("name")).toString()), runNames[run])
                    << file.key() << i << run;
            }
        }
    }
}

void TestStats::testMatchesTorch()
{
    QFETCH(QString, file);
    QFETCH(int, index);
    QFETCH(int, run);
    if (Run(run) == Run::Torch)
        STATELENS_REQUIRE_TORCH_MODULE();
    const JobOutcome& result = outcome(file, Run(run));
    QVERIFY2(result.status.ok(), qPrintable(result.status.ok() ? QString() : result.status.error().message));
    const QJsonObject expected =
        m_expected.value(file).toObject().value(QStringLiteral("tensors")).toArray().at(index).toObject();
    const QString name = expected.value(QStringLiteral("name")).toString();
    const auto found = std::find_if(result.tensors.begin(), result.tensors.end(),
                                    [&](const TensorStats& s) { return s.name == name; });
    QVERIFY2(found != result.tensors.end(), qPrintable(QStringLiteral("no result for ") + name));
    if (Run(run) == Run::Torch && expected.value(QStringLiteral("dtype")).toString().startsWith(QLatin1String("float8")))
        QVERIFY(found->error.isEmpty());  // libtorch 1.13 has no float8, but the values reach it widened
    const QString problems = differences(*found, expected, QStringLiteral("histogram"), QStringLiteral("edge_tolerance"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestStats::testTenBinsMatchTorch()
{
    auto opened = openCheckpoint(statsData(QStringLiteral("stats_dtypes.pt")));
    QVERIFY(opened);
    for (Run run : {Run::Fused, Run::Torch}) {
        if (run == Run::Torch && !TorchRuntime::instance().load().ok())
            continue;
        const JobOutcome result = runJob(*opened, optionsFor(run, 10));
        QVERIFY(result.status.ok());
        const QJsonArray tensors = m_expected.value(QStringLiteral("stats_dtypes.pt")).toObject().value(QStringLiteral("tensors")).toArray();
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject expected = tensors[i].toObject();
            const QString problems = differences(result.tensors[i], expected, QStringLiteral("histogram_10"),
                                                 QStringLiteral("edge_tolerance_10"));
            QVERIFY2(problems.isEmpty(), qPrintable(expected.value(QStringLiteral("name")).toString() + QStringLiteral(": ") + problems));
        }
    }
}

void TestStats::testGroupsMatchTorch_data()
{
    QTest::addColumn<int>("run");
    QTest::newRow("fused") << int(Run::Fused);
    QTest::newRow("fused-chunked") << int(Run::FusedTinyChunks);
    QTest::newRow("libtorch") << int(Run::Torch);
}

void TestStats::testGroupsMatchTorch()
{
    QFETCH(int, run);
    if (Run(run) == Run::Torch)
        STATELENS_REQUIRE_TORCH_MODULE();
    auto opened = openCheckpoint(statsData(QStringLiteral("stats_module_tree.pt")));
    QVERIFY(opened);
    const QJsonArray aggregates = m_expected.value(QStringLiteral("stats_module_tree.pt")).toObject().value(QStringLiteral("aggregates")).toArray();
    QVERIFY(!aggregates.isEmpty());
    QStringList prefixes;
    for (const QJsonValue& aggregate : aggregates)
        prefixes.append(aggregate.toObject().value(QStringLiteral("prefix")).toString());
    const JobOutcome result = runJob(*opened, optionsFor(Run(run)), prefixes);
    QVERIFY(result.status.ok());
    for (const QJsonValue& value : aggregates) {
        QJsonObject expected = value.toObject();
        const QString prefix = expected.value(QStringLiteral("prefix")).toString();
        QVERIFY2(result.groups.contains(prefix), qPrintable(prefix));
        const TensorStats& group = result.groups.value(prefix);
        QVERIFY(group.tensorCount > 1);
        QVERIFY(group.warnings.isEmpty());
        expected.insert(QStringLiteral("dtype"), QStringLiteral("float64"));
        if (!expected.contains(QStringLiteral("numel")))
            expected.insert(QStringLiteral("numel"), group.numel);
        const QString problems = differences(group, expected, QStringLiteral("histogram"), QStringLiteral("edge_tolerance"));
        QVERIFY2(problems.isEmpty(), qPrintable(prefix + QStringLiteral(": ") + problems));
    }
}

void TestStats::testSparseIsSkippedWithReason()
{
    const JobOutcome& result = outcome(QStringLiteral("stats_sparse.pt"), Run::Fused);
    const auto sparse = std::find_if(result.tensors.begin(), result.tensors.end(),
                                     [](const TensorStats& s) { return s.name == QLatin1String("sparse"); });
    QVERIFY(sparse != result.tensors.end());
    QVERIFY(sparse->skipped.contains(QLatin1String("sparse")));
    QVERIFY(!sparse->hasValues());
}

void TestStats::testMomentsStayAccurateFarFromZero()
{
    // 4M values 1e4 +- 0.5 (alternating): a float32 running sum would be off in the third digit
    // of the deviation; the exact mean is 1e4 and the exact std 0.5 * sqrt(n / (n - 1)).
    const qint64 n = qint64(1) << 22;
    std::vector<float> values(static_cast<size_t>(n));
    for (qint64 i = 0; i < n; ++i)
        values[size_t(i)] = 10000.0f + ((i & 1) ? 0.5f : -0.5f);
    Moments m = kernels::moments(values.data(), values.size());
    QCOMPARE(m.finite, n);
    QVERIFY(std::abs(m.mean - 10000.0) < 1e-9);
    QVERIFY(std::abs(m.std() - 0.5 * std::sqrt(double(n) / double(n - 1))) < 1e-9);
    // Merging per-chunk moments in any split gives the same figures.
    Moments merged;
    for (qint64 start = 0; start < n; start += 999983)
        merged.merge(kernels::moments(values.data() + start, size_t(std::min<qint64>(999983, n - start))));
    QVERIFY(std::abs(merged.mean - m.mean) < 1e-9);
    QVERIFY(std::abs(merged.std() - m.std()) < 1e-9);
}

void TestStats::testHistogramKernelMatchesTorchArithmetic()
{
    // Every vector lane and the scalar tail agree with the formula torch.histc uses, in float.
    const float lo = -1.0f, hi = 3.0f;
    std::vector<float> values;
    for (int i = 0; i < 1003; ++i)
        values.push_back(lo + (hi - lo) * float(i) / 1002.0f);
    values.push_back(std::nanf(""));
    values.push_back(5.0f);  // out of range: ignored, as torch.histc does
    kernels::HistogramAccumulator accumulator(7);
    accumulator.add(values.data(), values.size(), lo, hi);
    QVector<qint64> counts(7, 0);
    accumulator.flushInto(counts.data());
    QVector<qint64> reference(7, 0);
    for (size_t i = 0; i < 1003; ++i) {
        const float position = (values[i] - lo) * 7.0f / (hi - lo);
        reference[std::min(6, int(position))] += 1;
    }
    QCOMPARE(counts, reference);
}

void TestStats::testBadTensorsAreErrorsTheRestComputed()
{
    auto opened = openCheckpoint(statsData(QStringLiteral("stats_dtypes.pt")));
    QVERIFY(opened);
    CheckpointPtr checkpoint = *opened;
    checkpoint->tensors[0].shape = {1 << 20};  // far past its storage's 4000 bytes
    checkpoint->tensors[1].dtype = DType::UInt4;  // a packed type statistics do not decode
    const JobOutcome result = runJob(checkpoint, optionsFor(Run::Fused));
    QVERIFY(result.status.ok());
    QVERIFY2(result.tensors[0].error.contains(QLatin1String("storage")), qPrintable(result.tensors[0].error));
    QVERIFY2(result.tensors[1].error.contains(QLatin1String("uint4")), qPrintable(result.tensors[1].error));
    QVERIFY(result.tensors[2].error.isEmpty());
    QVERIFY(result.tensors[2].moments.finite > 0);
}

void TestStats::testFileTruncatedAfterOpening()
{
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("resaved.pt"));
    QVERIFY(QFile::copy(statsData(QStringLiteral("stats_module_tree.pt")), copy));
    auto opened = openCheckpoint(copy);
    QVERIFY(opened);
    // Training re-saves the file: it shrinks under the open checkpoint.
    QFile file(copy);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.resize(file.size() / 3));
    file.close();
    const JobOutcome result = runJob(*opened, optionsFor(Run::Fused));
    QVERIFY(result.status.ok());
    for (const TensorStats& stats : result.tensors)
        QVERIFY2(stats.error.contains(QLatin1String("shrank")) && stats.error.contains(copy), qPrintable(stats.error));
}

void TestStats::testProgressReachesTotal()
{
    const JobOutcome& result = outcome(QStringLiteral("stats_module_tree.pt"), Run::FusedTinyChunks);
    QVERIFY(!result.progress.isEmpty());
    qint64 previous = 0;
    for (const auto& [done, total] : result.progress) {
        QVERIFY(done >= previous);
        QVERIFY(done <= total);
        previous = done;
    }
    QCOMPARE(result.progress.last().first, result.progress.last().second);
    QVERIFY(result.progress.last().second > 0);
}

void TestStats::testCancelStopsWithinAChunk()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("large.safetensors"));
    QVector<QPair<QString, qint64>> tensors;
    for (int i = 0; i < 48; ++i)
        tensors.append({QStringLiteral("layer%1.weight").arg(i, 2, 10, QLatin1Char('0')), qint64(1) << 18});
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(safetensorsOf(tensors));
    file.close();
    auto opened = openCheckpoint(path);
    QVERIFY(opened);
    StatsOptions options;
    options.chunkElements = qint64(1) << 16;
    options.threads = 2;
    StatsJob job(*opened, options);
    QVector<int> all;
    for (int i = 0; i < (*opened)->tensors.size(); ++i)
        all.append(i);
    job.addTensors(all);
    std::atomic<int> results{0};
    std::atomic<int> resultsAtCancel{-1};
    job.onResult = [&](const TensorStats&) { ++results; };
    job.onProgress = [&](qint64 done, qint64) {
        if (done > 0 && !job.isCancelled()) {
            resultsAtCancel = results.load();
            job.cancel();
        }
    };
    const Status status = job.run();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::Cancelled);
    QVERIFY(resultsAtCancel >= 0);
    // A cancel is acknowledged before the next unit starts: only the units already in flight,
    // one per thread, can still complete a tensor (each tensor is four units here). How fast
    // that is, is tests/bench's to measure, not a wall-clock assert's.
    QVERIFY2(results - resultsAtCancel <= options.threads,
             qPrintable(QStringLiteral("%1 results after the cancel").arg(results - resultsAtCancel)));
    QVERIFY(results < 48);
}

void TestStats::testUnavailableDeviceSaysWhy_data()
{
    QTest::addColumn<QString>("device");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("needsTorch");
    for (const test::DeviceRow& row : test::unavailableDeviceRows())
        QTest::newRow(qPrintable(row.name)) << row.device << row.reason << row.needsTorch;
}

void TestStats::testUnavailableDeviceSaysWhy()
{
    QFETCH(QString, device);
    QFETCH(QString, reason);
    QFETCH(bool, needsTorch);
    if (needsTorch)
        STATELENS_REQUIRE_TORCH_MODULE();
    auto opened = openCheckpoint(statsData(QStringLiteral("stats_dtypes.pt")));
    QVERIFY(opened);
    StatsOptions options;
    options.device = device;
    StatsJob job(*opened, options);
    job.addTensors({0});
    const Status status = job.run();
    QVERIFY(!status.ok());
    QVERIFY2(status.error().message.contains(reason) && status.error().message.contains(device),
             qPrintable(status.error().message));
}

QTEST_GUILESS_MAIN(TestStats)
#include "tst_stats.moc"
