// Benchmark: opening (listing) a checkpoint against torch.load of the same file, in one run.
//
//   bench_open [WORKDIR] [--keep]
//
// Writes synthetic torch.save checkpoints of 1, 2 and 4 GiB with the same number of tensors, and
// one of 1 GiB with four times as many
// (Debian's /usr/bin/python3 with torch), then prints for each: our listing time (median of
// several runs), torch.load(map_location='cpu') time in the same run, their ratio, and the peak
// resident memory of `statelens-cli ls --json` on that file. Not a ctest test: it prints figures.
#include "core/formats/checkpoint_reader.h"

#include "tests/bench/bench_support.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace statelens;
using namespace statelens::bench;

namespace {

constexpr int kTensors = 512;

double medianMilliseconds(const QString& path, int runs, int* tensors)
{
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer timer;
        timer.start();
        auto opened = openCheckpoint(path);
        times.push_back(timer.nsecsElapsed() / 1e6);
        if (!opened) {
            std::fprintf(stderr, "open failed: %s\n", qPrintable(opened.error().toString()));
            return -1;
        }
        *tensors = int((*opened)->tensors.size());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}


}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    const bool keep = arguments.contains(QStringLiteral("--keep"));
    QString work = arguments.size() > 1 && !arguments[1].startsWith(QLatin1String("--")) ? arguments[1] : QDir::tempPath() + QStringLiteral("/statelens-bench");
    QDir().mkpath(work);
    const QString cli = QCoreApplication::applicationDirPath() + QStringLiteral("/statelens-cli");

    std::printf("%-8s %8s %14s %16s %10s %16s\n", "file", "tensors", "listing (ms)", "torch.load (ms)", "speed-up", "peak RSS (MiB)");
    std::vector<double> listingTimes;
    // Same tensor count at 1, 2 and 4 GiB (bytes must not matter), then 4x the tensors at 1 GiB.
    const std::pair<double, int> files[] = {{1.0, kTensors}, {2.0, kTensors}, {4.0, kTensors}, {1.0, 4 * kTensors}};
    for (const auto& [gib, count] : files) {
        const QString path = QStringLiteral("%1/bench_%2gib_%3t.pt").arg(work).arg(gib).arg(count);
        if (!ensureBenchCheckpoint(path, gib, count, false))
            return 1;
        int tensors = 0;
        const double listing = medianMilliseconds(path, 25, &tensors);
        const double load = torchLoadMilliseconds(path);
        const long peak = peakResidentKiB(cli, {QStringLiteral("ls"), path, QStringLiteral("--json")});
        listingTimes.push_back(listing);
        std::printf("%-8s %8d %14.2f %16.1f %9.0fx %16.1f\n", qPrintable(QStringLiteral("%1 GiB").arg(gib)), tensors, listing, load,
                    listing > 0 ? load / listing : 0.0, peak > 0 ? peak / 1024.0 : -1.0);
        std::fflush(stdout);
        if (!keep)
            QFile::remove(path);
    }
    std::printf("listing time, 4 GiB / 1 GiB at %d tensors: %.2f (near 1: bytes do not matter)\n", kTensors, listingTimes[2] / listingTimes[0]);
    std::printf("listing time, %d / %d tensors at 1 GiB: %.2f (grows with the tensor count)\n", 4 * kTensors, kTensors, listingTimes[3] / listingTimes[0]);
    return 0;
}
