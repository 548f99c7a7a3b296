// The fused statistics kernels: one pass for counts, extremes and moments, one for the histogram.
// Vectorised with Highway and dispatched at run time to the best instruction set the CPU has
// (SSE4/AVX2/AVX-512 on x86, NEON on ARM), so one installer is fast everywhere.
#pragma once

#include "core/stats/moments.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace statelens::kernels {

// The moments of `count` contiguous values. Non-finite values are counted, not averaged.
Moments moments(const float* values, size_t count);
Moments moments(const double* values, size_t count);

// Bins values into `bins` equal bins over [lo, hi] with torch.histc's arithmetic, in the values'
// own precision: bin = int((x - lo) * bins / (hi - lo)), x == hi in the last bin, values outside
// [lo, hi] (and NaN) ignored. Counts accumulate in a HistogramAccumulator.
class HistogramAccumulator {
public:
    explicit HistogramAccumulator(int bins);
    void add(const float* values, size_t count, double lo, double hi);
    void add(const double* values, size_t count, double lo, double hi);
    // Adds the counts gathered so far to `counts` (size bins) and clears them.
    void flushInto(qint64* counts);
    int bins() const { return m_bins; }

private:
    void flushIfNeeded(size_t incoming);
    void collect(qint64* counts);  // adds the sub-histograms to counts and clears them
    uint32_t* pairTable(size_t incoming);  // the 2-D pair table for a run this long, or nullptr
    static constexpr int kMaxPairBins = 64;
    static constexpr size_t kMinPairRun = 1 << 16;
    int m_bins;
    // Four interleaved sub-histograms of bins + 1 slots (the last slot takes values out of
    // range), so consecutive increments of one bin do not wait on each other.
    std::vector<uint32_t> m_slots;
    std::vector<uint32_t> m_pairs;  // (bins + 1)^2 counts of consecutive bin pairs, when used
    std::vector<qint64> m_totals;  // counts moved out of the slots before they could overflow
    size_t m_pending = 0;
};

// The instruction set the dispatcher chose ("AVX3", "AVX2", "SSE4", "NEON", ...).
const char* simdTargetName();

}  // namespace statelens::kernels
