#include "core/model/element_decoder.h"

#include "core/base/byte_order.h"
#include "core/base/checked_math.h"
#include "core/model/narrow_floats.h"

#include <QVarLengthArray>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace statelens {

namespace {

// |re + im i| as torch's vectorised complex abs computes it: sqrt(re^2 + im^2), not hypot (which
// differs in the last bit for a few values in a hundred). The squares are separate statements so
// no compiler fuses them into an FMA, which torch does not use either.
inline double magnitude(double re, double im)
{
    const double re2 = re * re;
    const double im2 = im * im;
    return std::sqrt(re2 + im2);
}

bool precisionOf(DType dtype, Precision* precision)
{
    switch (dtype) {
    case DType::Float32: case DType::Float16: case DType::BFloat16:
    case DType::Float8_e4m3fn: case DType::Float8_e5m2: case DType::Float8_e4m3fnuz:
    case DType::Float8_e5m2fnuz: case DType::Float8_e8m0fnu:
        *precision = Precision::Float32;
        return true;
    case DType::Float64: case DType::Bool:
    case DType::UInt8: case DType::Int8: case DType::Int16: case DType::UInt16:
    case DType::Int32: case DType::UInt32: case DType::Int64: case DType::UInt64:
    case DType::Complex32: case DType::Complex64: case DType::Complex128:
    case DType::QInt8: case DType::QUInt8: case DType::QInt32:
        *precision = Precision::Float64;
        return true;
    default:
        return false;  // packed sub-byte, bits and unknown types
    }
}

// A per-channel quantization parameter tensor (scales or zero points), read whole as doubles.
Result<std::vector<double>> readParameterTensor(const Checkpoint& checkpoint, const TensorInfo& tensor,
                                                const char* what)
{
    auto decoder = ElementDecoder::create(checkpoint, tensor);
    if (!decoder)
        return makeError(decoder.error().code, QStringLiteral("its per-channel %1: %2")
                                                   .arg(QLatin1String(what), decoder.error().message));
    if (decoder->precision() != Precision::Float64 && decoder->precision() != Precision::Float32)
        return makeError(ErrorCode::Unsupported, QStringLiteral("its per-channel %1 have an unusable dtype").arg(QLatin1String(what)));
    std::vector<double> values(size_t(decoder->numel()));
    if (decoder->precision() == Precision::Float64) {
        decoder->decode(0, decoder->numel(), values.data());
    } else {
        std::vector<float> narrow(values.size());
        decoder->decode(0, decoder->numel(), narrow.data());
        std::copy(narrow.begin(), narrow.end(), values.begin());
    }
    return values;
}

}  // namespace

QString ElementDecoder::skipReason(const TensorInfo& tensor)
{
    switch (tensor.layout) {
    case Layout::Strided: break;
    case Layout::Meta: return QStringLiteral("meta tensor: the file holds no values");
    case Layout::Unknown: return QStringLiteral("unknown layout");
    default: return QStringLiteral("%1 tensor: statistics cover dense tensors").arg(layoutName(tensor.layout));
    }
    if (tensor.kind == TensorKind::Array && tensor.storage < 0)
        return QStringLiteral("a NumPy %1 array: statistics cover numbers").arg(tensor.numpyDtype);
    if (tensor.storage < 0)
        return QStringLiteral("the file holds no values for this tensor");
    return {};
}

