// Running statistics of a stream of values, mergeable across chunks, threads and tensors.
#pragma once

#include <QtGlobal>

#include <limits>

namespace statelens {

// Counts, extremes and centred moments of the finite values seen, plus counts of the rest.
// `mean` and `m2` (sum of squared deviations from the mean) are kept instead of raw sums so that
// merging 10^9 values stays accurate (Chan et al.'s pairwise update), whatever their offset.
struct Moments {
    qint64 finite = 0;
    qint64 nan = 0;
    qint64 posInf = 0;
    qint64 negInf = 0;
    qint64 zeros = 0;   // values equal to zero (either sign)
    double min = std::numeric_limits<double>::infinity();    // over finite values
    double max = -std::numeric_limits<double>::infinity();
    double mean = 0.0;
    double m2 = 0.0;

    qint64 inf() const { return posInf + negInf; }
    qint64 count() const { return finite + nan + posInf + negInf; }
    // Bessel-corrected standard deviation, as torch.std; NaN when fewer than two finite values.
    double std() const;
    void merge(const Moments& other);
};

// The range torch.histc(t, bins, min, max) bins over: [min, max], widened by 1 on each side when
// the two are equal (torch's own rule), so constant tensors get a centred spike.
struct HistogramRange {
    double lo = 0.0;
    double hi = 0.0;
};
HistogramRange histogramRange(double min, double max);

}  // namespace statelens
