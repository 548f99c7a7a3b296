#include "core/report/stats_json.h"

#include "core/report/json_writer.h"

#include <cmath>

namespace statelens {

namespace {

void writeStats(JsonWriter& out, const TensorStats& stats, bool group)
{
    out.beginObject();
    out.key("name");
    out.value(stats.name);
    if (group) {
        out.key("tensors");
        out.value(stats.tensorCount);
    } else {
        out.key("dtype");
        out.value(dtypeName(stats.dtype));
    }
    out.key("numel");
    out.value(stats.numel);
    const Moments& m = stats.moments;
    const bool values = stats.hasValues();
    const bool finite = values && m.finite > 0;
    out.figure("min", m.min, finite);
    out.figure("max", m.max, finite);
    out.figure("mean", m.mean, finite);
    out.figure("std", m.std(), finite && m.finite > 1);
    auto count = [&](const char* key, qint64 value) {
        out.key(key);
        if (values)
            out.value(value);
        else
            out.null();
    };
    count("nan", m.nan);
    count("inf", m.inf());
    count("zeros", m.zeros);
    count("finite", m.finite);
    count("pos_inf", m.posInf);
    count("neg_inf", m.negInf);
    out.key("histogram");
    if (finite && !stats.histogram.isEmpty()) {
        out.beginObject();
        out.key("lo");
        out.value(stats.range.lo);
        out.key("hi");
        out.value(stats.range.hi);
        out.key("counts");
        out.value(stats.histogram);
        out.endObject();
    } else {
        out.null();
    }
    if (!stats.skipped.isEmpty()) {
        out.key("skipped");
        out.value(stats.skipped);
    }
    if (!stats.error.isEmpty()) {
        out.key("error");
        out.value(stats.error);
    }
    if (!stats.warnings.isEmpty()) {
        out.key("warnings");
        out.value(stats.warnings);
    }
    out.endObject();
}

}  // namespace

QByteArray statsJsonText(const StatsReport& report)
{
    JsonWriter out;
    out.beginObject();
    out.key("file");
    out.value(report.file);
    out.key("device");
    out.value(report.device);
    out.key("engine");
    out.value(report.engine);
    out.key("bins");
    out.value(report.bins);
    out.key("tensors");
    out.beginArray();
    for (const TensorStats& stats : report.tensors)
        writeStats(out, stats, false);
    out.endArray();
    if (!report.groups.isEmpty()) {
        out.key("groups");
        out.beginArray();
        for (const TensorStats& stats : report.groups)
            writeStats(out, stats, true);
        out.endArray();
    }
    out.endObject();
    QByteArray text = out.text();
    text.append('\n');
    return text;
}

}  // namespace statelens
