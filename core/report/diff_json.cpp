#include "core/report/diff_json.h"

#include "core/model/tensor_info.h"
#include "core/report/json_writer.h"

#include <algorithm>
#include <cmath>

namespace statelens {

namespace {

constexpr DiffStatus kStatuses[] = {DiffStatus::Same, DiffStatus::Changed, DiffStatus::ShapeChanged,
                                    DiffStatus::DtypeChanged, DiffStatus::OnlyA, DiffStatus::OnlyB};

void writeSide(JsonWriter& out, const char* key, const DiffSide& side)
{
    out.key(key);
    if (side.tensor < 0) {
        out.null();
        return;
    }
    out.beginObject();
    out.key("name");
    out.value(side.name);
    out.key("dtype");
    out.value(dtypeName(side.dtype));
    out.key("shape");
    out.value(side.shape);
    out.endObject();
}

void writeTensor(JsonWriter& out, const TensorDiff& diff)
{
    out.beginObject();
    out.key("name");
    out.value(diff.name);
    out.key("status");
    out.value(diffStatusName(diff.status));
    writeSide(out, "a", diff.a);
    writeSide(out, "b", diff.b);
    const bool valued = diff.status == DiffStatus::Same || diff.status == DiffStatus::Changed
                        || diff.status == DiffStatus::DtypeChanged;
    if (valued) {
        const bool compared = diff.hasDeltas();
        const DiffDeltas deltas = diff.deltas();
        out.key("numel");
        qint64 numel = 0;
        checkedNumel(diff.a.shape, &numel);
        out.value(numel);
        out.key("differing");
        if (compared)
            out.value(diff.sums.differing);
        else
            out.null();
        out.figure("max_abs_diff", deltas.maxAbs, compared);
        out.figure("mean_abs_diff", deltas.meanAbs, compared);
        out.figure("rel_l2", deltas.relL2, compared);
        out.figure("cosine", deltas.cosine, compared);
    }
    if (!diff.error.isEmpty()) {
        out.key("error");
        out.value(diff.error);
    }
    out.endObject();
}

}  // namespace

bool DiffReport::identical() const
{
    return std::all_of(tensors.begin(), tensors.end(), [](const TensorDiff& diff) {
        return diff.status == DiffStatus::Same && diff.error.isEmpty();
    });
}

int DiffReport::count(DiffStatus status) const
{
    return int(std::count_if(tensors.begin(), tensors.end(), [status](const TensorDiff& diff) { return diff.status == status; }));
}

QByteArray diffJsonText(const DiffReport& report)
{
    JsonWriter out;
    out.beginObject();
    out.key("a");
    out.value(report.fileA);
    out.key("b");
    out.value(report.fileB);
    out.key("key_a");
    out.value(report.keyA);
    out.key("key_b");
    out.value(report.keyB);
    out.key("device");
    out.value(report.device);
    out.key("engine");
    out.value(report.engine);
    out.key("identical");
    out.value(report.identical());
    out.key("counts");
    out.beginObject();
    for (DiffStatus status : kStatuses) {
        const QByteArray name = diffStatusName(status).toLatin1();
        out.key(name.constData());
        out.value(report.count(status));
    }
    out.endObject();
    out.key("tensors");
    out.beginArray();
    for (const TensorDiff& diff : report.tensors)
        writeTensor(out, diff);
    out.endArray();
    out.key("warnings");
    out.value(report.warnings);
    out.endObject();
    QByteArray text = out.text();
    text.append('\n');
    return text;
}

}  // namespace statelens
