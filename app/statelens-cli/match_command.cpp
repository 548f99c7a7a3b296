// statelens-cli match FILE --arch ARCH [--strict | --lenient] [--key PATH] [--strip-prefix P]...
//                          [--add-prefix P] [--json]
#include "cli_commands.h"

#include "core/checkpoint_reader.h"
#include "core/match/architecture_sources.h"
#include "core/match/match_report.h"

#include <QCommandLineParser>

#include <cstdio>

namespace statelens::cli {

int runMatch(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("verb"), QStringLiteral("match"));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("checkpoint, shard index or folder"));
    const QCommandLineOption arch(QStringLiteral("arch"), QStringLiteral("built-in name, TorchScript/.pt2 file, JSON spec or ref:FILE"), QStringLiteral("ARCH"));
    const QCommandLineOption strict(QStringLiteral("strict"), QStringLiteral("as load_state_dict(strict=True) (default)"));
    const QCommandLineOption lenient(QStringLiteral("lenient"), QStringLiteral("load what agrees in name and shape, skip the rest"));
    const QCommandLineOption key(QStringLiteral("key"), QStringLiteral("dotted path of the state dict inside the file"), QStringLiteral("PATH"));
    const QCommandLineOption strip(QStringLiteral("strip-prefix"), QStringLiteral("remove this prefix from keys (repeatable, in order)"), QStringLiteral("P"));
    const QCommandLineOption add(QStringLiteral("add-prefix"), QStringLiteral("prepend this prefix to keys"), QStringLiteral("P"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("print one JSON document"));
    parser.addOptions({arch, strict, lenient, key, strip, add, json});
    if (!parser.parse(arguments)) {
        printError(parser.errorText());
        return 2;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2 || !parser.isSet(arch) || (parser.isSet(strict) && parser.isSet(lenient))) {
        printError(QStringLiteral("usage: statelens-cli match FILE --arch ARCH [--strict | --lenient] [--key PATH] "
                                  "[--strip-prefix P]... [--add-prefix P] [--json]"));
        return 2;
    }
    MatchRequest request;
    request.architecture = parser.value(arch);
    request.strict = !parser.isSet(lenient);
    if (parser.isSet(key))
        request.key = parser.value(key);
    request.stripPrefixes = parser.values(strip);
    request.addPrefix = parser.value(add);

    auto architecture = loadArchitecture(request.architecture);
    if (!architecture) {
        printError(architecture.error().toString());
        return 2;
    }
    const QString file = positional[1];
    auto opened = openCheckpoint(file);
    if (!opened) {
        printError(opened.error().toString());
        return 2;
    }
    auto report = matchCheckpoint(**opened, file, *architecture, request);
    if (!report) {
        printError(QStringLiteral("%1: %2").arg(file, report.error().message));
        return 2;
    }
    const QByteArray text = parser.isSet(json) ? matchJsonText(*report) : matchText(*report).toUtf8();
    std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
    return report->ok() ? 0 : 1;
}

}  // namespace statelens::cli
