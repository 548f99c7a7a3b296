#include "tests/bench/bench_support.h"

#include <QCoreApplication>
#include <QDir>
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

namespace statelens::bench {

bool runProcess(const QString& program, const QStringList& arguments, QByteArray* out)
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

long peakResidentKiB(const QString& program, const QStringList& arguments)
{
#if defined(Q_OS_LINUX)
    std::vector<QByteArray> storage;
    storage.push_back(program.toLocal8Bit());
    for (const QString& argument : arguments)
        storage.push_back(argument.toLocal8Bit());
    std::vector<char*> argv;
    for (QByteArray& bytes : storage)
        argv.push_back(bytes.data());
    argv.push_back(nullptr);
    std::fflush(stdout);  // the child must not inherit (and print again) buffered output
    const pid_t child = fork();
    if (child == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(3);
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    if (child < 0 || wait4(child, &status, 0, &usage) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return usage.ru_maxrss;
#else
    Q_UNUSED(program);
    Q_UNUSED(arguments);
    return -1;
#endif
}

BenchArguments benchArguments(const QStringList& arguments, const QString& defaultFolder)
{
    BenchArguments parsed;
    parsed.keep = arguments.contains(QStringLiteral("--keep"));
    parsed.work = arguments.size() > 1 && !arguments[1].startsWith(QLatin1String("--")) ? arguments[1]
                                                                                       : QDir::tempPath() + u'/' + defaultFolder;
    QDir().mkpath(parsed.work);
    parsed.cli = QCoreApplication::applicationDirPath() + QStringLiteral("/statelens-cli");
    return parsed;
}

double pythonNumber(const QString& script, const QString& file)
{
    QByteArray out;
    if (!runProcess(QLatin1String(kPython), {QStringLiteral("-c"), script, file}, &out))
        return -1;
    return out.trimmed().toDouble();
}

bool ensureBenchCheckpoint(const QString& path, double gib, int tensors, bool randomValues)
{
    if (QFileInfo::exists(path))
        return true;
    QStringList arguments{QStringLiteral(STATELENS_BENCH_DIR "/make_bench_checkpoint.py"), path,
                          QString::number(gib), QString::number(tensors)};
    if (randomValues)
        arguments.append(QStringLiteral("random"));
    if (runProcess(QLatin1String(kPython), arguments))
        return true;
    std::fprintf(stderr, "could not write %s (needs %s with torch)\n", qPrintable(path), kPython);
    return false;
}

double torchLoadMilliseconds(const QString& path)
{
    const QString script = QStringLiteral(
        "import sys, time, torch\n"
        "t = time.perf_counter(); sd = torch.load(sys.argv[1], map_location='cpu'); "
        "print((time.perf_counter() - t) * 1000.0)\n");
    return pythonNumber(script, path);
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace statelens::bench
