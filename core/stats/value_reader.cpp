#include "core/stats/value_reader.h"

#include "core/base/byte_order.h"
#include "core/model/narrow_floats.h"

#include <algorithm>
#include <cstring>

namespace statelens {

namespace {

// The dtypes a value preview reads: every one statistics decode (packed sub-byte and bits types
// have no single element to point at).
bool readable(DType dtype)
{
    switch (dtype) {
    case DType::Bool:
    case DType::UInt8: case DType::Int8: case DType::Int16: case DType::UInt16:
    case DType::Int32: case DType::UInt32: case DType::Int64: case DType::UInt64:
    case DType::Float16: case DType::BFloat16: case DType::Float32: case DType::Float64:
    case DType::Complex32: case DType::Complex64: case DType::Complex128:
    case DType::Float8_e4m3fn: case DType::Float8_e5m2: case DType::Float8_e4m3fnuz:
    case DType::Float8_e5m2fnuz: case DType::Float8_e8m0fnu:
    case DType::QInt8: case DType::QUInt8: case DType::QInt32:
        return true;
    default:
        return false;
    }
}

}  // namespace

Result<ValueReader> ValueReader::create(const Checkpoint& checkpoint, const TensorInfo& tensor)
{
    // Said here rather than through ElementDecoder::skipReason, whose words are about statistics.
    if (tensor.layout == Layout::Meta)
        return makeError(ErrorCode::Unsupported, QStringLiteral("meta tensor: the file holds no values"));
    if (tensor.layout != Layout::Strided)
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("%1 tensor: values are shown for dense tensors").arg(layoutName(tensor.layout)));
    if (tensor.storage < 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("the file holds no values for this tensor"));
    if (!readable(tensor.dtype))
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1 values are not shown").arg(dtypeName(tensor.dtype)));
    if (tensor.storage >= checkpoint.storages.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("the tensor names a storage the file does not have"));
    const StorageInfo& storage = checkpoint.storages[tensor.storage];
    ValueReader reader;
    if (storage.file >= 0 && size_t(storage.file) < checkpoint.files.size())
        reader.m_map = checkpoint.files[size_t(storage.file)].map;
    // Before anything touches the map: finding a zip record's bytes reads its local header.
    if (const QString changed = reader.fileChanged(); !changed.isEmpty())
        return makeError(ErrorCode::Io, changed);
    // The decoder checks the storage, the geometry against the storage's bytes and the
    // quantization parameters; everything read below stays inside what it checked.
    auto decoder = ElementDecoder::create(checkpoint, tensor);
    if (!decoder)
        return decoder.error();
    auto bytes = checkpoint.storageBytes(tensor.storage);
    if (!bytes)
        return bytes.error();
    reader.m_decoder = std::move(decoder.value());
    reader.m_base = reinterpret_cast<const uchar*>(bytes->data());
    reader.m_dtype = tensor.dtype;
    reader.m_itemSize = dtypeItemSize(tensor.dtype);
    reader.m_shape = tensor.shape;
    reader.m_strides = tensor.strides.size() == tensor.shape.size() ? tensor.strides : contiguousStrides(tensor.shape);
    reader.m_offset = tensor.storageOffset;
    reader.m_swap = storage.bigEndian && reader.m_itemSize > 1;
    reader.m_negate = tensor.neg;
    reader.m_conjugate = tensor.conj;
    return reader;
}

QString ValueReader::fileChanged() const
{
    if (m_map && m_map->changedOnDisk())
        return QStringLiteral("%1: %2").arg(m_map->path(), m_map->changedError().message);
    const qint64 now = m_map ? m_map->sizeOnDisk() : -1;
    if (now >= 0 && now < m_map->size())
        return QStringLiteral("%1 shrank from %2 to %3 bytes since it was opened; reopen it")
            .arg(m_map->path()).arg(m_map->size()).arg(now);
    return {};
}

Result<ElementValue> ValueReader::at(const QVector<qint64>& coordinate) const
{
    if (coordinate.size() != m_shape.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1 indices for a %2-dimensional tensor")
                                                 .arg(coordinate.size()).arg(m_shape.size()));
    // The row-major position (what the decoder counts in) and the storage element (what the raw
    // reads below address). create() proved every in-shape coordinate lands inside the storage.
    qint64 logical = 0, element = m_offset;
    for (int d = 0; d < m_shape.size(); ++d) {
        if (coordinate[d] < 0 || coordinate[d] >= m_shape[d])
            return makeError(ErrorCode::Corrupt, QStringLiteral("index %1 is outside dimension %2 of size %3")
                                                     .arg(coordinate[d]).arg(d).arg(m_shape[d]));
        logical = logical * m_shape[d] + coordinate[d];
        element += coordinate[d] * m_strides[d];
    }
    const uchar* p = m_base + element * m_itemSize;
    const bool swap = m_swap;
    ElementValue v;
    auto signedValue = [&](qint64 raw) {
        v.kind = ElementValue::Kind::Signed;
        // Through unsigned arithmetic: negating INT64_MIN must wrap as torch's does, not be UB.
        v.integer = m_negate ? qint64(quint64(0) - quint64(raw)) : raw;
    };
    auto unsignedValue = [&](quint64 raw) {
        v.kind = ElementValue::Kind::Unsigned;
        v.unsignedInteger = raw;
    };
    auto complexValue = [&](double re, double im, bool single) {
        v.kind = ElementValue::Kind::Complex;
        v.single = single;
        v.real = m_negate ? -re : re;
        v.imag = (m_negate != m_conjugate) ? -im : im;
    };
    switch (m_dtype) {
    case DType::Bool:
        v.kind = ElementValue::Kind::Bool;
        v.integer = *p != 0 ? 1 : 0;
        break;
    case DType::Int8: signedValue(int8_t(*p)); break;
    case DType::Int16: signedValue(loadScalar<int16_t>(p, swap)); break;
    case DType::Int32: signedValue(loadScalar<int32_t>(p, swap)); break;
    case DType::Int64: signedValue(loadScalar<int64_t>(p, swap)); break;
    case DType::UInt8: unsignedValue(*p); break;
    case DType::UInt16: unsignedValue(loadScalar<uint16_t>(p, swap)); break;
    case DType::UInt32: unsignedValue(loadScalar<uint32_t>(p, swap)); break;
    case DType::UInt64: unsignedValue(loadScalar<uint64_t>(p, swap)); break;
    // Each part of a complex value swaps on its own.
    case DType::Complex32:
        complexValue(halfToFloat(loadScalar<uint16_t>(p, swap)), halfToFloat(loadScalar<uint16_t>(p + 2, swap)), true);
        break;
    case DType::Complex64: complexValue(loadScalar<float>(p, swap), loadScalar<float>(p + 4, swap), true); break;
    case DType::Complex128: complexValue(loadScalar<double>(p, swap), loadScalar<double>(p + 8, swap), false); break;
    default:
        // Floats and quantized values: the decoder widens exactly and applies the neg bit.
        if (m_decoder.precision() == Precision::Float32) {
            float value = 0.0f;
            m_decoder.decode(logical, 1, &value);
            v.real = value;
            v.single = true;
        } else {
            m_decoder.decode(logical, 1, &v.real);
        }
        break;
    }
    return v;
}

}  // namespace statelens
