// What the file says about one tensor: geometry, dtype, where its bytes live.
#pragma once

#include "core/model/dtype.h"

#include <QString>
#include <QVector>

#include <memory>

namespace statelens {

enum class Layout { Strided, SparseCoo, SparseCsr, SparseCsc, SparseBsr, SparseBsc, Meta, Unknown };
QString layoutName(Layout layout);  // "strided", "sparse_coo", ...
Layout layoutFromTorchName(const QString& name);  // "torch.sparse_coo" -> SparseCoo

enum class QScheme { None, PerTensorAffine, PerTensorSymmetric, PerChannelAffine, PerChannelSymmetric,
                     PerChannelAffineFloatQParams };
QString qschemeName(QScheme scheme);

// One storage record: a run of bytes in one of the checkpoint's files.
struct StorageInfo {
    QString key;            // the persistent-id key ("0"), or the safetensors tensor name
    QString record;         // archive record name ("data/0"), empty when not in an archive
    DType dtype = DType::UInt8;  // element type of the storage class
    qint64 nbytes = 0;
    QString location;       // device recorded at save time ("cpu", "cuda:0")
    int file = 0;           // index into Checkpoint::files()
    qint64 fileOffset = -1; // byte offset of the first byte in that file; -1 for zip records
    qint64 zipEntry = -1;   // zip record holding the bytes (its file's RecordOffsets finds them), -1 when none
    qint64 recordOffset = 0;  // where in that record the bytes start (after a .npy header)
    bool deflated = false;    // the record is compressed (.npz from savez_compressed): inflated when read
    bool bigEndian = false; // bytes are in big-endian order (zip byteorder record, a '>' NumPy dtype)
    // Bytes that live inside the pickle (a NumPy array's data), decoded from it: shared with the
    // pickle value, never copied again. `file` and `fileOffset` do not apply then.
    QByteArray inlineBytes;
    bool isInline = false;
};

struct TensorInfo;

struct QuantizationInfo {
    QScheme scheme = QScheme::None;
    double scale = 0.0;
    qint64 zeroPoint = 0;
    qint64 axis = -1;
    // Per-channel schemes store scales and zero points as tensors.
    std::shared_ptr<TensorInfo> scales;
    std::shared_ptr<TensorInfo> zeroPoints;
};

// Where a listed tensor sits: in a state dict (or a plain container), or held by a pickled module
// outside its state_dict() (a plain attribute, a non-persistent buffer). The contract's names:
// "state", "attribute".
enum class TensorOrigin { State, Attribute };
QString tensorOriginName(TensorOrigin origin);

// What a listed entry is: a torch tensor, or a NumPy array pickled inside the file (whose bytes
// live in the pickle). The contract's names: "tensor", "array".
enum class TensorKind { Tensor, Array };
QString tensorKindName(TensorKind kind);

struct TensorInfo {
    QString name;                 // dotted path from the root object
    DType dtype = DType::Unknown;
    QVector<qint64> shape;
    QVector<qint64> strides;      // in elements
    qint64 storageOffset = 0;     // in elements
    int storage = -1;             // index into Checkpoint::storages(); -1 when the tensor has none
    Layout layout = Layout::Strided;
    QString device = QStringLiteral("cpu");  // device recorded in the file
    bool requiresGrad = false;
    bool isParameter = false;     // pickled as nn.Parameter
    QString subclass;             // tensor subclass named by _rebuild_from_type_v2, if any
    bool conj = false, neg = false;  // conj / neg bits from the rebuild metadata
    QuantizationInfo quantization;
    // Sparse tensors: their component tensors (indices, values; crow/col indices, values).
    QVector<std::shared_ptr<TensorInfo>> components;
    int viewOf = -1;              // index (in the listing) of the first tensor over the same storage
    TensorOrigin origin = TensorOrigin::State;
    TensorKind kind = TensorKind::Tensor;
    // Arrays: NumPy's own dtype string ("<f4", ">i8", "|b1", "<U5", "|O"); dtype is Unknown, and
    // the array has no storage, for the kinds nothing here computes on (strings, objects, records).
    QString numpyDtype;

    qint64 numel() const;         // product of shape, 1 for 0-dim
    qint64 nbytes() const;        // numel * element size (packed dtypes rounded up)
    bool isContiguous() const;
};

// Checked product of a shape; false on overflow or negative dimensions.
bool checkedNumel(const QVector<qint64>& shape, qint64* numel);
// Last element index reached (offset + sum((size-1)*stride)), false on overflow. numel 0 -> *extent = 0.
bool checkedExtent(const QVector<qint64>& shape, const QVector<qint64>& strides, qint64 offset, qint64* extent);
QVector<qint64> contiguousStrides(const QVector<qint64>& shape);

}  // namespace statelens
