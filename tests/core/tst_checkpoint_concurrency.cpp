// The statistics job and the value preview resolving the same storage at the same moment, as the
// GUI does when a tensor is selected (the statistics run on a worker thread while the Values tab
// reads the tensor on the GUI thread). Both must read the bytes torch wrote, and under
// ThreadSanitizer (the dev-tsan preset) neither may race with the other: each storage of a fresh
// Checkpoint is a zip record whose data offset is found on first use, so the pair below is the
// first use, from two threads at once.
//
// In an uninstrumented build a race here rarely shows as a wrong value; the test's teeth are
// TSan's (it reported the old Checkpoint::storageBytes, which wrote StorageInfo::fileOffset under
// a lock but read it outside one). The values are checked anyway: a resolver that returned a
// wrong offset under contention would read the wrong bytes.
#include "core/formats/checkpoint_reader.h"
#include "core/stats/stats_job.h"
#include "core/stats/value_reader.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

using namespace statelens;

namespace {

const QString kFixture = QStringLiteral("stats_dtypes.pt");  // one storage record per dtype

QString statsData(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/stats/") + name;
}

// A reusable two-party barrier from std::atomic only. Not QSemaphore: Debian's Qt is not built
// for TSan, so the ordering its futex gives would be invisible to TSan and every access after it
// would look like a race. Spinning (with a yield) releases both threads within microseconds of
// each other; a condition variable's wake-up would let the first get well ahead.
class SpinBarrier {
public:
    void arriveAndWait()
    {
        const int generation = m_generation.load(std::memory_order_acquire);
        if (m_arrived.fetch_add(1, std::memory_order_acq_rel) == 1) {
            m_arrived.store(0, std::memory_order_relaxed);
            m_generation.fetch_add(1, std::memory_order_release);
            return;
        }
        while (m_generation.load(std::memory_order_acquire) == generation)
            std::this_thread::yield();
    }

private:
    std::atomic<int> m_arrived{0};
    std::atomic<int> m_generation{0};
};

// What torch's figures (stats_expected.json) say about a tensor, from either side.
struct Summary {
    qint64 numel = 0;
    qint64 nan = 0;
    qint64 inf = 0;
    qint64 zeros = 0;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    QString error;
};

Summary fromStats(const TensorStats& stats)
{
    Summary summary;
    summary.numel = stats.numel;
    summary.nan = stats.moments.nan;
    summary.inf = stats.moments.inf();
    summary.zeros = stats.moments.zeros;
    summary.min = stats.moments.min;
    summary.max = stats.moments.max;
    summary.error = stats.error.isEmpty() ? stats.skipped : stats.error;
    return summary;
}

// The value as stats_expected.json's definitions widen it: complex values by magnitude, computed
// as torch's vectorised abs does (sqrt of the summed squares, not hypot, which differs in the last
// bit; separate statements so no FMA is fused).
double widened(const ElementValue& value)
{
    switch (value.kind) {
    case ElementValue::Kind::Real: return value.real;
    case ElementValue::Kind::Signed: return double(value.integer);
    case ElementValue::Kind::Unsigned: return double(value.unsignedInteger);
    case ElementValue::Kind::Bool: return double(value.integer);
    case ElementValue::Kind::Complex: {
        const double re2 = value.real * value.real;
        const double im2 = value.imag * value.imag;
        return std::sqrt(re2 + im2);
    }
    }
    return std::numeric_limits<double>::quiet_NaN();
}

// Every element through the value preview's reader, folded into torch's figures.
Summary fromValueReader(const Checkpoint& checkpoint, int tensor)
{
    Summary summary;
    auto reader = ValueReader::create(checkpoint, checkpoint.tensors[tensor]);
    if (!reader) {
        summary.error = reader.error().message;
        return summary;
    }
    const QVector<qint64>& shape = reader->shape();
    summary.numel = reader->numel();
    QVector<qint64> coordinate(shape.size(), 0);
    for (qint64 n = 0; n < summary.numel; ++n) {
        auto element = reader->at(coordinate);
        if (!element) {
            summary.error = element.error().message;
            return summary;
        }
        const double v = widened(*element);
        if (std::isnan(v)) {
            ++summary.nan;
        } else if (std::isinf(v)) {
            ++summary.inf;
        } else {
            summary.zeros += v == 0.0;
            summary.min = std::min(summary.min, v);
            summary.max = std::max(summary.max, v);
        }
        for (int d = int(shape.size()) - 1; d >= 0 && ++coordinate[d] == shape[d]; --d)
            coordinate[d] = 0;  // row-major odometer
    }
    return summary;
}

// What differs from torch's figures for this tensor; empty when nothing does.
QString differences(const Summary& got, const QJsonObject& expected)
{
    if (!got.error.isEmpty())
        return got.error;
    QStringList problems;
    auto check = [&](bool ok, const QString& what) {
        if (!ok)
            problems.append(what);
    };
    check(got.numel == expected.value(QStringLiteral("numel")).toInteger(), QStringLiteral("numel %1").arg(got.numel));
    check(got.nan == expected.value(QStringLiteral("nan")).toInteger(), QStringLiteral("nan %1").arg(got.nan));
    check(got.inf == expected.value(QStringLiteral("inf")).toInteger(), QStringLiteral("inf %1").arg(got.inf));
    check(got.zeros == expected.value(QStringLiteral("zeros")).toInteger(), QStringLiteral("zeros %1").arg(got.zeros));
    if (expected.value(QStringLiteral("min")).isNull()) {
        check(std::isinf(got.min) && std::isinf(got.max), QStringLiteral("finite values where torch has none"));
    } else {
        // Exact, as in tst_stats: both sides widen exactly, so any other figure is other bytes.
        check(got.min == expected.value(QStringLiteral("min")).toDouble(), QStringLiteral("min %1").arg(got.min, 0, 'g', 17));
        check(got.max == expected.value(QStringLiteral("max")).toDouble(), QStringLiteral("max %1").arg(got.max, 0, 'g', 17));
    }
    return problems.join(QStringLiteral(", "));
}

}  // namespace

