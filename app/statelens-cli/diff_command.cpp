// statelens-cli diff: two checkpoints' state dicts compared tensor by tensor.
// Exit 0 when every tensor is the same, 1 when anything differs (as diff(1)), 2 on errors.
#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/compute_options.h"
#include "app/statelens-cli/terminal.h"
#include "app/statelens-cli/text_table.h"

#include "core/base/display_format.h"
#include "core/diff/checkpoint_diff.h"
#include "core/diff/diff_job.h"
#include "core/formats/checkpoint_reader.h"
#include "core/report/diff_json.h"
#include "core/runtime/device_check.h"
#include "core/stats/stats_kernels.h"  // simdTargetName

#include <cmath>
#include <cstdio>

namespace statelens::cli {

namespace {

struct DiffArguments {
    QString fileA;
    QString fileB;
    bool json = false;
    bool all = false;
    DiffAlignment alignment;
    DiffOptions options;
};

// A set option's value, never null (so "" names the root); a null string when not given.
QString keyValue(const VerbParser& parser, const QCommandLineOption& option)
{
    if (!parser.isSet(option))
        return QString();
    const QString value = parser.value(option);
    return value.isNull() ? QStringLiteral("") : value;
}

Stop parseDiffArguments(const QStringList& arguments, DiffArguments* out)
{
    VerbParser parser(QStringLiteral("diff"));
    const QCommandLineOption json = jsonOption();
    const QCommandLineOption all(QStringLiteral("all"), QStringLiteral("list unchanged tensors too"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("state dict path in both files"), QStringLiteral("PATH"));
    const QCommandLineOption keyA(QStringLiteral("key-a"), QStringLiteral("state dict path in A"), QStringLiteral("PATH"));
    const QCommandLineOption keyB(QStringLiteral("key-b"), QStringLiteral("state dict path in B"), QStringLiteral("PATH"));
    const QCommandLineOption strip(QStringLiteral("strip-prefix"), QStringLiteral("remove this prefix from both sides' keys"), QStringLiteral("P"));
    const QCommandLineOption stripA(QStringLiteral("strip-prefix-a"), QStringLiteral("remove this prefix from A's keys"), QStringLiteral("P"));
    const QCommandLineOption stripB(QStringLiteral("strip-prefix-b"), QStringLiteral("remove this prefix from B's keys"), QStringLiteral("P"));
    parser.addOptions({json, all, key, keyA, keyB, strip, stripA, stripB});
    const ComputeOptions compute;
    compute.addTo(parser);
    if (const Stop stop = parser.parse(arguments))
        return stop;
    const QStringList positional = parser.positional();
    out->fileA = positional[0];
    out->fileB = positional[1];
    out->json = parser.isSet(json);
    out->all = parser.isSet(all);
    out->alignment.keyA = parser.isSet(keyA) ? keyValue(parser, keyA) : keyValue(parser, key);
    out->alignment.keyB = parser.isSet(keyB) ? keyValue(parser, keyB) : keyValue(parser, key);
    out->alignment.stripA = parser.values(strip) + parser.values(stripA);
    out->alignment.stripB = parser.values(strip) + parser.values(stripB);
    if (!compute.read(parser, &out->options))
        return 2;
    return std::nullopt;
}

QString describeSide(const DiffSide& side)
{
    return side.tensor < 0 ? QStringLiteral("-") : dtypeName(side.dtype) + formatShape(side.shape);
}

void writeText(const DiffReport& report, bool all)
{
    using Align = TextTable::Align;
    TextTable table;
    table.setHeader({QStringLiteral("STATUS"), QStringLiteral("NAME"), QStringLiteral("A"), QStringLiteral("B"),
                     QStringLiteral("DIFFERING"), QStringLiteral("MAX |A-B|"), QStringLiteral("MEAN |A-B|"),
                     QStringLiteral("REL L2"), QStringLiteral("COSINE"), QStringLiteral("NOTE")},
                    {Align::Left, Align::Left, Align::Left, Align::Left, Align::Right, Align::Right, Align::Right,
                     Align::Right, Align::Right, Align::Left});
    int listed = 0;
    for (const TensorDiff& diff : report.tensors) {
        if (!all && diff.status == DiffStatus::Same && diff.error.isEmpty())
            continue;
        const bool deltas = diff.hasDeltas();
        const DiffDeltas d = diff.deltas();
        table.addRow({diffStatusName(diff.status), diff.name, describeSide(diff.a), describeSide(diff.b),
                      deltas ? formatCount(diff.sums.differing) : QStringLiteral("-"), tableFigure(d.maxAbs, deltas),
                      tableFigure(d.meanAbs, deltas), tableFigure(d.relL2, deltas), tableFigure(d.cosine, deltas), diff.error});
        ++listed;
    }
    QString out;
    auto key = [](const QString& path) { return path.isEmpty() ? QStringLiteral("<root>") : path; };
    out += QStringLiteral("A: %1 (state dict %2)\nB: %3 (state dict %4)\n\n")
               .arg(report.fileA, key(report.keyA), report.fileB, key(report.keyB));
    if (listed > 0)
        out += table.render() + u'\n';
    QStringList counts;
    for (DiffStatus status : {DiffStatus::Same, DiffStatus::Changed, DiffStatus::ShapeChanged, DiffStatus::DtypeChanged,
                              DiffStatus::OnlyA, DiffStatus::OnlyB}) {
        if (const int n = report.count(status))
            counts.append(QStringLiteral("%1 %2").arg(n).arg(diffStatusName(status)));
    }
    out += QStringLiteral("%1 tensors: %2; on %3 (%4)%5\n")
               .arg(report.tensors.size())
               .arg(counts.isEmpty() ? QStringLiteral("none") : counts.join(QStringLiteral(", ")))
               .arg(report.device, report.engine)
               .arg(report.identical() ? QStringLiteral("; identical") : QString());
    for (const QString& warning : report.warnings)
        out += QStringLiteral("warning: ") + warning + u'\n';
    writeBytes(out.toUtf8());
}

}  // namespace

int runDiff(const QStringList& arguments)
{
    DiffArguments args;
    if (const Stop stop = parseDiffArguments(arguments, &args))
        return *stop;
    // The device is checked before the files are read: a wrong device is a usage error.
    if (auto status = checkDeviceAvailable(args.options.device); !status) {
        printError(status.error().message);
        return 2;
    }
    auto openedA = openCheckpoint(args.fileA);
    if (!openedA) {
        printError(openedA.error().toString());
        return 2;
    }
    auto openedB = openCheckpoint(args.fileB);
    if (!openedB) {
        printError(openedB.error().toString());
        return 2;
    }
    auto plan = planDiff(**openedA, **openedB, args.alignment);
    if (!plan) {
        printError(plan.error().toString());
        return 2;
    }
    DiffJob job(*openedA, *openedB, *plan, args.options);
    ProgressBar progress(isTerminal(stderr));
    job.onProgress = [&](qint64 done, qint64 total) { progress.update(done, total); };
    const Status status = job.run();
    progress.clear();
    if (!status) {
        printError(status.error().message);
        return 2;
    }
    DiffReport report;
    report.fileA = args.fileA;
    report.fileB = args.fileB;
    report.keyA = plan->pathA;
    report.keyB = plan->pathB;
    report.device = args.options.device;
    const bool torch = args.options.engine == DiffOptions::Engine::Torch || args.options.device != QLatin1String("cpu");
    report.engine = torch ? QStringLiteral("libtorch") : QStringLiteral("fused (%1)").arg(QLatin1String(kernels::simdTargetName()));
    report.tensors = job.results();
    report.warnings = plan->warnings;
    if (args.json) {
        const QByteArray text = diffJsonText(report);
        writeBytes(text);
    } else {
        writeText(report, args.all);
    }
    return report.identical() ? 0 : 1;
}

}  // namespace statelens::cli
