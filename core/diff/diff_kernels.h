// The fused difference kernel: one pass over two runs of values gives every figure a diff needs
// (how many pairs differ, max and sum of |a - b|, the sums of squares and the dot product), each
// widened to float64. Vectorised with Highway and dispatched at run time like the statistics
// kernels (core/stats/stats_kernels.h).
#pragma once

#include "core/diff/tensor_diff.h"

#include <cstddef>

namespace statelens::kernels {

// The sums over the pairs (a[i], b[i]), i < count. Blocks of a few thousand pairs are summed in
// vector lanes, and the block sums are merged with compensated summation.
DiffSums diffSums(const float* a, const float* b, size_t count);
DiffSums diffSums(const double* a, const double* b, size_t count);

}  // namespace statelens::kernels
