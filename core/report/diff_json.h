// The `diff` JSON of the CLI contract, written as it is walked (see core/report/json_writer.h):
//
// {"a": "A.pth", "b": "B.ckpt", "key_a": "", "key_b": "state_dict", "device": "cpu",
//  "engine": "fused (AVX2)", "identical": false,
//  "counts": {"same": 120, "changed": 1, "shape_changed": 1, "dtype_changed": 0, "only_a": 0, "only_b": 0},
//  "tensors": [{"name": "fc.weight", "status": "changed",
//               "a": {"name": "fc.weight", "dtype": "float32", "shape": [10, 512]},
//               "b": {"name": "state_dict.model.fc.weight", "dtype": "float32", "shape": [10, 512]},
//               "numel": 5120, "differing": 5120,
//               "max_abs_diff": 0.01, "mean_abs_diff": 0.002, "rel_l2": 0.05, "cosine": 0.998}],
//  "warnings": []}
//
// `name` is the aligned key; `a`/`b` give each side's own full name (null for only_b / only_a).
// Pairs whose values were compared (same, changed, dtype_changed) carry numel, differing (pairs
// with a != b, NaN != NaN as in torch) and the four deltas, computed in float64 after widening
// both sides (so dtype_changed says how much a cast moved the values). A figure that is NaN or
// infinite (a NaN value, a zero norm) is null. A pair whose values could not be read has status
// changed (or dtype_changed), null deltas and an `error`.
#pragma once

#include "core/diff/tensor_diff.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

struct DiffReport {
    QString fileA;
    QString fileB;
    QString keyA;  // the state dict compared in each file ("" the root)
    QString keyB;
    QString device;
    QString engine;
    QVector<TensorDiff> tensors;  // in plan order
    QStringList warnings;

    // Every tensor the same (and nothing on one side only).
    bool identical() const;
    int count(DiffStatus status) const;
};

QByteArray diffJsonText(const DiffReport& report);

}  // namespace statelens