Result<ElementDecoder> ElementDecoder::create(const Checkpoint& checkpoint, const TensorInfo& tensor)
{
    if (const QString reason = skipReason(tensor); !reason.isEmpty())
        return makeError(ErrorCode::Unsupported, reason);
    ElementDecoder decoder;
    decoder.m_dtype = tensor.dtype;
    if (!precisionOf(tensor.dtype, &decoder.m_precision))
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("statistics of %1 values are not supported").arg(dtypeName(tensor.dtype)));
    if (tensor.storage >= checkpoint.storages.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("the tensor names a storage the file does not have"));
    const StorageInfo& storage = checkpoint.storages[tensor.storage];
    // A problem with the bytes names the file that holds them (one shard of several, or one of
    // the two files a comparison reads): Error::toString() then says "FILE: problem".
    const auto inFile = [&](Error error) {
        if (error.path.isEmpty()) {
            const size_t file = size_t(storage.file);
            error.path = file < checkpoint.files.size() && checkpoint.files[file].map ? checkpoint.files[file].map->path()
                                                                                   : checkpoint.path;
        }
        return error;
    };
    auto bytes = checkpoint.storageBytes(tensor.storage);
    if (!bytes)
        return inFile(bytes.error());
    decoder.m_itemSize = dtypeItemSize(tensor.dtype);
    decoder.m_base = reinterpret_cast<const uchar*>(bytes->data());
    decoder.m_shape = tensor.shape;
    decoder.m_strides = tensor.strides.size() == tensor.shape.size() ? tensor.strides : contiguousStrides(tensor.shape);
    decoder.m_offset = tensor.storageOffset;
    decoder.m_swap = storage.bigEndian && decoder.m_itemSize > 1;
    decoder.m_negate = tensor.neg;
    if (!checkedNumel(tensor.shape, &decoder.m_numel))
        return makeError(ErrorCode::Corrupt, QStringLiteral("the tensor's shape overflows"));
    if (std::any_of(decoder.m_strides.begin(), decoder.m_strides.end(), [](qint64 s) { return s < 0; })
        || decoder.m_offset < 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("the tensor has a negative stride or offset"));
    if (decoder.m_numel > 0) {
        qint64 extent = 0, needed = 0;
        if (!checkedExtent(decoder.m_shape, decoder.m_strides, decoder.m_offset, &extent)
            || !checkedMul(extent + 1, qint64(decoder.m_itemSize), &needed))
            return inFile(makeError(ErrorCode::Corrupt, QStringLiteral("the tensor's strides overflow")));
        if (needed > bytes->size())
            return inFile(makeError(ErrorCode::Corrupt,
                                    QStringLiteral("the tensor reaches byte %1 of storage %2, which holds %3 bytes")
                                        .arg(needed).arg(storage.key).arg(bytes->size())));
    }
    decoder.m_contiguous = tensor.isContiguous();
    decoder.m_float8 = float8Table(tensor.dtype);

    const QuantizationInfo& q = tensor.quantization;
    if (dtypeTraits(tensor.dtype).kind == DTypeKind::Quantized) {
        switch (q.scheme) {
        case QScheme::PerTensorAffine: case QScheme::PerTensorSymmetric:
            decoder.m_scale = q.scale;
            decoder.m_zeroPoint = q.zeroPoint;
            break;
        case QScheme::PerChannelAffine: case QScheme::PerChannelSymmetric:
        case QScheme::PerChannelAffineFloatQParams: {
            if (!q.scales || !q.zeroPoints || q.axis < 0 || q.axis >= tensor.shape.size())
                return makeError(ErrorCode::Corrupt, QStringLiteral("per-channel quantization without its scales or axis"));
            auto scales = readParameterTensor(checkpoint, *q.scales, "scales");
            if (!scales)
                return scales.error();
            auto zeroPoints = readParameterTensor(checkpoint, *q.zeroPoints, "zero points");
            if (!zeroPoints)
                return zeroPoints.error();
            const qint64 channels = tensor.shape[int(q.axis)];
            if (qint64(scales->size()) != channels || qint64(zeroPoints->size()) != channels)
                return makeError(ErrorCode::Corrupt, QStringLiteral("per-channel quantization parameters do not match the axis length"));
            decoder.m_axis = int(q.axis);
            for (int d = decoder.m_axis + 1; d < tensor.shape.size(); ++d)
                decoder.m_axisInner *= tensor.shape[d];
            decoder.m_scales = std::move(scales.value());
            decoder.m_zeroPoints = std::move(zeroPoints.value());
            break;
        }
        case QScheme::None:
            return makeError(ErrorCode::Corrupt, QStringLiteral("quantized tensor without a quantization scheme"));
        }
    }
    return decoder;
}

const void* ElementDecoder::direct(qint64 begin) const
{
    if (!m_contiguous || m_swap || m_negate || (m_dtype != DType::Float32 && m_dtype != DType::Float64))
        return nullptr;
    const uchar* first = m_base + (m_offset + begin) * m_itemSize;
    // Legacy and safetensors files may place values at any byte: those are copied through the
    // decoder, since reading a float at a misaligned address is undefined behaviour.
    if (quintptr(first) % quintptr(m_itemSize) != 0)
        return nullptr;
    return first;
}

QByteArrayView ElementDecoder::span(qint64 begin, qint64 count) const
{
    if (!m_contiguous)
        return {};
    return QByteArrayView(reinterpret_cast<const char*>(m_base + (m_offset + begin) * m_itemSize),
                          count * m_itemSize);
}

double ElementDecoder::dequantize(qint64 raw, qint64 logical) const
{
    if (m_axis < 0)
        return (double(raw) - double(m_zeroPoint)) * m_scale;
    const size_t channel = size_t((logical / m_axisInner) % m_shape[m_axis]);
    return (double(raw) - m_zeroPoints[channel]) * m_scales[channel];
}

