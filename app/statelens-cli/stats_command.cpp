// statelens-cli stats: statistics and histograms per tensor, and per module subtree with --group.
#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/compute_options.h"
#include "app/statelens-cli/terminal.h"
#include "app/statelens-cli/text_table.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"
#include "core/report/stats_json.h"
#include "core/runtime/device_check.h"
#include "core/stats/stats_job.h"
#include "core/stats/stats_kernels.h"

#include <QElapsedTimer>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace statelens::cli {

namespace {

struct StatsArguments {
    QString file;
    bool json = false;
    StatsOptions options;
    QString filter;
    QStringList groups;
};

Stop parseStatsArguments(const QStringList& arguments, StatsArguments* out)
{
    VerbParser parser(QStringLiteral("stats"));
    const QCommandLineOption json = jsonOption();
    const QCommandLineOption bins(QStringLiteral("bins"), QStringLiteral("histogram bins (default 64)"), QStringLiteral("N"), QStringLiteral("64"));
    const QCommandLineOption filter(QStringLiteral("filter"), QStringLiteral("only tensors whose name matches"), QStringLiteral("REGEX"));
    const QCommandLineOption group(QStringLiteral("group"), QStringLiteral("also one aggregate over names starting with PREFIX"), QStringLiteral("PREFIX"));
    parser.addOptions({json, bins, filter, group});
    const ComputeOptions compute;
    compute.addTo(parser);
    if (const Stop stop = parser.parse(arguments))
        return stop;
    out->file = parser.positional()[0];
    out->json = parser.isSet(json);
    bool ok = false;
    out->options.bins = parser.value(bins).toInt(&ok);
    if (!ok || out->options.bins < 1 || out->options.bins > StatsJob::kMaxBins) {
        printError(QStringLiteral("--bins must be a whole number from 1 to %1").arg(StatsJob::kMaxBins));
        return 2;
    }
    if (!compute.read(parser, &out->options))
        return 2;
    out->filter = parser.value(filter);
    out->groups = parser.values(group);
    return std::nullopt;
}

QString problemsOf(const TensorStats& stats)
{
    QStringList problems;
    if (!stats.error.isEmpty())
        problems.append(QStringLiteral("error: ") + stats.error);
    if (stats.hasNan())
        problems.append(QStringLiteral("%1 NaN").arg(formatCount(stats.moments.nan)));
    if (stats.hasInf())
        problems.append(QStringLiteral("%1 Inf").arg(formatCount(stats.moments.inf())));
    if (stats.allZero())
        problems.append(QStringLiteral("all zero"));
    return problems.join(QStringLiteral(", "));
}

void writeText(const StatsReport& report)
{
    QString out;
    QStringList problems;
    for (const TensorStats& stats : report.tensors) {
        const QString problem = problemsOf(stats);
        if (!problem.isEmpty())
            problems.append(QStringLiteral("  %1: %2").arg(stats.name, problem));
    }
    if (!problems.isEmpty())
        out += QStringLiteral("Problems (%1 tensors):\n").arg(problems.size()) + problems.join(u'\n') + QStringLiteral("\n\n");
    using Align = TextTable::Align;
    TextTable table;
    table.setHeader({QStringLiteral("NAME"), QStringLiteral("DTYPE"), QStringLiteral("NUMEL"), QStringLiteral("MIN"),
                     QStringLiteral("MAX"), QStringLiteral("MEAN"), QStringLiteral("STD"), QStringLiteral("NAN"),
                     QStringLiteral("INF"), QStringLiteral("ZEROS"), QStringLiteral("NOTE")},
                    {Align::Left, Align::Left, Align::Right, Align::Right, Align::Right, Align::Right, Align::Right,
                     Align::Right, Align::Right, Align::Right, Align::Left});
    auto addRow = [&](const TensorStats& stats, const QString& dtype) {
        const Moments& m = stats.moments;
        const bool finite = stats.hasValues() && m.finite > 0;
        const QString note = !stats.skipped.isEmpty() ? stats.skipped : !stats.error.isEmpty() ? stats.error : QString();
        table.addRow({stats.name, dtype, formatCount(stats.numel), tableFigure(m.min, finite), tableFigure(m.max, finite),
                      tableFigure(m.mean, finite), tableFigure(m.std(), finite),
                      stats.hasValues() ? formatCount(m.nan) : QStringLiteral("-"),
                      stats.hasValues() ? formatCount(m.inf()) : QStringLiteral("-"),
                      stats.hasValues() ? formatCount(m.zeros) : QStringLiteral("-"), note});
    };
    for (const TensorStats& stats : report.tensors)
        addRow(stats, dtypeName(stats.dtype));
    for (const TensorStats& stats : report.groups)
        addRow(stats, QStringLiteral("%1 tensors").arg(stats.tensorCount));
    out += table.render();
    out += QStringLiteral("\n%1 tensors, %2 with problems; %3 bins on %4 (%5)\n")
               .arg(report.tensors.size())
               .arg(problems.size())
               .arg(report.bins)
               .arg(report.device, report.engine);
    writeBytes(out.toUtf8());
}

}  // namespace

