// Highway compiles this file once per instruction set (foreach_target.h re-includes it) and picks
// the best at run time, as core/stats/stats_kernels.cpp does.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/diff/diff_kernels.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

#include "core/diff/diff_kernels.h"

#include <algorithm>
#include <cmath>

HWY_BEFORE_NAMESPACE();
namespace statelens::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Pairs per block: the lane sums of one block are short (at most 2048 / lanes terms each), and
// blocks are merged with compensated summation, so no long running sum ever loses precision.
constexpr size_t kBlock = 2048;

// Pairs differ where !(a == b): Highway's Ne is an ordered comparison, false for NaN, while a
// NaN differs from everything, itself included (torch.equal, torch.ne).

// One block's sums in plain float64, before they are merged into a DiffSums.
struct Partial {
    size_t differing = 0;
    size_t nanDiffs = 0;
    double maxAbs = 0.0;
    double sumAbs = 0.0, sumSq = 0.0, sumA2 = 0.0, sumB2 = 0.0, dot = 0.0;
};

template <typename T>
void ScalarPairs(const T* a, const T* b, size_t n, Partial& p)
{
    for (size_t i = 0; i < n; ++i) {
        const double x = double(a[i]), y = double(b[i]);
        p.differing += !(a[i] == b[i]);
        const double d = x - y;
        const double ad = std::abs(d);
        if (std::isnan(d)) {
            ++p.nanDiffs;
        } else {
            p.maxAbs = std::max(p.maxAbs, ad);
        }
        p.sumAbs += ad;
        p.sumSq += d * d;
        p.sumA2 += x * x;
        p.sumB2 += y * y;
        p.dot += x * y;
    }
}

// NaN differences, counted again one by one: only for a block whose vector sum of |d| came out NaN.
template <typename T>
size_t CountNanDiffs(const T* a, const T* b, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; ++i)
        count += std::isnan(double(a[i]) - double(b[i]));
    return count;
}

void MergePartial(const Partial& p, DiffSums& total)
{
    total.differing += qint64(p.differing);
    total.nanDiffs += qint64(p.nanDiffs);
    total.maxAbs = std::max(total.maxAbs, p.maxAbs);
    total.sumAbs.add(p.sumAbs);
    total.sumSq.add(p.sumSq);
    total.sumA2.add(p.sumA2);
    total.sumB2.add(p.sumB2);
    total.dot.add(p.dot);
}

#if HWY_TARGET == HWY_SCALAR
// One lane cannot be split into halves for widening: the scalar fallback goes pair by pair.
void BlockF32(const float* a, const float* b, size_t n, Partial& p)
{
    ScalarPairs(a, b, n, p);
}
#else
// The vector part sums without looking for NaN: a NaN difference makes the lane sums of |d| NaN,
// and only then is the block recounted (its other sums no longer matter: diffDeltas makes every
// figure NaN once a NaN difference exists, as torch's float64 arithmetic does).
void BlockF32(const float* a, const float* b, size_t n, Partial& p)
{
    const hn::ScalableTag<float> d;
    const hn::RebindToSigned<decltype(d)> di;
    const hn::Repartition<double, decltype(d)> dd;
    const hn::Half<decltype(d)> dh;
    const size_t lanes = hn::Lanes(d);
    auto ne = hn::Zero(di);
    auto maxLo = hn::Zero(dd), maxHi = hn::Zero(dd);
    auto absLo = hn::Zero(dd), absHi = hn::Zero(dd);
    auto sqLo = hn::Zero(dd), sqHi = hn::Zero(dd);
    auto a2Lo = hn::Zero(dd), a2Hi = hn::Zero(dd);
    auto b2Lo = hn::Zero(dd), b2Hi = hn::Zero(dd);
    auto dotLo = hn::Zero(dd), dotHi = hn::Zero(dd);
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const auto va = hn::LoadU(d, a + i);
        const auto vb = hn::LoadU(d, b + i);
        ne = hn::Sub(ne, hn::VecFromMask(di, hn::RebindMask(di, hn::Not(hn::Eq(va, vb)))));
        const auto aLo = hn::PromoteTo(dd, hn::LowerHalf(dh, va));
        const auto aHi = hn::PromoteTo(dd, hn::UpperHalf(dh, va));
        const auto bLo = hn::PromoteTo(dd, hn::LowerHalf(dh, vb));
        const auto bHi = hn::PromoteTo(dd, hn::UpperHalf(dh, vb));
        const auto dLo = hn::Sub(aLo, bLo);
        const auto dHi = hn::Sub(aHi, bHi);
        const auto adLo = hn::Abs(dLo);
        const auto adHi = hn::Abs(dHi);
        maxLo = hn::Max(maxLo, adLo);
        maxHi = hn::Max(maxHi, adHi);
        absLo = hn::Add(absLo, adLo);
        absHi = hn::Add(absHi, adHi);
        sqLo = hn::MulAdd(dLo, dLo, sqLo);
        sqHi = hn::MulAdd(dHi, dHi, sqHi);
        a2Lo = hn::MulAdd(aLo, aLo, a2Lo);
        a2Hi = hn::MulAdd(aHi, aHi, a2Hi);
        b2Lo = hn::MulAdd(bLo, bLo, b2Lo);
        b2Hi = hn::MulAdd(bHi, bHi, b2Hi);
        dotLo = hn::MulAdd(aLo, bLo, dotLo);
        dotHi = hn::MulAdd(aHi, bHi, dotHi);
    }
    const size_t vectorPart = i;
    p.differing += size_t(hn::GetLane(hn::SumOfLanes(di, ne)));
    const double vectorAbs = hn::GetLane(hn::SumOfLanes(dd, hn::Add(absLo, absHi)));
    if (std::isnan(vectorAbs))
        p.nanDiffs += CountNanDiffs(a, b, vectorPart);
    else if (vectorPart > 0)
        p.maxAbs = std::max(p.maxAbs, hn::GetLane(hn::MaxOfLanes(dd, hn::Max(maxLo, maxHi))));
    p.sumAbs += vectorAbs;
    p.sumSq += hn::GetLane(hn::SumOfLanes(dd, hn::Add(sqLo, sqHi)));
    p.sumA2 += hn::GetLane(hn::SumOfLanes(dd, hn::Add(a2Lo, a2Hi)));
    p.sumB2 += hn::GetLane(hn::SumOfLanes(dd, hn::Add(b2Lo, b2Hi)));
    p.dot += hn::GetLane(hn::SumOfLanes(dd, hn::Add(dotLo, dotHi)));
    ScalarPairs(a + vectorPart, b + vectorPart, n - vectorPart, p);
}
#endif  // HWY_TARGET == HWY_SCALAR

