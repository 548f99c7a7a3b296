// Which tensors of two checkpoints are compared with which: each side's state dict is chosen
// (found by itself, or named) and its keys re-prefixed, then tensors pair by key. Pairs whose
// shapes differ, and names on one side only, are decided here without reading a value; the rest
// wait for a DiffJob (diff_job.h) to compare their values.
#pragma once

#include "core/base/result.h"
#include "core/diff/tensor_diff.h"
#include "core/model/checkpoint.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

// How each side is aligned before pairing.
struct DiffAlignment {
    // The state dict's dotted path in the file ("" the root). A null string: the state dict
    // selectStateDict finds by itself (so a Lightning checkpoint compares with a plain state
    // dict), or every tensor by its full name when the file holds none.
    QString keyA;
    QString keyB;
    QStringList stripA;  // prefixes stripped from A's keys, in turn ("module.", "_orig_mod.")
    QStringList stripB;
    QString addA;        // then prepended to A's keys
    QString addB;
};

struct DiffPlan {
    QString pathA;  // the state dict compared in each file ("" the root); as chosen
    QString pathB;
    // One entry per key: A's keys in A's order, then the keys only B has, in B's order.
    // Statuses are final for only_a, only_b and shape_changed; the others (changed, or
    // dtype_changed, compared == false) are provisional until a DiffJob compares their values.
    QVector<TensorDiff> entries;
    QStringList warnings;  // e.g. a key that occurs twice on one side after alignment

    // Entries whose values a DiffJob reads.
    bool needsValues(int entry) const;
};

// Pairs the two checkpoints' tensors. Errors: a named state dict that does not exist.
Result<DiffPlan> planDiff(const Checkpoint& a, const Checkpoint& b, const DiffAlignment& alignment = {});

}  // namespace statelens
