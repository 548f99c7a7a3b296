#include "core/model/dtype.h"

#include <array>

namespace statelens {

namespace {

constexpr std::array<DTypeTraits, static_cast<size_t>(DType::Count)> kTraits = {{
    {DType::Unknown, "unknown", 8, DTypeKind::Bits},
    {DType::Bool, "bool", 8, DTypeKind::Bool},
    {DType::UInt8, "uint8", 8, DTypeKind::Unsigned},
    {DType::Int8, "int8", 8, DTypeKind::Signed},
    {DType::Int16, "int16", 16, DTypeKind::Signed},
    {DType::UInt16, "uint16", 16, DTypeKind::Unsigned},
    {DType::Int32, "int32", 32, DTypeKind::Signed},
    {DType::UInt32, "uint32", 32, DTypeKind::Unsigned},
    {DType::Int64, "int64", 64, DTypeKind::Signed},
    {DType::UInt64, "uint64", 64, DTypeKind::Unsigned},
    {DType::Float16, "float16", 16, DTypeKind::Float},
    {DType::BFloat16, "bfloat16", 16, DTypeKind::Float},
    {DType::Float32, "float32", 32, DTypeKind::Float},
    {DType::Float64, "float64", 64, DTypeKind::Float},
    {DType::Complex32, "complex32", 32, DTypeKind::Complex},
    {DType::Complex64, "complex64", 64, DTypeKind::Complex},
    {DType::Complex128, "complex128", 128, DTypeKind::Complex},
    {DType::Float8_e4m3fn, "float8_e4m3fn", 8, DTypeKind::Float},
    {DType::Float8_e5m2, "float8_e5m2", 8, DTypeKind::Float},
    {DType::Float8_e4m3fnuz, "float8_e4m3fnuz", 8, DTypeKind::Float},
    {DType::Float8_e5m2fnuz, "float8_e5m2fnuz", 8, DTypeKind::Float},
    {DType::Float8_e8m0fnu, "float8_e8m0fnu", 8, DTypeKind::Float},
    {DType::Float4_e2m1fn_x2, "float4_e2m1fn_x2", 8, DTypeKind::Float},
    {DType::Float6_e2m3fn, "float6_e2m3fn", 6, DTypeKind::Float},
    {DType::Float6_e3m2fn, "float6_e3m2fn", 6, DTypeKind::Float},
    {DType::QInt8, "qint8", 8, DTypeKind::Quantized},
    {DType::QUInt8, "quint8", 8, DTypeKind::Quantized},
    {DType::QInt32, "qint32", 32, DTypeKind::Quantized},
    {DType::QUInt4x2, "quint4x2", 8, DTypeKind::Quantized},
    {DType::QUInt2x4, "quint2x4", 8, DTypeKind::Quantized},
    {DType::Bits8, "bits8", 8, DTypeKind::Bits},
    {DType::Bits16, "bits16", 16, DTypeKind::Bits},
    {DType::Bits1x8, "bits1x8", 8, DTypeKind::Bits},
    {DType::Bits2x4, "bits2x4", 8, DTypeKind::Bits},
    {DType::Bits4x2, "bits4x2", 8, DTypeKind::Bits},
    {DType::UInt1, "uint1", 8, DTypeKind::Unsigned},
    {DType::UInt2, "uint2", 8, DTypeKind::Unsigned},
    {DType::UInt3, "uint3", 8, DTypeKind::Unsigned},
    {DType::UInt4, "uint4", 8, DTypeKind::Unsigned},
    {DType::UInt5, "uint5", 8, DTypeKind::Unsigned},
    {DType::UInt6, "uint6", 8, DTypeKind::Unsigned},
    {DType::UInt7, "uint7", 8, DTypeKind::Unsigned},
    {DType::Int1, "int1", 8, DTypeKind::Signed},
    {DType::Int2, "int2", 8, DTypeKind::Signed},
    {DType::Int3, "int3", 8, DTypeKind::Signed},
    {DType::Int4, "int4", 8, DTypeKind::Signed},
    {DType::Int5, "int5", 8, DTypeKind::Signed},
    {DType::Int6, "int6", 8, DTypeKind::Signed},
    {DType::Int7, "int7", 8, DTypeKind::Signed},
}};

}  // namespace

const DTypeTraits& dtypeTraits(DType dtype)
{
    const auto index = static_cast<size_t>(dtype);
    return index < kTraits.size() ? kTraits[index] : kTraits[0];
}

int dtypeItemSize(DType dtype)
{
    const int bits = dtypeTraits(dtype).bits;
    return bits >= 8 ? bits / 8 : 1;
}

DType dtypeFromName(const QString& name)
{
    QStringView view(name);
    if (view.startsWith(u"torch."))
        view = view.mid(6);
    for (const auto& traits : kTraits) {
        if (traits.dtype != DType::Unknown && view == QLatin1String(traits.name))
            return traits.dtype;
    }
    return DType::Unknown;
}

DType dtypeFromStorageClass(const QString& className)
{
    struct Entry { const char* name; DType dtype; };
    static constexpr Entry kStorages[] = {
        {"DoubleStorage", DType::Float64},   {"FloatStorage", DType::Float32},
        {"HalfStorage", DType::Float16},     {"BFloat16Storage", DType::BFloat16},
        {"LongStorage", DType::Int64},       {"IntStorage", DType::Int32},
        {"ShortStorage", DType::Int16},      {"CharStorage", DType::Int8},
        {"ByteStorage", DType::UInt8},       {"BoolStorage", DType::Bool},
        {"ComplexDoubleStorage", DType::Complex128}, {"ComplexFloatStorage", DType::Complex64},
        {"QInt8Storage", DType::QInt8},      {"QUInt8Storage", DType::QUInt8},
        {"QInt32Storage", DType::QInt32},    {"QUInt4x2Storage", DType::QUInt4x2},
        {"QUInt2x4Storage", DType::QUInt2x4}, {"UntypedStorage", DType::UInt8},
        {"TypedStorage", DType::UInt8},
    };
    // torch maps by class name alone, whatever the module (torch.cuda.FloatStorage too).
    const QStringView name = QStringView(className).mid(className.lastIndexOf(u'.') + 1);
    for (const auto& entry : kStorages) {
        if (name == QLatin1String(entry.name))
            return entry.dtype;
    }
    return DType::Unknown;
}

namespace {
struct SafetensorsEntry { const char* code; DType dtype; int bits; };
constexpr SafetensorsEntry kSafetensors[] = {
    {"BOOL", DType::Bool, 8},       {"F4", DType::Float4_e2m1fn_x2, 4},
    {"F6_E2M3", DType::Float6_e2m3fn, 6}, {"F6_E3M2", DType::Float6_e3m2fn, 6},
    {"U8", DType::UInt8, 8},        {"I8", DType::Int8, 8},
    {"F8_E5M2", DType::Float8_e5m2, 8}, {"F8_E4M3", DType::Float8_e4m3fn, 8},
    {"F8_E8M0", DType::Float8_e8m0fnu, 8}, {"F8_E4M3FNUZ", DType::Float8_e4m3fnuz, 8},
    {"F8_E5M2FNUZ", DType::Float8_e5m2fnuz, 8},
    {"I16", DType::Int16, 16},      {"U16", DType::UInt16, 16},
    {"F16", DType::Float16, 16},    {"BF16", DType::BFloat16, 16},
    {"I32", DType::Int32, 32},      {"U32", DType::UInt32, 32},
    {"F32", DType::Float32, 32},    {"C64", DType::Complex64, 64},
    {"F64", DType::Float64, 64},    {"I64", DType::Int64, 64},
    {"U64", DType::UInt64, 64},
};
}  // namespace

DType dtypeFromSafetensors(const QString& code)
{
    for (const auto& entry : kSafetensors) {
        if (code == QLatin1String(entry.code))
            return entry.dtype;
    }
    return DType::Unknown;
}

int safetensorsBits(const QString& code)
{
    for (const auto& entry : kSafetensors) {
        if (code == QLatin1String(entry.code))
            return entry.bits;
    }
    return 0;
}

DType dtypeFromExportScalarType(int value)
{
    // torch/_export/serde/schema.py, class ScalarType (schema 8.20: 33-35 added after 8.17).
    // COMPLEXHALF is complex32. 14-27 are unassigned.
    switch (value) {
    case 1: return DType::UInt8;
    case 2: return DType::Int8;
    case 3: return DType::Int16;
    case 4: return DType::Int32;
    case 5: return DType::Int64;
    case 6: return DType::Float16;
    case 7: return DType::Float32;
    case 8: return DType::Float64;
    case 9: return DType::Complex32;
    case 10: return DType::Complex64;
    case 11: return DType::Complex128;
    case 12: return DType::Bool;
    case 13: return DType::BFloat16;
    case 28: return DType::UInt16;
    case 29: return DType::Float8_e4m3fn;
    case 30: return DType::Float8_e5m2;
    case 31: return DType::Float8_e4m3fnuz;
    case 32: return DType::Float8_e5m2fnuz;
    case 33: return DType::Float8_e8m0fnu;
    case 34: return DType::UInt32;
    case 35: return DType::UInt64;
    default: return DType::Unknown;
    }
}

}  // namespace statelens
