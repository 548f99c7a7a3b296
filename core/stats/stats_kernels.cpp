// Highway compiles this file once per instruction set (foreach_target.h re-includes it) and picks
// the best at run time. Everything between HWY_BEFORE_NAMESPACE and HWY_AFTER_NAMESPACE is
// per-target; the dispatching wrappers at the end are compiled once (HWY_ONCE).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/stats/stats_kernels.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

#include "core/stats/stats_kernels.h"

#include <cmath>
#include <cstring>
#include <limits>

HWY_BEFORE_NAMESPACE();
namespace statelens::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Values are taken in blocks small enough to stay in L1: the first sweep gives the block's counts,
// extremes and sum; the second its squared deviations from the block's own mean. Blocks merge
// with Chan's update, so no long running sum ever loses precision.
constexpr size_t kBlock = 2048;

inline void countNonFinite(double x, Moments& m)
{
    if (std::isnan(x))
        ++m.nan;
    else if (x > 0)
        ++m.posInf;
    else
        ++m.negInf;
}

// Scalar tail shared by both precisions: updates extremes and counts, returns the finite sum.
template <typename T>
double scalarSweep(const T* p, size_t n, Moments& m, T& lo, T& hi)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const T x = p[i];
        if (x == T(0))
            ++m.zeros;
        if (!std::isfinite(x)) {
            countNonFinite(double(x), m);
            continue;
        }
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += double(x);
    }
    return sum;
}

template <typename T>
double scalarSquares(const T* p, size_t n, double mean)
{
    double m2 = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double x = double(p[i]);
        if (std::isfinite(x))
            m2 += (x - mean) * (x - mean);
    }
    return m2;
}

#if HWY_TARGET == HWY_SCALAR
// One lane cannot be split into halves for widening: the scalar fallback widens one by one.
Moments BlockMomentsF32(const float* p, size_t n)
{
    Moments m;
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    const double sum = scalarSweep(p, n, m, lo, hi);
    m.finite = qint64(n) - m.nan - m.posInf - m.negInf;
    if (m.finite == 0)
        return m;
    m.min = lo;
    m.max = hi;
    m.mean = sum / double(m.finite);
    m.m2 = scalarSquares(p, n, m.mean);
    return m;
}
#else
// The common case, a block without NaN or infinity, in one sweep: extremes, zeros, and the sums
// of d = x - shift and d^2 in double, where shift is the block's first value. M2 = sum(d^2) -
// sum(d)^2 / n cancels at most n * (mean - shift)^2, and since shift is one of the values that is
// at most n * M2: the relative error stays below n * 2^-53 (2e-13 for a block). Returns false (having computed nothing reliable) when the block holds
// a non-finite value; the caller then takes the masked two-sweep path below.
bool FiniteBlockMomentsF32(const float* p, size_t n, Moments& m)
{
    const hn::ScalableTag<float> d;
    const hn::RebindToSigned<decltype(d)> di;
    const hn::Repartition<double, decltype(d)> dd;
    const hn::Half<decltype(d)> dh;
    const size_t lanes = hn::Lanes(d);
    if (n < lanes)
        return false;
    const auto zero = hn::Zero(d);
    const auto absMask = hn::Set(di, 0x7FFFFFFF);
    const double shift = double(p[0]);
    const auto vshift = hn::Set(dd, shift);
    auto vmin = hn::LoadU(d, p), vmax = vmin;
    auto worstBits = hn::Zero(di), zeros = hn::Zero(di);
    auto sumLo = hn::Zero(dd), sumHi = hn::Zero(dd), sqLo = hn::Zero(dd), sqHi = hn::Zero(dd);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const auto v = hn::LoadU(d, p + i);
        vmin = hn::Min(vmin, v);
        vmax = hn::Max(vmax, v);
        // The largest |x| bit pattern: at or above 0x7F800000 only for infinity or NaN.
        worstBits = hn::Max(worstBits, hn::And(hn::BitCast(di, v), absMask));
        zeros = hn::Sub(zeros, hn::VecFromMask(di, hn::RebindMask(di, hn::Eq(v, zero))));
        const auto dLo = hn::Sub(hn::PromoteTo(dd, hn::LowerHalf(dh, v)), vshift);
        const auto dHi = hn::Sub(hn::PromoteTo(dd, hn::UpperHalf(dh, v)), vshift);
        sumLo = hn::Add(sumLo, dLo);
        sumHi = hn::Add(sumHi, dHi);
        sqLo = hn::MulAdd(dLo, dLo, sqLo);
        sqHi = hn::MulAdd(dHi, dHi, sqHi);
    }
    if (hn::GetLane(hn::MaxOfLanes(di, worstBits)) >= 0x7F800000)
        return false;
    float lo = hn::GetLane(hn::MinOfLanes(d, vmin));
    float hi = hn::GetLane(hn::MaxOfLanes(d, vmax));
    double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(sumLo, sumHi)));
    double squares = hn::GetLane(hn::SumOfLanes(dd, hn::Add(sqLo, sqHi)));
    qint64 zeroCount = hn::GetLane(hn::SumOfLanes(di, zeros));
    for (; i < n; ++i) {
        const float x = p[i];
        if (!std::isfinite(x))
            return false;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        zeroCount += x == 0.0f;
        const double delta = double(x) - shift;
        sum += delta;
        squares += delta * delta;
    }
    m = Moments();
    m.finite = qint64(n);
    m.zeros = zeroCount;
    m.min = lo;
    m.max = hi;
    const double meanDelta = sum / double(n);
    m.mean = shift + meanDelta;
    m.m2 = std::max(0.0, squares - sum * meanDelta);
    return true;
}