int runStats(const QStringList& arguments)
{
    StatsArguments args;
    if (const Stop stop = parseStatsArguments(arguments, &args))
        return *stop;
    QRegularExpression filter(args.filter, QRegularExpression::CaseInsensitiveOption);
    if (!args.filter.isEmpty() && !filter.isValid()) {
        printError(QStringLiteral("--filter: %1 in '%2'").arg(filter.errorString(), args.filter));
        return 2;
    }
    // The device is checked before the file is read: a wrong device is a usage error.
    if (auto status = checkDeviceAvailable(args.options.device); !status) {
        printError(status.error().message);
        return 2;
    }
    auto opened = openCheckpoint(args.file);
    if (!opened) {
        printError(opened.error().toString());
        return 2;
    }
    const CheckpointPtr checkpoint = *opened;
    QVector<int> selected;
    for (int i = 0; i < checkpoint->tensors.size(); ++i) {
        if (args.filter.isEmpty() || filter.match(checkpoint->tensors[i].name).hasMatch())
            selected.append(i);
    }
    StatsJob job(checkpoint, args.options);
    job.addTensors(selected);
    for (const QString& prefix : args.groups) {
        QVector<int> members;
        for (int i : selected) {
            if (checkpoint->tensors[i].name.startsWith(prefix))
                members.append(i);
        }
        job.addGroup(prefix, members);
    }
    std::mutex resultsMutex;
    QVector<TensorStats> tensors, groups;
    job.onResult = [&](const TensorStats& stats) {
        std::lock_guard<std::mutex> lock(resultsMutex);
        (stats.tensor >= 0 ? tensors : groups).append(stats);
    };
    ProgressBar progress(isTerminal(stderr));
    job.onProgress = [&](qint64 done, qint64 total) { progress.update(done, total); };
    const Status status = job.run();
    progress.clear();
    if (!status) {
        printError(status.error().message);
        return 2;
    }
    // Results arrive as tensors finish; print them in the file's order.
    std::sort(tensors.begin(), tensors.end(), [](const TensorStats& a, const TensorStats& b) { return a.tensor < b.tensor; });
    StatsReport report;
    report.file = args.file;
    report.device = args.options.device;
    const bool torch = args.options.engine == StatsOptions::Engine::Torch || args.options.device != QLatin1String("cpu");
    report.engine = torch ? QStringLiteral("libtorch") : QStringLiteral("fused (%1)").arg(QLatin1String(kernels::simdTargetName()));
    report.bins = args.options.bins;
    report.tensors = tensors;
    // Groups in the order they were asked for.
    for (const QString& prefix : args.groups) {
        for (const TensorStats& stats : groups) {
            if (stats.name == prefix) {
                report.groups.append(stats);
                break;
            }
        }
    }
    if (args.json) {
        const QByteArray text = statsJsonText(report);
        writeBytes(text);
    } else {
        writeText(report);
    }
    return 0;
}

}  // namespace statelens::cli
