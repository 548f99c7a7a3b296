#include "core/export/pickle_writer.h"

#include <QtEndian>

namespace statelens {

QString torchStorageClass(DType dtype)
{
    switch (dtype) {
    case DType::Float32: return QStringLiteral("FloatStorage");
    case DType::Float64: return QStringLiteral("DoubleStorage");
    case DType::Float16: return QStringLiteral("HalfStorage");
    case DType::BFloat16: return QStringLiteral("BFloat16Storage");
    case DType::UInt8: return QStringLiteral("ByteStorage");
    case DType::Int8: return QStringLiteral("CharStorage");
    case DType::Int16: return QStringLiteral("ShortStorage");
    case DType::Int32: return QStringLiteral("IntStorage");
    case DType::Int64: return QStringLiteral("LongStorage");
    case DType::Bool: return QStringLiteral("BoolStorage");
    case DType::Complex64: return QStringLiteral("ComplexFloatStorage");
    case DType::Complex128: return QStringLiteral("ComplexDoubleStorage");
    default: return {};
    }
}

namespace {

class Pickler {
public:
    QByteArray out;

    void op(char code) { out.append(code); }
    void text(const QString& value)
    {
        const QByteArray utf8 = value.toUtf8();
        op('X');  // BINUNICODE
        char length[4];
        qToLittleEndian(quint32(utf8.size()), length);
        out.append(length, 4);
        out.append(utf8);
    }
    void integer(qint64 value)
    {
        if (value >= 0 && value < 256) {
            op('K');  // BININT1
            out.append(char(value));
        } else if (value >= INT32_MIN && value <= INT32_MAX) {
            op('J');  // BININT
            char bytes[4];
            qToLittleEndian(qint32(value), bytes);
            out.append(bytes, 4);
        } else {
            op('\x8a');  // LONG1: 8 bytes of two's complement
            out.append(char(8));
            char bytes[8];
            qToLittleEndian(value, bytes);
            out.append(bytes, 8);
        }
    }
    void tuple(const QVector<qint64>& values)
    {
        op('(');
        for (qint64 value : values)
            integer(value);
        op('t');
    }
    // GLOBAL, memoised: the second use of a name is a LONG_BINGET.
    void global(const char* module, const char* name)
    {
        const QByteArray key = QByteArray(module) + '\n' + name + '\n';
        if (const auto found = m_memo.constFind(key); found != m_memo.constEnd()) {
            op('j');  // LONG_BINGET
            appendIndex(found.value());
            return;
        }
        op('c');
        out.append(key);
        op('r');  // LONG_BINPUT
        const quint32 index = quint32(m_memo.size());
        appendIndex(index);
        m_memo.insert(key, index);
    }

private:
    void appendIndex(quint32 index)
    {
        char bytes[4];
        qToLittleEndian(index, bytes);
        out.append(bytes, 4);
    }
    QHash<QByteArray, quint32> m_memo;
};

}  // namespace

QByteArray pickleStateDict(const QVector<PickledTensor>& tensors)
{
    Pickler p;
    p.op('\x80');  // PROTO 2
    p.op('\x02');
    p.global("collections", "OrderedDict");
    p.op(')');  // EMPTY_TUPLE
    p.op('R');  // REDUCE
    // SETITEMS in batches of 1000 pairs, as pickle itself does.
    for (int start = 0; start < tensors.size(); start += 1000) {
        p.op('(');
        for (int i = start; i < tensors.size() && i < start + 1000; ++i) {
            const PickledTensor& t = tensors[i];
            p.text(t.name);
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            // The persistent id torch.save writes: ('storage', torch.FloatStorage, key, 'cpu', numel).
            p.op('(');
            p.text(QStringLiteral("storage"));
            p.global("torch", torchStorageClass(t.dtype).toLatin1().constData());
            p.text(t.storageKey);
            p.text(QStringLiteral("cpu"));
            p.integer(t.storageNumel);
            p.op('t');
            p.op('Q');  // BINPERSID
            p.integer(t.storageOffset);
            p.tuple(t.shape);
            p.tuple(t.strides);
            p.op('\x89');  // NEWFALSE: requires_grad
            p.global("collections", "OrderedDict");  // backward hooks
            p.op(')');
            p.op('R');
            p.op('t');
            p.op('R');
        }
        p.op('u');  // SETITEMS
    }
    p.op('.');
    return p.out;
}

}  // namespace statelens
