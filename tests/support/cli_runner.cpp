#include "tests/support/cli_runner.h"

#include <QProcess>

CliRun runCli(const QStringList& arguments, int timeoutMs)
{
    QProcess process;
    process.start(QStringLiteral(STATELENS_BIN_DIR "/statelens-cli"), arguments);
    CliRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}
