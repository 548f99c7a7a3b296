// Benchmark: the full statistics pass (moments, counts and a 64-bin histogram of every tensor)
// against two baselines measured in the same run:
//   - memory bandwidth: the same mapped bytes summed as 64-bit words by one plain loop;
//   - torch: torch.load, then min, max, mean, std and histc per tensor (Debian's python3).
// Also libtorch's separate reductions on the same mapped bytes (the engine used for GPUs), and
// the peak resident memory of `statelens-cli stats` at two file sizes (it must not grow).
//
//   bench_stats [WORKDIR] [--keep]
//
// Not a ctest test: it prints figures.
#include "tests/bench/bench_support.h"

#include "core/formats/checkpoint_reader.h"
#include "core/stats/stats_job.h"
#include "core/stats/stats_kernels.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QThread>

#include <algorithm>
#include <iterator>
#include <cstdio>
#include <cstring>
#include <vector>

using namespace statelens;
using namespace statelens::bench;

namespace {

// 8 MiB float32 tensors, as many as the file size needs: the files differ in size only, so peak
// memory must not differ.
constexpr int kTensorsPerGiB = 128;
constexpr int kRuns = 5;

// The memory-bandwidth baseline: every storage's bytes summed as 64-bit words, one thread.
double sumSeconds(const Checkpoint& checkpoint, quint64* sink)
{
    QElapsedTimer timer;
    timer.start();
    quint64 sum = 0;
    for (int s = 0; s < checkpoint.storages.size(); ++s) {
        auto bytes = checkpoint.storageBytes(s);
        if (!bytes)
            continue;
        const char* p = bytes->data();
        const qint64 words = bytes->size() / 8;
        for (qint64 i = 0; i < words; ++i) {
            quint64 word;
            std::memcpy(&word, p + i * 8, 8);
            sum += word;
        }
    }
    *sink += sum;
    return timer.nsecsElapsed() / 1e9;
}

double statsSeconds(const CheckpointPtr& checkpoint, StatsOptions::Engine engine, qint64* nanCount)
{
    StatsOptions options;
    options.engine = engine;
    StatsJob job(checkpoint, options);
    QVector<int> all;
    for (int i = 0; i < checkpoint->tensors.size(); ++i)
        all.append(i);
    job.addTensors(all);
    std::atomic<qint64> nan{0};
    job.onResult = [&](const TensorStats& stats) { nan += stats.moments.nan; };
    QElapsedTimer timer;
    timer.start();
    const Status status = job.run();
    const double seconds = timer.nsecsElapsed() / 1e9;
    if (!status) {
        std::fprintf(stderr, "stats failed: %s\n", qPrintable(status.error().message));
        return -1;
    }
    *nanCount += nan;
    return seconds;
}

double torchSeconds(const QString& path)
{
    const QString script = QStringLiteral(
        "import sys, time, torch\n"
        "t = time.perf_counter()\n"
        "sd = torch.load(sys.argv[1], map_location='cpu')\n"
        "for v in sd.values():\n"
        "    mn, mx = v.min().item(), v.max().item()\n"
        "    v.mean().item(); v.std().item(); torch.histc(v, 64, mn, mx)\n"
        "print(time.perf_counter() - t)\n");
    return pythonNumber(script, path);
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const BenchArguments parsed = benchArguments(app.arguments(), QStringLiteral("statelens-bench"));
    const QString& work = parsed.work;
    const QString& cli = parsed.cli;
    const bool keep = parsed.keep;
    std::printf("fused pass: %s, %d threads; 8 MiB tensors; medians of %d runs\n\n",
                kernels::simdTargetName(), QThread::idealThreadCount(), kRuns);
    std::printf("%-8s %12s %12s %8s %11s %10s %12s %10s %10s\n", "file", "stats GB/s", "sum GB/s", "ratio",
                "torch (s)", "speed-up", "libtorch (s)", "speed-up", "peak MiB");
    // Peak memory first, while this process is small: a child's peak as Linux reports it includes
    // what the parent had resident when it forked.
    const double sizes[] = {0.5, 2.0};
    std::vector<long> peaks;
    for (const double gib : sizes) {
        const QString path = QStringLiteral("%1/bench_stats_%2gib.pt").arg(work).arg(gib);
        if (!ensureBenchCheckpoint(path, gib, int(gib * kTensorsPerGiB), true))
            return 1;
        peaks.push_back(peakResidentKiB(cli, {QStringLiteral("stats"), path, QStringLiteral("--json")}));
    }
    quint64 sink = 0;
    for (size_t f = 0; f < std::size(sizes); ++f) {
        const double gib = sizes[f];
        const QString path = QStringLiteral("%1/bench_stats_%2gib.pt").arg(work).arg(gib);
        auto opened = openCheckpoint(path);
        if (!opened) {
            std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
            return 1;
        }
        const CheckpointPtr checkpoint = *opened;
        const double bytes = double(checkpoint->totalNbytes());
        sumSeconds(*checkpoint, &sink);  // bring the file into the page cache
        // Interleaved, so that a noisy machine slows both alike.
        std::vector<double> sums, fused;
        qint64 nan = 0;
        for (int run = 0; run < kRuns; ++run) {
            sums.push_back(sumSeconds(*checkpoint, &sink));
            fused.push_back(statsSeconds(checkpoint, StatsOptions::Engine::Fused, &nan));
        }
        const double libtorch = statsSeconds(checkpoint, StatsOptions::Engine::Torch, &nan);
        const double torch = torchSeconds(path);
        const long peak = peaks[f];
        const double fusedSeconds = median(fused), sumSeconds = median(sums);
        std::printf("%-8s %12.2f %12.2f %8.2f %11.2f %9.1fx %12.2f %9.1fx %10.1f\n",
                    qPrintable(QStringLiteral("%1 GiB").arg(gib)), bytes / fusedSeconds / 1e9, bytes / sumSeconds / 1e9,
                    sumSeconds / fusedSeconds, torch, torch / fusedSeconds, libtorch, libtorch / fusedSeconds,
                    peak > 0 ? peak / 1024.0 : -1.0);
        std::fflush(stdout);
        if (!keep)
            QFile::remove(path);
    }
    std::printf("\nratio: statistics speed / single-loop read speed (goal >= 0.5)\n"
                "speed-up: torch.load + min/max/mean/std/histc per tensor, and libtorch's separate reductions\n"
                "on the mapped bytes, against the fused pass (goal >= 5x against torch)\n"
                "peak MiB: `statelens-cli stats FILE --json` (goal < 1024 and flat as the file grows)\n");
    return sink == 42 ? 2 : 0;  // keeps the baseline loop from being optimised away
}
