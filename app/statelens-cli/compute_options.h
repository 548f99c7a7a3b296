// The options every computing verb (stats, diff) takes alike: --device DEV, --engine
// fused|torch and --threads N, declared once and read into StatsOptions or DiffOptions (both
// have `device`, `threads` and an `Engine` with Fused and Torch).
#pragma once

#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/verb_parser.h"

#include <QCommandLineOption>

namespace statelens::cli {

struct ComputeOptions {
    QCommandLineOption device{QStringLiteral("device"), QStringLiteral("cpu, cuda, cuda:N or mps"), QStringLiteral("DEV"),
                              QStringLiteral("cpu")};
    QCommandLineOption engine{QStringLiteral("engine"), QStringLiteral("fused (default on cpu) or torch"), QStringLiteral("ENGINE")};
    QCommandLineOption threads{QStringLiteral("threads"), QStringLiteral("worker threads (default: one per core)"),
                               QStringLiteral("N"), QStringLiteral("0")};

    void addTo(VerbParser& parser) const { parser.addOptions({device, engine, threads}); }

    // False after printing the error.
    template <typename Options>
    bool read(const VerbParser& parser, Options* options) const
    {
        bool ok = false;
        options->threads = parser.value(threads).toInt(&ok);
        if (!ok || options->threads < 0) {
            printError(QStringLiteral("--threads must be a whole number (0: one per core)"));
            return false;
        }
        options->device = parser.value(device).trimmed().toLower();
        if (!parser.isSet(engine))
            return true;
        const QString name = parser.value(engine);
        if (name == QLatin1String("fused"))
            options->engine = Options::Engine::Fused;
        else if (name == QLatin1String("torch"))
            options->engine = Options::Engine::Torch;
        else {
            printError(QStringLiteral("--engine must be fused or torch, not '%1'").arg(name));
            return false;
        }
        return true;
    }
};

}  // namespace statelens::cli
