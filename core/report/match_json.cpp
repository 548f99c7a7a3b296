#include "core/report/match_json.h"

#include "core/report/json_writer.h"

namespace statelens {

namespace {

void writeShape(JsonWriter& out, const char* key, const QVector<qint64>& shape)
{
    out.key(key);
    out.value(shape);
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
    out.value(v.leftInitial());
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

}  // namespace statelens
