// Reads a tensor's logical values out of its mapped storage bytes, in row-major order, widened
// exactly to the precision its statistics are computed in. Views are read through their
// strides and offset; big-endian storages are swapped; quantized values are dequantized.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"
#include "core/model/tensor_info.h"

#include <QByteArrayView>

#include <vector>

namespace statelens {

// float32, float16, bfloat16 and float8 values are exact in float (and torch bins float32 in
// float); everything else (float64, integers, bool, complex magnitudes, dequantized values) in double.
enum class Precision { Float32, Float64 };

class ElementDecoder {
public:
    // Why a tensor has no statistics at all (sparse, meta, no storage); empty when it has.
    static QString skipReason(const TensorInfo& tensor);
    // Checks the dtype and that every element the view reaches lies inside its storage.
    static Result<ElementDecoder> create(const Checkpoint& checkpoint, const TensorInfo& tensor);

    Precision precision() const { return m_precision; }
    qint64 numel() const { return m_numel; }
    // The values [begin, begin + count) in place when the storage already holds them in the
    // computing precision (contiguous, aligned, native float32/float64): no copy. nullptr otherwise.
    const void* direct(qint64 begin) const;
    // Writes values [begin, begin + count) to `out`: float* for Float32, double* for Float64.
    void decode(qint64 begin, qint64 count, void* out) const;
    // The bytes values [begin, begin + count) occupy in storage order (contiguous tensors), for
    // read-ahead and release hints; empty for strided views.
    QByteArrayView span(qint64 begin, qint64 count) const;

private:
    template <typename Out> void decodeRow(const uchar* first, qint64 strideBytes, qint64 logical,
                                           qint64 count, Out* out) const;
    template <typename Out> void decodeAll(qint64 begin, qint64 count, Out* out) const;
    double dequantize(qint64 raw, qint64 logical) const;

    const uchar* m_base = nullptr;  // first byte of the storage
    DType m_dtype = DType::Unknown;
    int m_itemSize = 1;
    Precision m_precision = Precision::Float64;
    qint64 m_numel = 0;
    qint64 m_offset = 0;            // storage offset, in elements
    QVector<qint64> m_shape;
    QVector<qint64> m_strides;
    bool m_contiguous = true;
    bool m_swap = false;            // big-endian storage
    bool m_negate = false;          // torch's neg bit
    // Quantization: per tensor, or per channel along m_axis (one scale / zero point per index).
    double m_scale = 1.0;
    qint64 m_zeroPoint = 0;
    int m_axis = -1;
    qint64 m_axisInner = 1;         // elements per step along the axis
    std::vector<double> m_scales;
    std::vector<double> m_zeroPoints;
    const float* m_float8 = nullptr;
};

}  // namespace statelens
