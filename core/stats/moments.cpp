#include "core/stats/moments.h"

#include <cmath>

namespace statelens {

double Moments::std() const
{
    if (finite < 2)
        return std::numeric_limits<double>::quiet_NaN();
    return std::sqrt(m2 / double(finite - 1));
}

void Moments::merge(const Moments& other)
{
    nan += other.nan;
    posInf += other.posInf;
    negInf += other.negInf;
    zeros += other.zeros;
    if (other.finite == 0)
        return;
    if (finite == 0) {
        finite = other.finite;
        min = other.min;
        max = other.max;
        mean = other.mean;
        m2 = other.m2;
        return;
    }
    const double n = double(finite);
    const double m = double(other.finite);
    const double total = n + m;
    const double delta = other.mean - mean;
    mean += delta * (m / total);
    m2 += other.m2 + delta * delta * (n * m / total);
    finite += other.finite;
    if (other.min < min)
        min = other.min;
    if (other.max > max)
        max = other.max;
}

HistogramRange histogramRange(double min, double max)
{
    if (min == max)
        return {min - 1.0, max + 1.0};
    return {min, max};
}

}  // namespace statelens
