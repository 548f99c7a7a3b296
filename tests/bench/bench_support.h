// What the benchmark programs share: running helper processes and measuring their peak memory.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <vector>

namespace statelens::bench {

// Debian's system python, the one that has torch (a pyenv python earlier on PATH does not).
inline const char* const kPython = "/usr/bin/python3";

// Runs a program to completion; false when it cannot start or exits non-zero. stderr is forwarded.
bool runProcess(const QString& program, const QStringList& arguments, QByteArray* out = nullptr);

// Peak resident set of a child process in KiB (Linux: wait4's ru_maxrss); -1 elsewhere or on failure.
long peakResidentKiB(const QString& program, const QStringList& arguments);

// Runs a Python snippet with Debian's python3 and FILE as sys.argv[1]; returns the number it
// prints (a time it measured itself), or -1.
double pythonNumber(const QString& script, const QString& file);

// torch.load(FILE, map_location='cpu') timed inside Debian's python3, in ms; -1 on failure.
double torchLoadMilliseconds(const QString& path);

// What every benchmark program takes: `bench_X [WORKDIR] [--keep]`, and the statelens-cli beside it.
struct BenchArguments {
    QString work;  // created; default: TMPDIR/<defaultFolder>
    bool keep = false;
    QString cli;
};
BenchArguments benchArguments(const QStringList& arguments, const QString& defaultFolder);

// The median (upper one for an even count) of a non-empty list.
double median(std::vector<double> values);

// Writes a synthetic checkpoint with make_bench_checkpoint.py unless it exists.
bool ensureBenchCheckpoint(const QString& path, double gib, int tensors, bool randomValues);

}  // namespace statelens::bench
