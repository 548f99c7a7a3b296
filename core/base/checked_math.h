// Overflow-checked arithmetic on sizes from untrusted files (GCC/Clang builtins, MSVC fallback).
#pragma once

#include <QtGlobal>

#include <limits>

namespace statelens {

inline bool checkedMul(qint64 a, qint64 b, qint64* out)
{
#if defined(__GNUC__) || defined(__clang__)
    return !__builtin_mul_overflow(a, b, out);
#else
    if (a != 0 && b != 0) {
        const qint64 max = std::numeric_limits<qint64>::max();
        const qint64 min = std::numeric_limits<qint64>::min();
        if ((a > 0 && b > 0 && a > max / b) || (a < 0 && b < 0 && a < max / b)
            || (a > 0 && b < 0 && b < min / a) || (a < 0 && b > 0 && a < min / b))
            return false;
    }
    *out = a * b;
    return true;
#endif
}

inline bool checkedAdd(qint64 a, qint64 b, qint64* out)
{
#if defined(__GNUC__) || defined(__clang__)
    return !__builtin_add_overflow(a, b, out);
#else
    if ((b > 0 && a > std::numeric_limits<qint64>::max() - b) || (b < 0 && a < std::numeric_limits<qint64>::min() - b))
        return false;
    *out = a + b;
    return true;
#endif
}

}  // namespace statelens
