#include "match_report.h"

#include "core/display_format.h"
#include "core/json_writer.h"

#include <QTextStream>

namespace statelens {

bool MatchReport::ok() const
{
    return request.strict ? verdict.strictOk() : !verdict.matched.isEmpty();
}

Result<MatchReport> matchCheckpoint(const Checkpoint& checkpoint, const QString& file, const Architecture& architecture,
                                    const MatchRequest& request)
{
    auto selected = selectStateDict(checkpoint, request.key);
    if (!selected)
        return selected.error();
    MatchReport report;
    report.file = file;
    report.request = request;
    report.architecture = architecture;
    report.stateDict = withFixes(withKeyEdits(withPrefixes(*selected, request.stripPrefixes, request.addPrefix), request.keyEdits),
                                 request.fixes);
    report.verdict = judgeLoad(checkpoint, report.stateDict, architecture);
    classifyShapeMismatches(architecture, &report.verdict);
    report.suggestions = suggestFixes(checkpoint, report.stateDict, architecture, report.verdict);
    return report;
}

namespace {

void writeShape(JsonWriter& out, const char* key, const QVector<qint64>& shape)
{
    out.key(key);
    out.value(shape);
}

// Names a lenient load leaves at their initial values: missing and mismatched ones.
QStringList leftInitial(const LoadVerdict& verdict)
{
    QStringList names = verdict.missing;
    for (const ShapeMismatch& mismatch : verdict.shapeMismatches)
        names.append(mismatch.name);
    return names;
}

}  // namespace

QByteArray matchJsonText(const MatchReport& report, const std::function<void(JsonWriter&)>& extra)
{
    const LoadVerdict& v = report.verdict;
    JsonWriter out;
    out.beginObject();
    out.key("file");
    out.value(report.file);
    out.key("arch");
    out.value(report.architecture.id);
    out.key("model");
    out.value(report.architecture.modelClass);
    out.key("source");
    out.value(report.architecture.source);
    out.key("key");
    out.value(report.stateDict.path);
    out.key("strict");
    out.value(report.request.strict);
    out.key("ok");
    out.value(report.ok());
    out.key("matched");
    out.value(qint64(v.matched.size()));
    out.key("model_tensors");
    out.value(qint64(report.architecture.tensors.size()));
    out.key("missing");
    out.value(v.missing);
    out.key("unexpected");
    out.value(v.unexpected);
    out.key("shape_mismatch");
    out.beginArray();
    for (const ShapeMismatch& mismatch : v.shapeMismatches) {
        out.beginObject();
        out.key("name");
        out.value(mismatch.name);
        writeShape(out, "checkpoint", mismatch.checkpoint);
        writeShape(out, "model", mismatch.model);
        out.key("cause");
        out.value(mismatch.cause);
        out.endObject();
    }
    out.endArray();
    out.key("dtype_mismatch");
    out.beginArray();
    for (const DtypeDifference& difference : v.dtypeDifferences) {
        out.beginObject();
        out.key("name");
        out.value(difference.name);
        out.key("checkpoint");
        out.value(dtypeName(difference.checkpoint));
        out.key("model");
        out.value(dtypeName(difference.model));
        out.endObject();
    }
    out.endArray();
    out.key("message");
    if (v.strictMessage.isEmpty())
        out.null();
    else
        out.value(v.strictMessage);
    out.key("loaded_parameters");
    out.value(v.loadedParameters);
    out.key("model_parameters");
    out.value(v.modelParameters);
    out.key("left_initial");
    out.value(leftInitial(v));
    out.key("suggestions");
    out.beginArray();
    for (const FixSuggestion& suggestion : report.suggestions) {
        out.beginObject();
        out.key("kind");
        out.value(suggestion.kind);
        if (!suggestion.strip.isEmpty() || !suggestion.add.isEmpty()) {
            out.key("prefix");
            out.value(suggestion.strip.isEmpty() ? suggestion.add : suggestion.strip.join(QString()));
            out.key("strip");
            out.value(suggestion.strip);
            out.key("add");
            out.value(suggestion.add);
        } else {
            out.key("from");
            out.value(suggestion.from);
            out.key("to");
            out.value(suggestion.to);
        }
        out.key("fixes");
        out.value(suggestion.fixes());
        out.key("before");
        out.value(suggestion.loadableBefore);
        out.key("after");
        out.value(suggestion.loadableAfter);
        out.key("description");
        out.value(suggestion.description());
        out.endObject();
    }
    out.endArray();
    if (extra)
        extra(out);
    out.endObject();
    QByteArray text = out.text();
    text.append('\n');
    return text;
}

QString matchText(const MatchReport& report)
{
    const LoadVerdict& v = report.verdict;
    const Architecture& a = report.architecture;
    QString text;
    QTextStream out(&text);
    const double share = v.modelParameters > 0 ? 100.0 * double(v.loadedParameters) / double(v.modelParameters) : 0.0;
    out << report.file << (report.stateDict.path.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(report.stateDict.path))
        << " against " << a.id << " (" << a.modelClass << ", " << a.source << "), "
        << (report.request.strict ? "strict" : "lenient") << ": " << (report.ok() ? "loads" : "does not load") << '\n';
    out << "  " << v.matched.size() << " of " << a.tensors.size() << " model tensors load ("
        << formatCount(v.loadedParameters) << " of " << formatCount(v.modelParameters) << " parameters, "
        << QString::number(share, 'f', 1) << "%)\n";
    auto list = [&](const char* title, const QStringList& names) {
        if (names.isEmpty())
            return;
        out << "  " << title << " (" << names.size() << "):";
        for (int i = 0; i < names.size() && i < 20; ++i)
            out << ' ' << names[i];
        if (names.size() > 20)
            out << " ... and " << names.size() - 20 << " more";
        out << '\n';
    };
    list("missing", v.missing);
    list("unexpected", v.unexpected);
    if (!v.shapeMismatches.isEmpty()) {
        out << "  shape mismatch (" << v.shapeMismatches.size() << "):\n";
        for (const ShapeMismatch& mismatch : v.shapeMismatches)
            out << "    " << mismatch.name << ": " << mismatch.cause << '\n';
    }
    if (!v.dtypeDifferences.isEmpty())
        out << "  dtype differs (cast on load) for " << v.dtypeDifferences.size() << " tensors, e.g. "
            << v.dtypeDifferences.first().name << ": " << dtypeName(v.dtypeDifferences.first().checkpoint) << " -> "
            << dtypeName(v.dtypeDifferences.first().model) << '\n';
    if (!report.request.strict) {
        const QStringList initial = leftInitial(v);
        list("left at initial values", initial);
    }
    if (!v.strictMessage.isEmpty() && report.request.strict)
        out << "\ntorch's error:\n" << v.strictMessage << '\n';
    if (!report.suggestions.isEmpty()) {
        out << "\nsuggestions:\n";
        for (const FixSuggestion& suggestion : report.suggestions) {
            out << "  " << suggestion.description();
            if (suggestion.kind == QLatin1String("strip-prefix") || suggestion.kind == QLatin1String("replace-prefix")) {
                for (const QString& prefix : suggestion.strip)
                    out << "   (--strip-prefix " << prefix << ')';
            }
            if (!suggestion.add.isEmpty())
                out << "   (--add-prefix " << suggestion.add << ')';
            out << '\n';
        }
    }
    out.flush();
    return text;
}

}  // namespace statelens