Moments BlockMomentsF32(const float* p, size_t n)
{
    Moments fast;
    if (FiniteBlockMomentsF32(p, n, fast))
        return fast;
    const hn::ScalableTag<float> d;
    const hn::Repartition<double, decltype(d)> dd;
    const hn::Half<decltype(d)> dh;
    const size_t lanes = hn::Lanes(d);
    const auto posInf = hn::Set(d, std::numeric_limits<float>::infinity());
    const auto negInf = hn::Set(d, -std::numeric_limits<float>::infinity());
    const auto zero = hn::Zero(d);
    auto vmin = posInf, vmax = negInf;
    auto sumLo = hn::Zero(dd), sumHi = hn::Zero(dd);
    size_t zeros = 0, finite = 0;
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const auto v = hn::LoadU(d, p + i);
        const auto isFinite = hn::IsFinite(v);
        finite += hn::CountTrue(d, isFinite);
        zeros += hn::CountTrue(d, hn::Eq(v, zero));
        vmin = hn::Min(vmin, hn::IfThenElse(isFinite, v, posInf));
        vmax = hn::Max(vmax, hn::IfThenElse(isFinite, v, negInf));
        const auto kept = hn::IfThenElseZero(isFinite, v);
        sumLo = hn::Add(sumLo, hn::PromoteTo(dd, hn::LowerHalf(dh, kept)));
        sumHi = hn::Add(sumHi, hn::PromoteTo(dd, hn::UpperHalf(dh, kept)));
    }
    Moments m;
    const size_t vectorPart = i;
    m.zeros = qint64(zeros);
    float lo = hn::GetLane(hn::MinOfLanes(d, vmin));
    float hi = hn::GetLane(hn::MaxOfLanes(d, vmax));
    if (finite != vectorPart) {  // rare: classify the non-finite values of this block
        for (size_t k = 0; k < vectorPart; ++k)
            if (!std::isfinite(p[k]))
                countNonFinite(double(p[k]), m);
    }
    double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(sumLo, sumHi)));
    sum += scalarSweep(p + vectorPart, n - vectorPart, m, lo, hi);
    m.finite = qint64(n) - m.nan - m.posInf - m.negInf;
    if (m.finite == 0)
        return m;
    m.min = lo;
    m.max = hi;
    m.mean = sum / double(m.finite);

    const auto mean = hn::Set(dd, m.mean);
    auto accLo = hn::Zero(dd), accHi = hn::Zero(dd);
    const bool allFinite = m.finite == qint64(n);
    for (i = 0; i < vectorPart; i += lanes) {
        const auto v = hn::LoadU(d, p + i);
        auto dLo = hn::Sub(hn::PromoteTo(dd, hn::LowerHalf(dh, v)), mean);
        auto dHi = hn::Sub(hn::PromoteTo(dd, hn::UpperHalf(dh, v)), mean);
        if (!allFinite) {  // promotion keeps NaN and infinity, so finiteness can be re-tested
            dLo = hn::IfThenElseZero(hn::IsFinite(dLo), dLo);
            dHi = hn::IfThenElseZero(hn::IsFinite(dHi), dHi);
        }
        accLo = hn::MulAdd(dLo, dLo, accLo);
        accHi = hn::MulAdd(dHi, dHi, accHi);
    }
    m.m2 = hn::GetLane(hn::SumOfLanes(dd, hn::Add(accLo, accHi)))
           + scalarSquares(p + vectorPart, n - vectorPart, m.mean);
    return m;
}

