// Python's dict and set key equality for pickled values, and the index that finds a key again.
//
// A pickle fills a state dict through SETITEMS: 100 000 keys, each of which must be checked
// against the keys already there (Python keeps the first key's place and takes the new value).
// KeyPositions indexes them in a FlatPositionIndex: nothing allocated or copied per key.
#pragma once

#include "core/base/flat_position_index.h"
#include "core/model/value.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>

#include <unordered_map>
#include <utility>

namespace statelens {

// A key as Python compares it: an equality class, a number and a text or bytes. 1, 1.0 and True
// are one key; strings, bytes and None are themselves; a class, dtype or device by its name;
// anything else (tensors, objects, NaN) by identity. It views the key value's own text, so it
// lives no longer than the value (or, for a digest, the PythonKeyMaker).
struct PythonKey {
    PythonKey(char kind, qint64 number = 0, QStringView text = {}, QByteArrayView bytes = {})
        : kind(kind), number(number), text(text), bytes(bytes)
    {
    }
    char kind;
    qint64 number;
    QStringView text;
    QByteArrayView bytes;

    friend bool operator==(const PythonKey& a, const PythonKey& b)
    {
        return a.kind == b.kind && a.number == b.number && a.text == b.text && a.bytes == b.bytes;
    }
};

// Makes PythonKeys. A key longer than kMaxInlineKey is reduced to a digest once per value, so
// setting one huge key again and again through the memo costs no more than a short one.
class PythonKeyMaker {
public:
    static constexpr qsizetype kMaxInlineKey = 64;

    PythonKey operator()(const Value* key);
    // Seeded per process like QHash, so a pickle cannot be crafted to make its keys collide.
    static size_t hash(const PythonKey& key);

private:
    QByteArrayView digest(const Value* key, const QByteArray& content);
    std::unordered_map<const Value*, QByteArray> m_digests;  // nodes: the views stay valid
};

// Positions of the keys of one dict (its entries) or one set (its items).
struct KeyPositions {
    FlatPositionIndex index;
    size_t indexed = 0;  // how many of the container's entries/items have been offered
};

}  // namespace statelens