void BlockF64(const double* a, const double* b, size_t n, Partial& p)
{
    const hn::ScalableTag<double> d;
    const size_t lanes = hn::Lanes(d);
    auto vmax = hn::Zero(d), vabs = hn::Zero(d), sq = hn::Zero(d), a2 = hn::Zero(d), b2 = hn::Zero(d),
         dot = hn::Zero(d);
    size_t differing = 0;
    size_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        const auto va = hn::LoadU(d, a + i);
        const auto vb = hn::LoadU(d, b + i);
        differing += hn::CountTrue(d, hn::Not(hn::Eq(va, vb)));
        const auto delta = hn::Sub(va, vb);
        const auto ad = hn::Abs(delta);
        vmax = hn::Max(vmax, ad);
        vabs = hn::Add(vabs, ad);
        sq = hn::MulAdd(delta, delta, sq);
        a2 = hn::MulAdd(va, va, a2);
        b2 = hn::MulAdd(vb, vb, b2);
        dot = hn::MulAdd(va, vb, dot);
    }
    const size_t vectorPart = i;
    p.differing += differing;
    const double vectorAbs = hn::GetLane(hn::SumOfLanes(d, vabs));
    if (std::isnan(vectorAbs))
        p.nanDiffs += CountNanDiffs(a, b, vectorPart);
    else if (vectorPart > 0)
        p.maxAbs = std::max(p.maxAbs, hn::GetLane(hn::MaxOfLanes(d, vmax)));
    p.sumAbs += vectorAbs;
    p.sumSq += hn::GetLane(hn::SumOfLanes(d, sq));
    p.sumA2 += hn::GetLane(hn::SumOfLanes(d, a2));
    p.sumB2 += hn::GetLane(hn::SumOfLanes(d, b2));
    p.dot += hn::GetLane(hn::SumOfLanes(d, dot));
    ScalarPairs(a + vectorPart, b + vectorPart, n - vectorPart, p);
}

DiffSums DiffF32(const float* a, const float* b, size_t n)
{
    DiffSums total;
    total.count = qint64(n);
    for (size_t start = 0; start < n; start += kBlock) {
        Partial p;
        BlockF32(a + start, b + start, std::min(kBlock, n - start), p);
        MergePartial(p, total);
    }
    return total;
}

DiffSums DiffF64(const double* a, const double* b, size_t n)
{
    DiffSums total;
    total.count = qint64(n);
    for (size_t start = 0; start < n; start += kBlock) {
        Partial p;
        BlockF64(a + start, b + start, std::min(kBlock, n - start), p);
        MergePartial(p, total);
    }
    return total;
}

}  // namespace HWY_NAMESPACE
}  // namespace statelens::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace statelens::kernels {

HWY_EXPORT(DiffF32);
HWY_EXPORT(DiffF64);

DiffSums diffSums(const float* a, const float* b, size_t count)
{
    return HWY_DYNAMIC_DISPATCH(DiffF32)(a, b, count);
}

DiffSums diffSums(const double* a, const double* b, size_t count)
{
    return HWY_DYNAMIC_DISPATCH(DiffF64)(a, b, count);
}

}  // namespace statelens::kernels
#endif  // HWY_ONCE