#endif  // HWY_TARGET == HWY_SCALAR

Moments BlockMomentsF64(const double* p, size_t n)
{
    const hn::ScalableTag<double> d;
    const size_t lanes = hn::Lanes(d);
    const auto posInf = hn::Set(d, std::numeric_limits<double>::infinity());
    const auto negInf = hn::Set(d, -std::numeric_limits<double>::infinity());
    const auto zero = hn::Zero(d);
    auto vmin = posInf, vmax = negInf, vsum = zero;
    size_t zeros = 0, finite = 0;
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const auto v = hn::LoadU(d, p + i);
        const auto isFinite = hn::IsFinite(v);
        finite += hn::CountTrue(d, isFinite);
        zeros += hn::CountTrue(d, hn::Eq(v, zero));
        vmin = hn::Min(vmin, hn::IfThenElse(isFinite, v, posInf));
        vmax = hn::Max(vmax, hn::IfThenElse(isFinite, v, negInf));
        vsum = hn::Add(vsum, hn::IfThenElseZero(isFinite, v));
    }
    Moments m;
    const size_t vectorPart = i;
    m.zeros = qint64(zeros);
    double lo = hn::GetLane(hn::MinOfLanes(d, vmin));
    double hi = hn::GetLane(hn::MaxOfLanes(d, vmax));
    if (finite != vectorPart) {
        for (size_t k = 0; k < vectorPart; ++k)
            if (!std::isfinite(p[k]))
                countNonFinite(p[k], m);
    }
    double sum = hn::GetLane(hn::SumOfLanes(d, vsum));
    sum += scalarSweep(p + vectorPart, n - vectorPart, m, lo, hi);
    m.finite = qint64(n) - m.nan - m.posInf - m.negInf;
    if (m.finite == 0)
        return m;
    m.min = lo;
    m.max = hi;
    m.mean = sum / double(m.finite);

    const auto mean = hn::Set(d, m.mean);
    auto acc = zero;
    const bool allFinite = m.finite == qint64(n);
    for (i = 0; i < vectorPart; i += lanes) {
        auto delta = hn::Sub(hn::LoadU(d, p + i), mean);
        if (!allFinite)
            delta = hn::IfThenElseZero(hn::IsFinite(delta), delta);
        acc = hn::MulAdd(delta, delta, acc);
    }
    m.m2 = hn::GetLane(hn::SumOfLanes(d, acc)) + scalarSquares(p + vectorPart, n - vectorPart, m.mean);
    return m;
}

Moments MomentsF32(const float* p, size_t n)
{
    Moments total;
    for (size_t start = 0; start < n; start += kBlock)
        total.merge(BlockMomentsF32(p + start, std::min(kBlock, n - start)));
    return total;
}

Moments MomentsF64(const double* p, size_t n)
{
    Moments total;
    for (size_t start = 0; start < n; start += kBlock)
        total.merge(BlockMomentsF64(p + start, std::min(kBlock, n - start)));
    return total;
}

