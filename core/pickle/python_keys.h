// Python's dict and set key equality for pickled values, and the index that finds a key again.
//
// A pickle fills a state dict through SETITEMS: 100 000 keys, each of which must be checked
// against the keys already there (Python keeps the first key's place and takes the new value).
// This index allocates nothing per key: it keeps (hash, position) pairs in one flat table and
// compares against the key stored at that position only when the hashes agree.
#pragma once

#include "../value.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>

#include <unordered_map>
#include <utility>
#include <vector>

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
class KeyPositions {
public:
    // The position of the key equal to `key` and false, or `position` and true after recording
    // it. `keyAt(p)` gives the PythonKey of the key recorded at position p.
    template <typename KeyAt>
    std::pair<size_t, bool> findOrAdd(const PythonKey& key, size_t position, KeyAt&& keyAt);

    size_t indexed = 0;  // how many of the container's entries/items have been offered

private:
    struct Slot {
        size_t hash = 0;
        size_t position = kEmpty;
    };
    static constexpr size_t kEmpty = ~size_t(0);
    void grow();

    std::vector<Slot> m_slots;  // a power of two in size, at most half full
    size_t m_used = 0;
};

template <typename KeyAt>
std::pair<size_t, bool> KeyPositions::findOrAdd(const PythonKey& key, size_t position, KeyAt&& keyAt)
{
    if ((m_used + 1) * 2 > m_slots.size())
        grow();
    const size_t hash = PythonKeyMaker::hash(key);
    const size_t mask = m_slots.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        Slot& slot = m_slots[i];
        if (slot.position == kEmpty) {
            slot = Slot{hash, position};
            ++m_used;
            return {position, true};
        }
        if (slot.hash == hash && keyAt(slot.position) == key)
            return {slot.position, false};
    }
}

}  // namespace statelens
