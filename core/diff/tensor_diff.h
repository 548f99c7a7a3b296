// How one tensor differs between two checkpoints: its status and, when its values were compared,
// the differences, accumulated in float64 and mergeable across chunks, threads and devices.
#pragma once

#include "core/model/dtype.h"

#include <QString>
#include <QVector>

#include <cmath>
#include <limits>

namespace statelens {

// The `status` of the CLI contract's `diff`. Precedence: only_a / only_b, then shape_changed,
// then dtype_changed, then same or changed.
enum class DiffStatus {
    Same,          // same shape and dtype, every value equal (torch.equal: NaN never equals NaN)
    Changed,       // same shape and dtype, some value differs (or could not be read: see error)
    ShapeChanged,  // different shapes: values not compared
    DtypeChanged,  // same shape, different dtype: values compared after widening to float64
    OnlyA,         // the name is in the first checkpoint only
    OnlyB,         // the name is in the second checkpoint only
};

// "same", "changed", "shape_changed", "dtype_changed", "only_a", "only_b".
QString diffStatusName(DiffStatus status);

// A float64 sum that keeps the low-order bits each addition drops (Neumaier's variant of Kahan
// summation), so chunk and block sums of 10^9 values merge without drift.
struct CompensatedSum {
    double sum = 0.0;
    double compensation = 0.0;

    void add(double x)
    {
        const double t = sum + x;
        if (std::abs(sum) >= std::abs(x))
            compensation += (sum - t) + x;
        else
            compensation += (x - t) + sum;
        sum = t;
    }
    void add(const CompensatedSum& other)
    {
        add(other.sum);
        add(other.compensation);
    }
    double value() const { return sum + compensation; }
};

// Sums over the pairs (a, b) of a run of values, d = a - b, everything in float64.
struct DiffSums {
    qint64 count = 0;
    qint64 differing = 0;  // pairs with a != b (NaN differs from everything, itself included)
    qint64 nanDiffs = 0;   // pairs whose difference is NaN (a NaN, or infinities of one sign)
    double maxAbs = 0.0;   // max |d| over the pairs whose difference is not NaN
    CompensatedSum sumAbs;  // sum |d|
    CompensatedSum sumSq;   // sum d^2
    CompensatedSum sumA2;   // sum a^2
    CompensatedSum sumB2;   // sum b^2
    CompensatedSum dot;     // sum a * b

    void merge(const DiffSums& other);
};

// The figures a user reads, derived from DiffSums as torch computes them in float64: NaN
// propagates (a NaN anywhere makes max, mean, rel_l2 and cosine NaN); rel_l2 = ||a - b|| / ||a||
// and cosine = a.b / (||a|| ||b||) are NaN or infinite when a norm is 0. Non-finite figures are
// written as null in JSON.
struct DiffDeltas {
    double maxAbs = std::numeric_limits<double>::quiet_NaN();
    double meanAbs = std::numeric_limits<double>::quiet_NaN();
    double relL2 = std::numeric_limits<double>::quiet_NaN();
    double cosine = std::numeric_limits<double>::quiet_NaN();
};
DiffDeltas diffDeltas(const DiffSums& sums);

// One side's tensor: its name in its file (before alignment), dtype and shape.
struct DiffSide {
    int tensor = -1;  // index into that Checkpoint::tensors; -1 when absent
    QString name;
    DType dtype = DType::Unknown;
    QVector<qint64> shape;
};

struct TensorDiff {
    int index = -1;   // position in the plan (A's order, then names only in B)
    QString name;     // the aligned key both sides are paired by
    DiffStatus status = DiffStatus::Changed;
    DiffSide a;
    DiffSide b;
    bool compared = false;  // values were read (same, changed, dtype_changed without error)
    DiffSums sums;          // when compared
    QString error;          // why the values could not be compared (status stays changed)

    bool hasDeltas() const { return compared && error.isEmpty(); }
    DiffDeltas deltas() const { return diffDeltas(sums); }
};

}  // namespace statelens
