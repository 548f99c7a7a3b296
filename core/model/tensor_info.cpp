#include "core/model/tensor_info.h"

#include "core/model/numpy_dtype.h"

#include "core/base/checked_math.h"

namespace statelens {

namespace {

struct LayoutEntry { Layout layout; const char* name; };
constexpr LayoutEntry kLayouts[] = {
    {Layout::Strided, "strided"},       {Layout::SparseCoo, "sparse_coo"}, {Layout::SparseCsr, "sparse_csr"},
    {Layout::SparseCsc, "sparse_csc"},  {Layout::SparseBsr, "sparse_bsr"}, {Layout::SparseBsc, "sparse_bsc"},
    {Layout::Meta, "meta"},
};

}  // namespace

QString tensorKindName(TensorKind kind)
{
    return kind == TensorKind::Array ? QStringLiteral("array") : QStringLiteral("tensor");
}

QString tensorOriginName(TensorOrigin origin)
{
    return origin == TensorOrigin::Attribute ? QStringLiteral("attribute") : QStringLiteral("state");
}

QString layoutName(Layout layout)
{
    for (const LayoutEntry& entry : kLayouts) {
        if (entry.layout == layout)
            return QLatin1String(entry.name);
    }
    return QStringLiteral("unknown");
}

Layout layoutFromTorchName(const QString& name)
{
    QStringView view(name);
    if (view.startsWith(u"torch."))
        view = view.mid(6);
    for (const LayoutEntry& entry : kLayouts) {
        if (view == QLatin1String(entry.name))
            return entry.layout;
    }
    return Layout::Unknown;  // torch._mkldnn, torch.jagged, or not a layout at all
}

QString qschemeName(QScheme scheme)
{
    switch (scheme) {
    case QScheme::None: return QStringLiteral("none");
    case QScheme::PerTensorAffine: return QStringLiteral("per_tensor_affine");
    case QScheme::PerTensorSymmetric: return QStringLiteral("per_tensor_symmetric");
    case QScheme::PerChannelAffine: return QStringLiteral("per_channel_affine");
    case QScheme::PerChannelSymmetric: return QStringLiteral("per_channel_symmetric");
    case QScheme::PerChannelAffineFloatQParams: return QStringLiteral("per_channel_affine_float_qparams");
    }
    return QStringLiteral("unknown");
}

// Readers validate shapes before they build a TensorInfo; an invalid shape that slips through
// counts as empty rather than overflowing the totals that add these up.
qint64 TensorInfo::numel() const
{
    qint64 count = 0;
    return checkedNumel(shape, &count) ? count : 0;
}

qint64 TensorInfo::nbytes() const
{
    const qint64 count = numel();
    qint64 bytes = 0;
    // Arrays nothing here computes on (strings, objects): NumPy's own element size.
    if (kind == TensorKind::Array && dtype == DType::Unknown) {
        const qint64 itemSize = numpyItemSize(numpyDtype);
        return itemSize > 0 && checkedMul(count, itemSize, &bytes) ? bytes : 0;
    }
    const int bits = dtypeTraits(dtype).bits;
    if (bits % 8 == 0)
        return checkedMul(count, bits / 8, &bytes) ? bytes : 0;
    // Elements narrower than a byte and not packed in byte-sized units (safetensors F6): round up.
    qint64 totalBits = 0;
    if (!checkedMul(count, bits, &totalBits) || !checkedAdd(totalBits, 7, &totalBits))
        return 0;
    return totalBits / 8;
}

bool TensorInfo::isContiguous() const
{
    if (layout != Layout::Strided || strides.size() != shape.size())
        return false;
    if (numel() == 0)
        return true;
    // Like torch: a dimension of size 1 may carry any stride.
    qint64 expected = 1;
    for (qsizetype i = shape.size() - 1; i >= 0; --i) {
        if (shape[i] == 1)
            continue;
        if (strides[i] != expected)
            return false;
        if (!checkedMul(expected, shape[i], &expected))
            return false;
    }
    return true;
}

bool checkedNumel(const QVector<qint64>& shape, qint64* numel)
{
    bool empty = false;
    for (qint64 dim : shape) {
        if (dim < 0)
            return false;
        empty = empty || dim == 0;
    }
    if (empty) {  // a zero dimension makes any product of the others irrelevant
        *numel = 0;
        return true;
    }
    qint64 product = 1;
    for (qint64 dim : shape) {
        if (!checkedMul(product, dim, &product))
            return false;
    }
    *numel = product;
    return true;
}

bool checkedExtent(const QVector<qint64>& shape, const QVector<qint64>& strides, qint64 offset, qint64* extent)
{
    qint64 numel = 0;
    if (shape.size() != strides.size() || offset < 0 || !checkedNumel(shape, &numel))
        return false;
    if (numel == 0) {
        *extent = 0;
        return true;
    }
    // Negative strides would reach before the offset; torch never writes them, so refuse them
    // rather than let a caller bound only the upper end.
    qint64 last = offset;
    for (qsizetype i = 0; i < shape.size(); ++i) {
        qint64 reach = 0;
        if (strides[i] < 0 || !checkedMul(shape[i] - 1, strides[i], &reach) || !checkedAdd(last, reach, &last))
            return false;
    }
    *extent = last;
    return true;
}

QVector<qint64> contiguousStrides(const QVector<qint64>& shape)
{
    // Row-major, with zero-sized dimensions counted as 1 (as torch does). A shape whose product
    // overflows fails checkedNumel; its outer strides are left 0 here instead of wrapping.
    QVector<qint64> strides(shape.size(), 0);
    qint64 stride = 1;
    for (qsizetype i = shape.size() - 1; i >= 0; --i) {
        strides[i] = stride;
        if (!checkedMul(stride, qMax<qint64>(shape[i], 1), &stride))
            break;
    }
    return strides;
}

}  // namespace statelens