// Bin positions are computed in vectors, then counted with scalar increments spread over four
// sub-histograms. Lanes outside [lo, hi] (NaN included) go to the spare slot `bins`.
constexpr size_t kIndexBatch = 512;

// Counting is bound by one memory increment per value. With few bins, two consecutive positions
// (a, b) count as one increment of a 2-D table at a * (bins + 1) + b (17 KiB for 64 bins, in L1),
// halving the increments; the table is folded back into per-bin counts when flushed.
inline void countIndexPairs(const int32_t* index, size_t n, uint32_t* pairs, size_t stride, uint32_t* slots)
{
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint64_t two;
        std::memcpy(&two, index + i, sizeof(two));
        ++pairs[size_t(uint32_t(two)) * stride + size_t(two >> 32)];
    }
    if (i < n)
        ++slots[size_t(index[i])];
}

inline void countIndices(const int32_t* index, size_t n, uint32_t* slots, size_t stride)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        ++slots[size_t(index[i])];
        ++slots[stride + size_t(index[i + 1])];
        ++slots[2 * stride + size_t(index[i + 2])];
        ++slots[3 * stride + size_t(index[i + 3])];
    }
    for (; i < n; ++i)
        ++slots[size_t(index[i])];
}

// Same arithmetic as torch's LINEAR_INTERPOLATION histogram, in T: (x - lo) * bins / (hi - lo).
template <typename T>
inline int32_t scalarBin(T x, T lo, T hi, T range, T binsT, int bins)
{
    if (!(x >= lo && x <= hi))
        return bins;
    const T position = (x - lo) * binsT / range;
    // (x - lo) * bins overflows to infinity for values near the type's limit (a range of 3e38
    // in float): clamp before converting, as the vector path does, since converting infinity
    // to an integer is undefined (found by fuzz_safetensors).
    if (!(position < binsT))
        return bins - 1;
    return int32_t(position);
}

// One histogram sweep for both precisions; only the float-to-int conversion differs (a double
// vector narrows to int32 lanes in half a vector).
template <typename T>
void HistogramSweep(const T* p, size_t n, T lo, T hi, int bins, uint32_t* slots, uint32_t* pairs)
{
    const hn::ScalableTag<T> d;
    const hn::Rebind<int32_t, decltype(d)> di;
    const size_t lanes = hn::Lanes(d);
    const T range = hi - lo, binsT = T(bins);
    const auto vlo = hn::Set(d, lo), vhi = hn::Set(d, hi), vrange = hn::Set(d, range);
    const auto vbins = hn::Set(d, binsT), vlast = hn::Set(d, binsT - T(1)), vspare = vbins;
    const size_t stride = size_t(bins) + 1;
    HWY_ALIGN int32_t index[kIndexBatch];
    size_t i = 0;
    while (i + lanes <= n) {
        size_t filled = 0;
        for (; filled + lanes <= kIndexBatch && i + lanes <= n; i += lanes, filled += lanes) {
            const auto v = hn::LoadU(d, p + i);
            const auto inRange = hn::And(hn::Ge(v, vlo), hn::Le(v, vhi));
            const auto position = hn::Min(hn::Div(hn::Mul(hn::Sub(v, vlo), vbins), vrange), vlast);
            const auto chosen = hn::IfThenElse(inRange, position, vspare);
            if constexpr (sizeof(T) == sizeof(int32_t))
                hn::StoreU(hn::ConvertTo(di, chosen), di, index + filled);
            else
                hn::StoreU(hn::DemoteTo(di, chosen), di, index + filled);
        }
        if (pairs)
            countIndexPairs(index, filled, pairs, stride, slots);
        else
            countIndices(index, filled, slots, stride);
    }
    for (; i < n; ++i)
        ++slots[size_t(scalarBin(p[i], lo, hi, range, binsT, bins))];
}

void HistogramF32(const float* p, size_t n, double lo, double hi, int bins, uint32_t* slots, uint32_t* pairs)
{
    HistogramSweep<float>(p, n, float(lo), float(hi), bins, slots, pairs);
}

