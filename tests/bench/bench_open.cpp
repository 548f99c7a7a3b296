// Benchmark: opening (listing) a checkpoint against torch.load of the same file, in one run.
//
//   bench_open [WORKDIR] [--keep]
//
// Writes synthetic torch.save checkpoints of 1, 2 and 4 GiB with the same number of tensors, and
// one of 1 GiB with four times as many
// (Debian's /usr/bin/python3 with torch), then prints for each: our listing time (median of
// several runs), torch.load(map_location='cpu') time in the same run, their ratio, and the peak
// resident memory of `statelens-cli ls --json` on that file. Not a ctest test: it prints figures.
#include "core/checkpoint_reader.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>

#include <algorithm>
#include <cstdio>
#include <vector>

#if defined(Q_OS_LINUX)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

using namespace statelens;

namespace {

constexpr int kTensors = 512;
const char* const kPython = "/usr/bin/python3";

bool run(const QString& program, const QStringList& arguments, QByteArray* out = nullptr)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.start(program, arguments);
    if (!process.waitForFinished(-1) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return false;
    if (out)
        *out = process.readAllStandardOutput();
    return true;
}

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

double torchLoadMilliseconds(const QString& path)
{
    const QString script = QStringLiteral(
        "import sys, time, torch\n"
        "t = time.perf_counter(); sd = torch.load(sys.argv[1], map_location='cpu'); "
        "print((time.perf_counter() - t) * 1000.0)\n");
    QByteArray out;
    if (!run(QLatin1String(kPython), {QStringLiteral("-c"), script, path}, &out))
        return -1;
    return out.trimmed().toDouble();
}

// Peak resident set of `statelens-cli ls --json FILE` in KiB (Linux: wait4's ru_maxrss).
long peakListingKiB(const QString& cli, const QString& path)
{
#if defined(Q_OS_LINUX)
    const QByteArray cliBytes = cli.toLocal8Bit();
    const QByteArray pathBytes = path.toLocal8Bit();
    std::fflush(stdout);  // the child must not inherit (and print again) buffered output
    const pid_t child = fork();
    if (child == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(3);
        execl(cliBytes.constData(), cliBytes.constData(), "ls", pathBytes.constData(), "--json", static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    if (child < 0 || wait4(child, &status, 0, &usage) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return usage.ru_maxrss;
#else
    Q_UNUSED(cli);
    Q_UNUSED(path);
    return -1;
#endif
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    const bool keep = arguments.contains(QStringLiteral("--keep"));
    QString work = arguments.size() > 1 && !arguments[1].startsWith(QLatin1String("--")) ? arguments[1] : QDir::tempPath() + QStringLiteral("/statelens-bench");
    QDir().mkpath(work);
    const QString script = QStringLiteral(STATELENS_BENCH_DIR "/make_bench_checkpoint.py");
    const QString cli = QCoreApplication::applicationDirPath() + QStringLiteral("/statelens-cli");

    std::printf("%-8s %8s %14s %16s %10s %16s\n", "file", "tensors", "listing (ms)", "torch.load (ms)", "speed-up", "peak RSS (MiB)");
    std::vector<double> listingTimes;
    // Same tensor count at 1, 2 and 4 GiB (bytes must not matter), then 4x the tensors at 1 GiB.
    const std::pair<double, int> files[] = {{1.0, kTensors}, {2.0, kTensors}, {4.0, kTensors}, {1.0, 4 * kTensors}};
    for (const auto& [gib, count] : files) {
        const QString path = QStringLiteral("%1/bench_%2gib_%3t.pt").arg(work).arg(gib).arg(count);
        if (!QFileInfo::exists(path)
            && !run(QLatin1String(kPython), {script, path, QString::number(gib), QString::number(count)})) {
            std::fprintf(stderr, "could not write %s (needs /usr/bin/python3 with torch)\n", qPrintable(path));
            return 1;
        }
        int tensors = 0;
        const double listing = medianMilliseconds(path, 25, &tensors);
        const double load = torchLoadMilliseconds(path);
        const long peak = peakListingKiB(cli, path);
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
