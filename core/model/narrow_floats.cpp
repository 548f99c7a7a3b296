#include "core/model/narrow_floats.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace statelens {

float halfToFloat(uint16_t bits)
{
    const uint32_t sign = uint32_t(bits & 0x8000u) << 16;
    const uint32_t exponent = (bits >> 10) & 0x1Fu;
    const uint32_t mantissa = bits & 0x3FFu;
    float magnitude;
    if (exponent == 0x1F) {
        magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    } else if (exponent == 0) {
        magnitude = std::ldexp(float(mantissa), -24);  // subnormal (or zero): mantissa * 2^-24
    } else {
        const uint32_t widened = ((exponent + 112u) << 23) | (mantissa << 13);
        std::memcpy(&magnitude, &widened, sizeof(magnitude));
    }
    uint32_t result;
    std::memcpy(&result, &magnitude, sizeof(result));
    result |= sign;
    float value;
    std::memcpy(&value, &result, sizeof(value));
    return value;
}

float bfloat16ToFloat(uint16_t bits)
{
    const uint32_t widened = uint32_t(bits) << 16;  // bfloat16 is the top half of a float32
    float value;
    std::memcpy(&value, &widened, sizeof(value));
    return value;
}

namespace {

struct Float8Format {
    int exponentBits;
    int mantissaBits;
    int bias;
    bool ieeeSpecials;  // all-ones exponent is Inf/NaN (e5m2)
    bool fnuz;          // no negative zero: code 0x80 is the only NaN (the *fnuz types)
    bool allOnesNan;    // only S.1111.111 is NaN, no infinities (e4m3fn)
};

float decodeFloat8(const Float8Format& f, uint8_t code)
{
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (f.fnuz && code == 0x80)
        return nan;
    const bool negative = code & 0x80;
    const int exponent = (code >> f.mantissaBits) & ((1 << f.exponentBits) - 1);
    const int mantissa = code & ((1 << f.mantissaBits) - 1);
    const int maxExponent = (1 << f.exponentBits) - 1;
    float magnitude;
    if (f.ieeeSpecials && exponent == maxExponent) {
        magnitude = mantissa ? nan : std::numeric_limits<float>::infinity();
    } else if (f.allOnesNan && exponent == maxExponent && mantissa == (1 << f.mantissaBits) - 1) {
        magnitude = nan;
    } else if (exponent == 0) {
        magnitude = std::ldexp(float(mantissa), 1 - f.bias - f.mantissaBits);
    } else {
        magnitude = std::ldexp(float((1 << f.mantissaBits) | mantissa), exponent - f.bias - f.mantissaBits);
    }
    return negative ? -magnitude : magnitude;
}

using Table = std::array<float, 256>;

Table makeTable(const Float8Format& format)
{
    Table table{};
    for (int code = 0; code < 256; ++code)
        table[size_t(code)] = decodeFloat8(format, uint8_t(code));
    return table;
}

Table makeE8M0Table()
{
    // float8_e8m0fnu: an unsigned power of two 2^(code - 127); 0xFF is NaN, there is no zero.
    Table table{};
    for (int code = 0; code < 255; ++code)
        table[size_t(code)] = std::ldexp(1.0f, code - 127);
    table[255] = std::numeric_limits<float>::quiet_NaN();
    return table;
}

}  // namespace

const float* float8Table(DType dtype)
{
    static const Table e4m3fn = makeTable({4, 3, 7, false, false, true});
    static const Table e5m2 = makeTable({5, 2, 15, true, false, false});
    static const Table e4m3fnuz = makeTable({4, 3, 8, false, true, false});
    static const Table e5m2fnuz = makeTable({5, 2, 16, false, true, false});
    static const Table e8m0 = makeE8M0Table();
    switch (dtype) {
    case DType::Float8_e4m3fn: return e4m3fn.data();
    case DType::Float8_e5m2: return e5m2.data();
    case DType::Float8_e4m3fnuz: return e4m3fnuz.data();
    case DType::Float8_e5m2fnuz: return e5m2fnuz.data();
    case DType::Float8_e8m0fnu: return e8m0.data();
    default: return nullptr;
    }
}

}  // namespace statelens