void HistogramF64(const double* p, size_t n, double lo, double hi, int bins, uint32_t* slots, uint32_t* pairs)
{
    HistogramSweep<double>(p, n, lo, hi, bins, slots, pairs);
}

const char* TargetName()
{
    return hwy::TargetName(HWY_TARGET);
}

}  // namespace HWY_NAMESPACE
}  // namespace statelens::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace statelens::kernels {

HWY_EXPORT(MomentsF32);
HWY_EXPORT(MomentsF64);
HWY_EXPORT(HistogramF32);
HWY_EXPORT(HistogramF64);
HWY_EXPORT(TargetName);

Moments moments(const float* values, size_t count)
{
    return HWY_DYNAMIC_DISPATCH(MomentsF32)(values, count);
}

Moments moments(const double* values, size_t count)
{
    return HWY_DYNAMIC_DISPATCH(MomentsF64)(values, count);
}

HistogramAccumulator::HistogramAccumulator(int bins)
    : m_bins(bins), m_slots(size_t(4) * (size_t(bins) + 1), 0u), m_totals(size_t(bins), 0)
{
}

void HistogramAccumulator::flushIfNeeded(size_t incoming)
{
    // A uint32 slot takes 2^32 - 1 increments: move the counts to 64-bit totals well before.
    if (m_pending + incoming < (size_t(1) << 31))
        return;
    collect(m_totals.data());
}

uint32_t* HistogramAccumulator::pairTable(size_t incoming)
{
    // The 2-D table pays off only for runs long enough to amortise folding it (and with few bins).
    if (m_bins > kMaxPairBins || incoming < kMinPairRun)
        return nullptr;
    if (m_pairs.empty())
        m_pairs.assign((size_t(m_bins) + 1) * (size_t(m_bins) + 1), 0u);
    return m_pairs.data();
}

void HistogramAccumulator::collect(qint64* counts)
{
    const size_t stride = size_t(m_bins) + 1;
    if (!m_pairs.empty()) {
        // Fold the pair table: entry (a, b) is one value in bin a and one in bin b.
        for (size_t a = 0; a < stride; ++a) {
            for (size_t b = 0; b < stride; ++b) {
                const qint64 n = qint64(m_pairs[a * stride + b]);
                if (a < size_t(m_bins))
                    counts[a] += n;
                if (b < size_t(m_bins))
                    counts[b] += n;
            }
        }
        std::fill(m_pairs.begin(), m_pairs.end(), 0u);
    }
    for (size_t s = 0; s < 4; ++s) {
        for (size_t b = 0; b < size_t(m_bins); ++b)
            counts[b] += qint64(m_slots[s * stride + b]);
    }
    std::fill(m_slots.begin(), m_slots.end(), 0u);
    m_pending = 0;
}

void HistogramAccumulator::add(const float* values, size_t count, double lo, double hi)
{
    // torch bins in the tensor's precision, but a range wider than float can hold (an overflow to
    // infinity) would bin nothing: fall back to double there.
    if (!std::isfinite(float(hi) - float(lo))) {
        for (size_t i = 0; i < count; ++i) {
            const double x = values[i];
            add(&x, 1, lo, hi);
        }
        return;
    }
    flushIfNeeded(count);
    HWY_DYNAMIC_DISPATCH(HistogramF32)(values, count, lo, hi, m_bins, m_slots.data(), pairTable(count));
    m_pending += count;
}

void HistogramAccumulator::add(const double* values, size_t count, double lo, double hi)
{
    flushIfNeeded(count);
    HWY_DYNAMIC_DISPATCH(HistogramF64)(values, count, lo, hi, m_bins, m_slots.data(), pairTable(count));
    m_pending += count;
}

void HistogramAccumulator::flushInto(qint64* counts)
{
    collect(counts);
    for (size_t b = 0; b < size_t(m_bins); ++b)
        counts[b] += m_totals[b];
    std::fill(m_totals.begin(), m_totals.end(), 0);
}

const char* simdTargetName()
{
    return HWY_DYNAMIC_DISPATCH(TargetName)();
}

}  // namespace statelens::kernels
#endif  // HWY_ONCE