class TestCheckpointConcurrency : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void testStatsAndValuePreviewResolveOneStorageTogether();

private:
    QHash<QString, QJsonObject> m_expected;  // tensor name -> torch's figures
};

void TestCheckpointConcurrency::initTestCase()
{
    QFile file(statsData(QStringLiteral("stats_expected.json")));
    QVERIFY2(file.open(QIODevice::ReadOnly), "run tests/data/stats/make_stats_fixtures.py");
    const QJsonArray tensors = QJsonDocument::fromJson(file.readAll())
                                   .object().value(QStringLiteral("files")).toObject()
                                   .value(kFixture).toObject().value(QStringLiteral("tensors")).toArray();
    for (const QJsonValue& tensor : tensors)
        m_expected.insert(tensor.toObject().value(QStringLiteral("name")).toString(), tensor.toObject());
    QVERIFY(m_expected.size() >= 20);
}

void TestCheckpointConcurrency::testStatsAndValuePreviewResolveOneStorageTogether()
{
    // Each round opens a fresh Checkpoint, so every storage is still unresolved when its pair
    // starts. TSan needs one unordered pair to report a race; the rounds give an uninstrumented
    // build many chances to see contention.
    constexpr int kRounds = 12;
    QStringList problems;
    for (int round = 0; round < kRounds; ++round) {
        auto opened = openCheckpoint(statsData(kFixture));
        QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
        const CheckpointPtr checkpoint = *opened;
        QCOMPARE(checkpoint->format, Format::TorchZip);

        // The tensors whose storage is a zip record found on first use: what this test is about.
        QVector<int> tensors;
        for (int i = 0; i < checkpoint->tensors.size(); ++i) {
            const TensorInfo& tensor = checkpoint->tensors[i];
            if (!m_expected.contains(tensor.name) || tensor.storage < 0)
                continue;
            QVERIFY2(checkpoint->storages[tensor.storage].zipEntry >= 0, qPrintable(tensor.name));
            tensors.append(i);
        }
        QCOMPARE(tensors.size(), m_expected.size());

        QVector<Summary> fromJob(tensors.size()), fromPreview(tensors.size());
        SpinBarrier barrier;
        // The statistics job as the GUI's stats runner starts it: one tensor, on its own thread
        // (threads = 1 keeps the job's work on this thread, so the pair is exactly two threads).
        std::thread statistics([&] {
            for (int t = 0; t < tensors.size(); ++t) {
                StatsOptions options;
                options.threads = 1;
                StatsJob job(checkpoint, options);
                job.addTensors({tensors[t]});
                TensorStats result;
                result.error = QStringLiteral("no result");
                job.onResult = [&result](const TensorStats& stats) { result = stats; };
                barrier.arriveAndWait();
                const Status status = job.run();
                fromJob[t] = fromStats(result);
                if (!status)
                    fromJob[t].error = status.error().message;
            }
        });
        std::thread preview([&] {
            for (int t = 0; t < tensors.size(); ++t) {
                barrier.arriveAndWait();
                fromPreview[t] = fromValueReader(*checkpoint, tensors[t]);
            }
        });
        statistics.join();
        preview.join();

        for (int t = 0; t < tensors.size(); ++t) {
            const QString& name = checkpoint->tensors[tensors[t]].name;
            const QJsonObject& expected = m_expected[name];
            if (const QString job = differences(fromJob[t], expected); !job.isEmpty())
                problems.append(QStringLiteral("round %1, %2, statistics: %3").arg(round).arg(name, job));
            if (const QString values = differences(fromPreview[t], expected); !values.isEmpty())
                problems.append(QStringLiteral("round %1, %2, value preview: %3").arg(round).arg(name, values));
        }
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.mid(0, 20).join(u'\n')));
}

QTEST_GUILESS_MAIN(TestCheckpointConcurrency)
#include "tst_checkpoint_concurrency.moc"
