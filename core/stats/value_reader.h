// Reads single elements of a tensor exactly as torch holds them, for the GUI's value preview:
// from the memory map, through the view's strides and offset, one element at a time, so showing
// a slice never decodes the whole tensor. Integers stay exact (int64 past 2**53), complex values
// keep both parts, floats and quantized values are widened exactly by ElementDecoder.
#pragma once

#include "core/model/element_decoder.h"

#include "core/base/result.h"
#include "core/model/checkpoint.h"
#include "core/model/tensor_info.h"

#include <QVector>

#include <memory>

namespace statelens {

// One element before any formatting.
struct ElementValue {
    enum class Kind { Real, Signed, Unsigned, Bool, Complex };
    Kind kind = Kind::Real;
    bool single = false;      // Real, Complex: the parts are float32 values (9 digits read them back)
    double real = 0.0;        // Real (floats, dequantized values); Complex: the real part
    double imag = 0.0;        // Complex: the imaginary part
    qint64 integer = 0;       // Signed; Bool: 0 or 1
    quint64 unsignedInteger = 0;
};

class ValueReader {
public:
    // Checks the dtype, the layout, that the file has not shrunk since it was mapped and that
    // every element the view reaches lies in its storage.
    static Result<ValueReader> create(const Checkpoint& checkpoint, const TensorInfo& tensor);

    const QVector<qint64>& shape() const { return m_shape; }
    qint64 numel() const { return m_decoder.numel(); }
    // The element at `coordinate`, one index per dimension ({} for a 0-dim tensor); an error when
    // it lies outside the shape.
    Result<ElementValue> at(const QVector<qint64>& coordinate) const;
    // Empty while the tensor's file still has the size it was mapped with. A file truncated since
    // then would fault on the first read past its new end: callers check before reading a slice.
    QString fileChanged() const;

private:
    ElementDecoder m_decoder;            // floats and quantized values
    std::shared_ptr<MappedFile> m_map;   // the file the storage lies in (null for in-memory maps)
    const uchar* m_base = nullptr;       // first byte of the storage
    DType m_dtype = DType::Unknown;
    int m_itemSize = 1;
    QVector<qint64> m_shape;
    QVector<qint64> m_strides;           // in elements
    qint64 m_offset = 0;                 // storage offset, in elements
    bool m_swap = false;                 // big-endian storage
    bool m_negate = false;               // torch's neg bit
    bool m_conjugate = false;            // torch's conj bit
};

}  // namespace statelens
