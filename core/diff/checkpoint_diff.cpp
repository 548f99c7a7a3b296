#include "core/diff/checkpoint_diff.h"

#include "core/match/state_dict_view.h"

#include <QHash>

namespace statelens {

namespace {

// The keys one side offers: its state dict after prefixes, or every tensor when it has none.
Result<StateDictView> sideView(const Checkpoint& checkpoint, const QString& key, const QStringList& strip,
                               const QString& add)
{
    auto selected = selectStateDict(checkpoint, key);
    StateDictView view;
    if (selected) {
        view = std::move(selected.value());
    } else if (key.isNull()) {
        for (int i = 0; i < checkpoint.tensors.size(); ++i)
            view.entries.append({checkpoint.tensors[i].name, i});
    } else {
        return selected.error();
    }
    return withPrefixes(view, strip, add);
}

DiffSide sideOf(const Checkpoint& checkpoint, int tensor)
{
    const TensorInfo& info = checkpoint.tensors[tensor];
    return DiffSide{tensor, info.name, info.dtype, info.shape};
}

}  // namespace

bool DiffPlan::needsValues(int entry) const
{
    const TensorDiff& diff = entries[entry];
    return !diff.compared && diff.error.isEmpty()
        && (diff.status == DiffStatus::Changed || diff.status == DiffStatus::DtypeChanged);
}

Result<DiffPlan> planDiff(const Checkpoint& a, const Checkpoint& b, const DiffAlignment& alignment)
{
    auto viewA = sideView(a, alignment.keyA, alignment.stripA, alignment.addA);
    if (!viewA) {
        viewA.error().path = a.path;
        return viewA.error();
    }
    auto viewB = sideView(b, alignment.keyB, alignment.stripB, alignment.addB);
    if (!viewB) {
        viewB.error().path = b.path;
        return viewB.error();
    }
    DiffPlan plan;
    plan.pathA = viewA->path;
    plan.pathB = viewB->path;
    // A key twice on one side (two prefixes stripped to the same name): the first one counts.
    auto firstOccurrences = [&plan](const StateDictView& view, const QString& side) {
        QHash<QString, int> positions;
        for (int i = 0; i < view.entries.size(); ++i) {
            if (positions.contains(view.entries[i].key))
                plan.warnings.append(QStringLiteral("%1: key '%2' occurs more than once; the first is compared")
                                         .arg(side, view.entries[i].key));
            else
                positions.insert(view.entries[i].key, i);
        }
        return positions;
    };
    const QHash<QString, int> inA = firstOccurrences(*viewA, QStringLiteral("A"));
    const QHash<QString, int> inB = firstOccurrences(*viewB, QStringLiteral("B"));
    for (int i = 0; i < viewA->entries.size(); ++i) {
        const StateDictEntry& entry = viewA->entries[i];
        if (inA.value(entry.key) != i)
            continue;
        TensorDiff diff;
        diff.index = int(plan.entries.size());
        diff.name = entry.key;
        diff.a = sideOf(a, entry.tensor);
        const auto other = inB.constFind(entry.key);
        if (other == inB.constEnd()) {
            diff.status = DiffStatus::OnlyA;
        } else {
            diff.b = sideOf(b, viewB->entries[*other].tensor);
            if (diff.a.shape != diff.b.shape)
                diff.status = DiffStatus::ShapeChanged;
            else if (diff.a.dtype != diff.b.dtype)
                diff.status = DiffStatus::DtypeChanged;
            else
                diff.status = DiffStatus::Changed;  // until the values say same or changed
        }
        plan.entries.append(diff);
    }
    for (int i = 0; i < viewB->entries.size(); ++i) {
        const StateDictEntry& entry = viewB->entries[i];
        if (inB.value(entry.key) != i || inA.contains(entry.key))
            continue;
        TensorDiff diff;
        diff.index = int(plan.entries.size());
        diff.name = entry.key;
        diff.status = DiffStatus::OnlyB;
        diff.b = sideOf(b, entry.tensor);
        plan.entries.append(diff);
    }
    return plan;
}

}  // namespace statelens
