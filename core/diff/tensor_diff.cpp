#include "core/diff/tensor_diff.h"

#include <algorithm>

namespace statelens {

QString diffStatusName(DiffStatus status)
{
    switch (status) {
    case DiffStatus::Same: return QStringLiteral("same");
    case DiffStatus::Changed: return QStringLiteral("changed");
    case DiffStatus::ShapeChanged: return QStringLiteral("shape_changed");
    case DiffStatus::DtypeChanged: return QStringLiteral("dtype_changed");
    case DiffStatus::OnlyA: return QStringLiteral("only_a");
    case DiffStatus::OnlyB: return QStringLiteral("only_b");
    }
    return QStringLiteral("changed");
}

void DiffSums::merge(const DiffSums& other)
{
    count += other.count;
    differing += other.differing;
    nanDiffs += other.nanDiffs;
    maxAbs = std::max(maxAbs, other.maxAbs);
    sumAbs.add(other.sumAbs);
    sumSq.add(other.sumSq);
    sumA2.add(other.sumA2);
    sumB2.add(other.sumB2);
    dot.add(other.dot);
}

DiffDeltas diffDeltas(const DiffSums& sums)
{
    DiffDeltas deltas;  // NaN: no values, or a NaN difference somewhere (torch's max and sums say NaN)
    if (sums.count == 0 || sums.nanDiffs > 0)
        return deltas;
    const double normA = std::sqrt(sums.sumA2.value());
    const double normB = std::sqrt(sums.sumB2.value());
    deltas.maxAbs = sums.maxAbs;
    deltas.meanAbs = sums.sumAbs.value() / double(sums.count);
    deltas.relL2 = std::sqrt(sums.sumSq.value()) / normA;
    deltas.cosine = sums.dot.value() / (normA * normB);
    return deltas;
}

}  // namespace statelens
