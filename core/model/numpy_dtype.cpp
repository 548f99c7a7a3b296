#include "core/model/numpy_dtype.h"

namespace statelens {

NumpyType numpyType(QString code)
{
    NumpyType type;
    if (!code.isEmpty() && QStringLiteral("<>|=").contains(code.front()))
        code.remove(0, 1);
    bool ok = false;
    type.size = code.size() >= 2 ? code.mid(1).toInt(&ok) : 0;
    if (!ok || code.isEmpty())
        return {};
    type.kind = char(code.front().unicode());
    struct Entry { char kind; int size; DType dtype; };
    static constexpr Entry kTypes[] = {
        {'b', 1, DType::Bool},     {'i', 1, DType::Int8},     {'i', 2, DType::Int16},
        {'i', 4, DType::Int32},    {'i', 8, DType::Int64},    {'u', 1, DType::UInt8},
        {'u', 2, DType::UInt16},   {'u', 4, DType::UInt32},   {'u', 8, DType::UInt64},
        {'f', 2, DType::Float16},  {'f', 4, DType::Float32},  {'f', 8, DType::Float64},
        {'c', 8, DType::Complex64}, {'c', 16, DType::Complex128},
    };
    for (const Entry& entry : kTypes) {
        if (entry.kind == type.kind && entry.size == type.size) {
            type.dtype = entry.dtype;
            return type;
        }
    }
    return {};
}

qint64 numpyItemSize(const QString& dtype)
{
    QString code = dtype;
    if (!code.isEmpty() && QStringLiteral("<>|=").contains(code.front()))
        code.remove(0, 1);
    if (code.isEmpty())
        return -1;
    const NumpyType type = numpyType(code);
    if (type.dtype != DType::Unknown)
        return type.size;
    bool ok = false;
    const qint64 count = code.mid(1).section(u'[', 0, 0).toLongLong(&ok);
    switch (code.front().toLatin1()) {
    case 'O': return 8;  // a pointer, as NumPy counts it
    case 'U': return ok ? count * 4 : -1;
    case 'S': case 'a': case 'V': return ok ? count : -1;
    case 'M': case 'm': return 8;
    default: return -1;
    }
}

NumpyType describeNumpyArray(TensorInfo* array, const QString& order, QString code, bool fortranOrder)
{
    array->kind = TensorKind::Array;
    if (!code.isEmpty() && QStringLiteral("<>|=").contains(code.front()))
        code.remove(0, 1);
    if (code.startsWith(u'O'))
        code = QStringLiteral("O");  // pickled as 'O8' (the pointer size); NumPy names it '|O'
    array->numpyDtype = (order == QLatin1String("|") ? order : QStringLiteral("<")) + code;
    array->strides.resize(array->shape.size());
    qint64 step = 1;
    for (qsizetype i = 0; i < array->shape.size(); ++i) {
        const qsizetype dim = fortranOrder ? i : array->shape.size() - 1 - i;
        array->strides[dim] = step;
        step *= qMax<qint64>(array->shape[dim], 1);  // the caller's checkedNumel bounded the product
    }
    return numpyType(code);
}

}  // namespace statelens
