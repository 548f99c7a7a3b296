#include "core/pickle/python_keys.h"

#include <QCryptographicHash>
#include <QHashFunctions>

#include <cmath>
#include <cstring>

namespace statelens {

namespace {

// Equal doubles that are neither NaN nor zero (both keyed apart) have equal bits.
qint64 floatBits(double value)
{
    qint64 bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

}  // namespace

QByteArrayView PythonKeyMaker::digest(const Value* key, const QByteArray& content)
{
    auto cached = m_digests.find(key);
    if (cached == m_digests.end())
        cached = m_digests.emplace(key, QCryptographicHash::hash(content, QCryptographicHash::Sha256)).first;
    return cached->second;
}

PythonKey PythonKeyMaker::operator()(const Value* key)
{
    switch (key->kind) {
    case ValueKind::None: return {'n'};
    case ValueKind::Bool: return {'i', key->boolean ? 1 : 0};
    case ValueKind::Int: return {'i', key->integer};
    case ValueKind::BigInt: return {'i', 0, key->text};  // never equal to an Int: those fit in 64 bits
    case ValueKind::Float:
        if (std::isnan(key->real))
            break;
        if (key->real >= -9.2e18 && key->real <= 9.2e18 && key->real == std::trunc(key->real))
            return {'i', qint64(key->real)};
        return {'f', floatBits(key->real)};
    case ValueKind::String:
        if (key->text.size() > kMaxInlineKey)
            return {'S', key->text.size(), {}, digest(key, key->text.toUtf8())};
        return {'s', 0, key->text};
    case ValueKind::Bytes:
        if (key->bytes().size() > kMaxInlineKey)
            return {'B', key->bytes().size(), {}, digest(key, key->bytes())};
        return {'b', 0, {}, key->bytes()};
    case ValueKind::Global: return {'g', 0, key->text};
    case ValueKind::DType: return {'d', qint64(key->dtype)};
    case ValueKind::Device: return {'v', 0, key->text};
    case ValueKind::Layout: return {'l', 0, key->text};
    default: break;
    }
    return {'p', qint64(quintptr(key))};
}

size_t PythonKeyMaker::hash(const PythonKey& key)
{
    return qHashMulti(QHashSeed::globalSeed(), key.kind, key.number, key.text, key.bytes);
}

}  // namespace statelens
