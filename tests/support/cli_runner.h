// Runs the built statelens-cli as a user would, for the tests that check its output and exit
// codes (tst_cli, tst_diff, tst_scan, tst_hostile).
#pragma once

#include <QByteArray>
#include <QStringList>

struct CliRun {
    int exitCode = -1;  // -1: killed by a signal or past the timeout
    QByteArray out;
    QByteArray err;
};

CliRun runCli(const QStringList& arguments, int timeoutMs = 30000);
