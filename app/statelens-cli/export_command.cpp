// statelens-cli export: writes a checkpoint's (re-rooted, re-prefixed, matched-only) state dict.
#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/verb_parser.h"

#include "core/base/display_format.h"
#include "core/export/state_dict_export.h"
#include "core/formats/checkpoint_reader.h"
#include "core/match/architecture_sources.h"
#include "core/match/match_report.h"
#include "core/report/export_json.h"

#include <cstdio>

namespace statelens::cli {

int runExport(const QStringList& arguments)
{
    VerbParser parser(QStringLiteral("export"));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("pt (torch.save zip, default) or safetensors"), QStringLiteral("FORMAT"), QStringLiteral("pt"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("dotted path of the state dict inside the file"), QStringLiteral("PATH"));
    const QCommandLineOption strip(QStringLiteral("strip-prefix"), QStringLiteral("remove this prefix from keys (repeatable)"), QStringLiteral("P"));
    const QCommandLineOption add(QStringLiteral("add-prefix"), QStringLiteral("prepend this prefix to keys"), QStringLiteral("P"));
    const QCommandLineOption rename(QStringLiteral("rename"), QStringLiteral("rename one key after the prefixes (repeatable)"), QStringLiteral("FROM=TO"));
    const QCommandLineOption tie(QStringLiteral("tie"), QStringLiteral("also write key FROM as TO, as tied weights (repeatable)"), QStringLiteral("FROM=TO"));
    const QCommandLineOption arch(QStringLiteral("arch"), QStringLiteral("with --lenient: keep only the keys this model loads"), QStringLiteral("ARCH"));
    const QCommandLineOption lenient(QStringLiteral("lenient"), QStringLiteral("with --arch: matched keys only"));
    const QCommandLineOption snippet(QStringLiteral("snippet"), QStringLiteral("also print Python that applies the same key map"));
    const QCommandLineOption json = jsonOption();
    parser.addOptions({format, key, strip, add, rename, tie, arch, lenient, snippet, json});
    if (const Stop stop = parser.parse(arguments))
        return *stop;
    if (parser.isSet(arch) != parser.isSet(lenient))
        return parser.usageError(QStringLiteral("--arch and --lenient go together"));
    const QStringList positional = parser.positional();
    ExportRequest request;
    request.output = positional[1];
    const QString formatName = parser.value(format);
    if (formatName == QLatin1String("pt"))
        request.format = ExportFormat::TorchZip;
    else if (formatName == QLatin1String("safetensors"))
        request.format = ExportFormat::Safetensors;
    else {
        printError(QStringLiteral("--format must be pt or safetensors, not '%1'").arg(formatName));
        return 2;
    }
    if (parser.isSet(key))
        request.key = parser.value(key);
    request.stripPrefixes = parser.values(strip);
    request.addPrefix = parser.value(add);
    if (!parseKeyEdits(parser.values(rename), parser.values(tie), &request.keyEdits))
        return 2;
    auto opened = openCheckpoint(positional[0]);
    if (!opened) {
        printError(opened.error().toString());
        return 2;
    }
    const Checkpoint& checkpoint = **opened;
    if (parser.isSet(arch)) {
        auto architecture = loadArchitecture(parser.value(arch));
        if (!architecture) {
            printError(architecture.error().toString());
            return 2;
        }
        MatchRequest match;
        match.architecture = parser.value(arch);
        match.strict = false;
        match.key = request.key;
        match.stripPrefixes = request.stripPrefixes;
        match.addPrefix = request.addPrefix;
        match.keyEdits = request.keyEdits;
        auto report = matchCheckpoint(checkpoint, positional[0], *architecture, match);
        if (!report) {
            printError(QStringLiteral("%1: %2").arg(positional[0], report.error().message));
            return 2;
        }
        request.onlySelected = true;
        request.selected = QSet<QString>(report->verdict.matched.begin(), report->verdict.matched.end());
    }
    auto summary = exportStateDict(checkpoint, request);
    if (!summary) {
        printError(summary.error().toString());
        return 2;
    }
    QByteArray out;
    const QString code = parser.isSet(snippet) ? exportSnippet(checkpoint, request, summary->view) : QString();
    if (parser.isSet(json)) {
        out = exportJsonText(positional[0], *summary, formatName, code);
    } else {
        out = QStringLiteral("wrote %1: %2 tensors, %3 (%4)\n")
                  .arg(summary->output)
                  .arg(summary->tensors)
                  .arg(formatBytes(summary->bytes),
                       request.format == ExportFormat::TorchZip ? QStringLiteral("torch.save zip") : QStringLiteral("safetensors"))
                  .toUtf8();
        if (!code.isEmpty())
            out += "\n# the same with torch:\n" + code.toUtf8();
    }
    writeBytes(out);
    return 0;
}

}  // namespace statelens::cli