template <typename Out>
void ElementDecoder::decodeRow(const uchar* p, qint64 stride, qint64 logical, qint64 n, Out* out) const
{
    const bool swap = m_swap;
    auto each = [&](auto value) {
        for (qint64 i = 0; i < n; ++i, p += stride)
            out[i] = Out(value(p, logical + i));
    };
    switch (m_dtype) {
    case DType::Float32: each([&](const uchar* q, qint64) { return loadScalar<float>(q, swap); }); break;
    case DType::Float64: each([&](const uchar* q, qint64) { return loadScalar<double>(q, swap); }); break;
    case DType::Float16: each([&](const uchar* q, qint64) { return halfToFloat(loadScalar<uint16_t>(q, swap)); }); break;
    case DType::BFloat16: each([&](const uchar* q, qint64) { return bfloat16ToFloat(loadScalar<uint16_t>(q, swap)); }); break;
    case DType::Float8_e4m3fn: case DType::Float8_e5m2: case DType::Float8_e4m3fnuz:
    case DType::Float8_e5m2fnuz: case DType::Float8_e8m0fnu:
        each([&](const uchar* q, qint64) { return m_float8[*q]; });
        break;
    case DType::Bool: each([](const uchar* q, qint64) { return *q ? 1.0 : 0.0; }); break;
    case DType::UInt8: each([](const uchar* q, qint64) { return double(*q); }); break;
    case DType::Int8: each([](const uchar* q, qint64) { return double(int8_t(*q)); }); break;
    case DType::Int16: each([&](const uchar* q, qint64) { return double(loadScalar<int16_t>(q, swap)); }); break;
    case DType::UInt16: each([&](const uchar* q, qint64) { return double(loadScalar<uint16_t>(q, swap)); }); break;
    case DType::Int32: each([&](const uchar* q, qint64) { return double(loadScalar<int32_t>(q, swap)); }); break;
    case DType::UInt32: each([&](const uchar* q, qint64) { return double(loadScalar<uint32_t>(q, swap)); }); break;
    case DType::Int64: each([&](const uchar* q, qint64) { return double(loadScalar<int64_t>(q, swap)); }); break;
    case DType::UInt64: each([&](const uchar* q, qint64) { return double(loadScalar<uint64_t>(q, swap)); }); break;
    // Complex values by magnitude, as torch.abs on complex128; each component swaps on its own.
    case DType::Complex32:
        each([&](const uchar* q, qint64) {
            return magnitude(halfToFloat(loadScalar<uint16_t>(q, swap)), halfToFloat(loadScalar<uint16_t>(q + 2, swap)));
        });
        break;
    case DType::Complex64:
        each([&](const uchar* q, qint64) { return magnitude(loadScalar<float>(q, swap), loadScalar<float>(q + 4, swap)); });
        break;
    case DType::Complex128:
        each([&](const uchar* q, qint64) { return magnitude(loadScalar<double>(q, swap), loadScalar<double>(q + 8, swap)); });
        break;
    case DType::QInt8: each([&](const uchar* q, qint64 i) { return dequantize(int8_t(*q), i); }); break;
    case DType::QUInt8: each([&](const uchar* q, qint64 i) { return dequantize(*q, i); }); break;
    case DType::QInt32: each([&](const uchar* q, qint64 i) { return dequantize(loadScalar<int32_t>(q, swap), i); }); break;
    default:
        std::fill(out, out + n, Out(std::nan("")));  // create() refuses these dtypes
        break;
    }
    if (m_negate && dtypeTraits(m_dtype).kind != DTypeKind::Complex) {
        for (qint64 i = 0; i < n; ++i)
            out[i] = -out[i];
    }
}

template <typename Out>
void ElementDecoder::decodeAll(qint64 begin, qint64 count, Out* out) const
{
    const int dims = int(m_shape.size());
    if (count <= 0)
        return;
    if (m_contiguous || dims == 0) {
        decodeRow(m_base + (m_offset + begin) * m_itemSize, m_itemSize, begin, count, out);
        return;
    }
    // A view: walk it row by row (the last dimension), carrying coordinates like an odometer.
    QVarLengthArray<qint64, 8> coordinate(dims);
    qint64 rest = begin;
    for (int d = dims - 1; d >= 0; --d) {
        coordinate[d] = rest % m_shape[d];
        rest /= m_shape[d];
    }
    const qint64 rowLength = m_shape[dims - 1];
    const qint64 rowStrideBytes = m_strides[dims - 1] * m_itemSize;
    qint64 logical = begin;
    while (count > 0) {
        qint64 element = m_offset;
        for (int d = 0; d < dims; ++d)
            element += coordinate[d] * m_strides[d];
        const qint64 run = std::min(count, rowLength - coordinate[dims - 1]);
        decodeRow(m_base + element * m_itemSize, rowStrideBytes, logical, run, out);
        out += run;
        count -= run;
        logical += run;
        coordinate[dims - 1] = 0;
        for (int d = dims - 2; d >= 0; --d) {
            if (++coordinate[d] < m_shape[d])
                break;
            coordinate[d] = 0;
        }
    }
}

void ElementDecoder::decode(qint64 begin, qint64 count, void* out) const
{
    if (m_precision == Precision::Float32)
        decodeAll(begin, count, static_cast<float*>(out));
    else
        decodeAll(begin, count, static_cast<double*>(out));
}

}  // namespace statelens
