// The verbs about models: archs, match and load.
#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/verb_parser.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"
#include "core/match/architecture_sources.h"
#include "core/match/match_report.h"
#include "core/match/model_loading.h"
#include "core/report/environment_json.h"
#include "core/report/json_writer.h"
#include "core/report/match_json.h"
#include "core/runtime/torch_runtime.h"

#include <cstdio>

namespace statelens::cli {

namespace {

struct ModelArguments {
    QString file;
    MatchRequest request;
    QString device = QStringLiteral("cpu");
    bool json = false;
};

Stop parseModelArguments(const QStringList& arguments, const QString& verb, bool withDevice, ModelArguments* out)
{
    VerbParser parser(verb);
    const QCommandLineOption arch(QStringLiteral("arch"), QStringLiteral("built-in name, TorchScript/.pt2 file, JSON spec or ref:FILE"), QStringLiteral("ARCH"));
    const QCommandLineOption strict(QStringLiteral("strict"), QStringLiteral("as load_state_dict(strict=True) (default)"));
    const QCommandLineOption lenient(QStringLiteral("lenient"), QStringLiteral("load what agrees in name and shape, skip the rest"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("dotted path of the state dict inside the file"), QStringLiteral("PATH"));
    const QCommandLineOption strip(QStringLiteral("strip-prefix"), QStringLiteral("remove this prefix from keys (repeatable, in order)"), QStringLiteral("P"));
    const QCommandLineOption add(QStringLiteral("add-prefix"), QStringLiteral("prepend this prefix to keys"), QStringLiteral("P"));
    const QCommandLineOption rename(QStringLiteral("rename"), QStringLiteral("rename one key after the prefixes (repeatable)"), QStringLiteral("FROM=TO"));
    const QCommandLineOption tie(QStringLiteral("tie"), QStringLiteral("also offer key FROM as TO, as tied weights (repeatable)"), QStringLiteral("FROM=TO"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("cpu, cuda, cuda:N or mps"), QStringLiteral("DEV"), QStringLiteral("cpu"));
    const QCommandLineOption json = jsonOption();
    parser.addOptions({arch, strict, lenient});
    if (withDevice)
        parser.addOption(device);
    parser.addOptions({key, strip, add, rename, tie, json});
    if (const Stop stop = parser.parse(arguments))
        return stop;
    if (!parser.isSet(arch))
        return parser.usageError(QStringLiteral("--arch is required"));
    if (parser.isSet(strict) && parser.isSet(lenient))
        return parser.usageError(QStringLiteral("--strict and --lenient exclude each other"));
    out->file = parser.positional()[0];
    out->request.architecture = parser.value(arch);
    out->request.strict = !parser.isSet(lenient);
    if (parser.isSet(key))
        out->request.key = parser.value(key);
    out->request.stripPrefixes = parser.values(strip);
    out->request.addPrefix = parser.value(add);
    if (!parseKeyEdits(parser.values(rename), parser.values(tie), &out->request.keyEdits))
        return 2;
    out->json = parser.isSet(json);
    if (withDevice)
        out->device = parser.value(device).trimmed().toLower();
    return std::nullopt;
}

}  // namespace

int runArchs(const QStringList& arguments)
{
    QStringList positional;
    bool json = false;
    if (const Stop stop = parseJsonVerb(arguments, QStringLiteral("archs"), &positional, &json))
        return *stop;
    auto entries = TorchRuntime::instance().builtInArchitectures();
    if (!entries) {
        printError(entries.error().toString());
        return 2;
    }
    const QStringList sources = {
        QStringLiteral("FILE.pt   a TorchScript (torch.jit.save) or torch.export .pt2 file"),
        QStringLiteral("FILE.json a JSON architecture spec (see README for the three-line snippet)"),
        QStringLiteral("ref:FILE  any readable checkpoint, as the expected layout")};
    if (json) {
        writeBytes(architecturesJsonText(*entries, sources));
        return 0;
    }
    QString text = QStringLiteral("Built-in (options as name:key=value,key=value):\n");
    for (const auto& entry : *entries)
        text += QStringLiteral("  %1 %2\n").arg(entry.name.leftJustified(14), entry.description);
    text += QStringLiteral("Also:\n");
    for (const QString& source : sources)
        text += QStringLiteral("  ") + source + u'\n';
    writeBytes(text.toUtf8());
    return 0;
}

int runMatch(const QStringList& arguments)
{
    ModelArguments args;
    if (const Stop stop = parseModelArguments(arguments, QStringLiteral("match"), false, &args))
        return *stop;
    auto architecture = loadArchitecture(args.request.architecture);
    if (!architecture) {
        printError(architecture.error().toString());
        return 2;
    }
    auto opened = openCheckpoint(args.file);
    if (!opened) {
        printError(opened.error().toString());
        return 2;
    }
    auto report = matchCheckpoint(**opened, args.file, *architecture, args.request);
    if (!report) {
        printError(QStringLiteral("%1: %2").arg(args.file, report.error().message));
        return 2;
    }
    writeBytes(args.json ? matchJsonText(*report) : matchText(*report).toUtf8());
    return report->ok() ? 0 : 1;
}

int runLoad(const QStringList& arguments)
{
    ModelArguments args;
    if (const Stop stop = parseModelArguments(arguments, QStringLiteral("load"), true, &args))
        return *stop;
    if (auto status = TorchRuntime::instance().checkDevice(args.device); !status) {
        printError(status.error().message);
        return 2;
    }
    auto architecture = loadArchitecture(args.request.architecture);
    if (!architecture) {
        printError(architecture.error().toString());
        return 2;
    }
    if (auto spec = loadableSpec(*architecture); !spec) {
        printError(spec.error().message);
        return 2;
    }
    auto opened = openCheckpoint(args.file);
    if (!opened) {
        printError(opened.error().toString());
        return 2;
    }
    auto loaded = loadIntoModel(**opened, args.file, *architecture, args.request, args.device);
    if (!loaded) {
        printError(QStringLiteral("%1: %2").arg(args.file, loaded.error().message));
        return 2;
    }
    const LoadReport& report = *loaded;
    const TorchRuntime::LoadOutcome& outcome = report.outcome;
    if (args.json) {
        writeBytes(matchJsonText(report.match, [&](JsonWriter& out) {
            out.key("device");
            out.value(report.device);
            out.key("loaded");
            out.value(report.attempted ? outcome.loaded : qint64(0));
            out.key("load_seconds");
            out.value(outcome.loadSeconds);
            out.key("forward");
            if (!outcome.ranForward) {
                out.null();
                return;
            }
            out.beginObject();
            out.key("input");
            out.value(outcome.input);
            out.key("output");
            out.value(outcome.output);
            out.key("seconds");
            out.value(outcome.forwardSeconds);
            out.endObject();
        }));
    } else {
        QString text = matchText(report.match);
        if (report.attempted) {
            text += QStringLiteral("\nloaded %1 tensors into %2 on %3 in %4 s, eval()\n")
                        .arg(outcome.loaded)
                        .arg(architecture->modelClass, report.device)
                        .arg(outcome.loadSeconds, 0, 'f', 3);
            if (outcome.ranForward)
                text += QStringLiteral("forward pass on zeros %1 -> output %2 in %3 ms\n")
                            .arg(formatShape(outcome.input), formatShape(outcome.output))
                            .arg(outcome.forwardSeconds * 1000.0, 0, 'f', 1);
        } else {
            text += args.request.strict ? QStringLiteral("\nnot loaded: torch's load_state_dict would refuse this (see above)\n")
                                        : QStringLiteral("\nnot loaded: no tensor agrees with the model in name and shape\n");
        }
        writeBytes(text.toUtf8());
    }
    return report.attempted ? 0 : 1;
}

}  // namespace statelens::cli
