// Benchmark: how fast hostile and extreme inputs are refused or summarised, each beside a baseline
// measured in the same run. The unit tests check these cases by structure (the error, where the
// parser stopped, what the summary holds); the times are here.
//
//   bench_hostile
//
//   pickle nested a million deep     PickleMachine::run     vs one pass reading every byte
//   safetensors header of 1 MiB '['  readSafetensors        vs one pass reading every byte
//   a 36 000-tensor safetensors      readSafetensors        vs Python's json.loads of the header
//   summary of a 100 000-item list   Value::summary(60)     vs the same summary of a 100-item list
//
// Goals: a refusal costs less than reading the input once (ratio < 1: the parsers stop at their
// limits); a large header reads at least as fast as Python parses its JSON (ratio <= 1); a summary
// costs the same whatever the list's length (ratio < 2).
#include "tests/bench/bench_support.h"

#include "core/base/mapped_file.h"
#include "core/formats/safetensors_reader.h"
#include "core/model/checkpoint.h"
#include "core/pickle/pickle_machine.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtEndian>

#include <cstdio>
#include <functional>
#include <vector>

using namespace statelens;
using namespace statelens::bench;

namespace {

constexpr int kRuns = 7;

// The median over kRuns of `work`, in milliseconds.
double medianMs(const std::function<void()>& work)
{
    std::vector<double> times;
    for (int run = 0; run < kRuns; ++run) {
        QElapsedTimer timer;
        timer.start();
        work();
        times.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    return median(times);
}

// The least any parser can do: look at every byte once.
double readEveryByteMs(const QByteArray& bytes)
{
    return medianMs([&] {
        volatile unsigned sum = 0;
        unsigned local = 0;
        for (const char c : bytes)
            local += static_cast<unsigned char>(c);
        sum = local;
        (void)sum;
    });
}

void printRow(const char* what, double ours, const char* baselineName, double baseline)
{
    std::printf("%-34s %10.3f ms   %-24s %10.3f ms   ratio %.3f\n", what, ours, baselineName, baseline,
                baseline > 0 ? ours / baseline : -1.0);
}

QByteArray safetensorsFile(const QByteArray& header)
{
    QByteArray file(8, '\0');
    qToLittleEndian<quint64>(quint64(header.size()), file.data());
    return file + header;
}

// Reads BYTES as a safetensors file from memory; true when it opened.
bool readSafetensorsBytes(const QByteArray& bytes)
{
    Checkpoint checkpoint;
    checkpoint.files.push_back(
        SourceFile{MappedFile::fromMemory(QStringLiteral("bench.safetensors"), bytes.constData(), bytes.size()), nullptr});
    return bool(readSafetensors(checkpoint, 0));
}

void benchNestedPickle()
{
    QByteArray bytes("\x80\x02]", 3);
    bytes.append(QByteArray(1000000, '\x85'));  // TUPLE1, a million times
    bytes.append('.');
    bool refused = true;
    const double ours = medianMs([&] {
        Checkpoint checkpoint;
        refused = refused && !PickleMachine(checkpoint).run(bytes.constData(), bytes.size());
    });
    printRow(refused ? "pickle nested 1M deep (refused)" : "pickle nested 1M deep (ACCEPTED)", ours, "read every byte",
             readEveryByteMs(bytes));
}

void benchBracketHeaders()
{
    const QByteArray brackets(1 << 20, '[');
    const struct { const char* name; QByteArray header; } cases[] = {
        {"1 MiB '[' in an ignored field", R"({"w":{"x":)" + brackets},
        {"1 MiB '[' as a shape", R"({"w":{"shape":)" + brackets},
        {"1 MiB '[' as __metadata__", R"({"__metadata__":)" + brackets},
    };
    for (const auto& c : cases) {
        const QByteArray file = safetensorsFile(c.header);
        bool refused = true;
        const double ours = medianMs([&] { refused = refused && !readSafetensorsBytes(file); });
        printRow(refused ? c.name : "(ACCEPTED)", ours, "read every byte", readEveryByteMs(file));
    }
}

void benchLargeHeader(const QString& workDir)
{
    constexpr int kCount = 36'000;  // a large language model's worth of tensors
    QByteArray header = "{";
    for (int i = 0; i < kCount; ++i) {
        if (i)
            header += ',';
        header += "\"model.layers." + QByteArray::number(i / 12) + ".mlp.proj_" + QByteArray::number(i % 12)
            + R"(.weight":{"dtype":"BF16","shape":[2,2],"data_offsets":[)" + QByteArray::number(qint64(i) * 8) + ','
            + QByteArray::number(qint64(i) * 8 + 8) + "]}";
    }
    header += R"(,"__metadata__":{"format":"pt"}})";
    const QByteArray file = safetensorsFile(header) + QByteArray(qint64(kCount) * 8, '\0');
    bool opened = true;
    const double ours = medianMs([&] { opened = opened && readSafetensorsBytes(file); });

    const QString headerPath = workDir + QStringLiteral("/header.json");
    QFile out(headerPath);
    if (!out.open(QIODevice::WriteOnly) || out.write(header) != header.size())
        return;
    out.close();
    const double python = pythonNumber(QStringLiteral("import json, sys, time\n"
                                                      "text = open(sys.argv[1], 'rb').read()\n"
                                                      "best = []\n"
                                                      "for _ in range(7):\n"
                                                      "    t = time.perf_counter(); json.loads(text); best.append(time.perf_counter() - t)\n"
                                                      "print(sorted(best)[3] * 1000)\n"),
                                       headerPath);
    printRow(opened ? "36 000-tensor safetensors header" : "36 000-tensor header (FAILED)", ours,
             "python json.loads", python);
}

void benchSummary()
{
    auto listOf = [](int count) -> QByteArray {  // not auto: a QStringBuilder would outlive `bytes`
        QByteArray bytes = "](";
        for (int i = 0; i < count; ++i)
            bytes += "K\x07";
        return bytes + "e.";
    };
    Checkpoint longCheckpoint, shortCheckpoint;
    // 100 items already fill 60 characters: both summaries write the same amount.
    const QByteArray longBytes = listOf(100000), shortBytes = listOf(100);
    auto longList = PickleMachine(longCheckpoint).run(longBytes.constData(), longBytes.size());
    auto shortList = PickleMachine(shortCheckpoint).run(shortBytes.constData(), shortBytes.size());
    if (!longList || !shortList)
        return;
    // A thousand summaries per measurement: one takes about a microsecond.
    const double ours = medianMs([&] {
        for (int i = 0; i < 1000; ++i)
            (*longList)->summary(60);
    });
    const double baseline = medianMs([&] {
        for (int i = 0; i < 1000; ++i)
            (*shortList)->summary(60);
    });
    printRow("1000 summary(60) of 100 000 items", ours, "of 100 items", baseline);
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir workDir;
    std::printf("median of %d runs each\n", kRuns);
    benchNestedPickle();
    benchBracketHeaders();
    benchLargeHeader(workDir.path());
    benchSummary();
    return 0;
}
