// Every torch dtype, with the facts readers and statistics need about it.
#pragma once

#include <QString>

namespace statelens {

enum class DType : unsigned char {
    Unknown,
    Bool,
    UInt8, Int8, Int16, UInt16, Int32, UInt32, Int64, UInt64,
    Float16, BFloat16, Float32, Float64,
    Complex32, Complex64, Complex128,
    Float8_e4m3fn, Float8_e5m2, Float8_e4m3fnuz, Float8_e5m2fnuz, Float8_e8m0fnu,
    Float4_e2m1fn_x2, Float6_e2m3fn, Float6_e3m2fn,  // the last two: safetensors F6_* only
    QInt8, QUInt8, QInt32, QUInt4x2, QUInt2x4,
    Bits8, Bits16, Bits1x8, Bits2x4, Bits4x2,
    UInt1, UInt2, UInt3, UInt4, UInt5, UInt6, UInt7,
    Int1, Int2, Int3, Int4, Int5, Int6, Int7,
    Count
};

enum class DTypeKind { Bool, Unsigned, Signed, Float, Complex, Quantized, Bits };

struct DTypeTraits {
    DType dtype;
    const char* name;          // torch's name without "torch." ("float32")
    int bits;                  // bits per stored element (packed types: bits per byte-sized unit / values)
    DTypeKind kind;
};

const DTypeTraits& dtypeTraits(DType dtype);
inline QString dtypeName(DType dtype) { return QString::fromLatin1(dtypeTraits(dtype).name); }
// Bytes one element occupies in a storage, as torch's element_size() (1 for packed sub-byte types).
int dtypeItemSize(DType dtype);

// "float32" or "torch.float32" -> Float32; Unknown when not a torch dtype name.
DType dtypeFromName(const QString& name);
// Legacy storage class name ("FloatStorage", any module) -> element dtype; Unknown when not one.
// "UntypedStorage" gives UInt8 (its numel counts bytes).
DType dtypeFromStorageClass(const QString& className);
// safetensors dtype string ("F32", "BF16", "F8_E4M3") -> dtype; Unknown when not in the spec.
DType dtypeFromSafetensors(const QString& code);
// Bits per *logical* element in safetensors (F4 = 4, F6_* = 6), 0 when unknown.
int safetensorsBits(const QString& code);
// torch.export schema ScalarType enum value -> dtype.
DType dtypeFromExportScalarType(int value);

}  // namespace statelens
