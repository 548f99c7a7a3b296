// The object tree a checkpoint's pickle describes, built without running anything.
//
// Values live in a ValueArena owned by the checkpoint and refer to each other by raw pointer.
// Pickles can build cycles (a list appended to itself through the memo) and very deep nests, so
// the arena frees everything flat, and every walk over the tree must bound its depth and guard
// against revisiting a container on its own path.
#pragma once

#include "core/model/dtype.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <utility>
#include <vector>

namespace statelens {

enum class ValueKind : unsigned char {
    None,
    Bool,
    Int,       // fits in qint64
    BigInt,    // larger than 64 bits: decimal text in `text`
    Float,
    Complex,   // real in `real`, imaginary in `imag`
    String,
    Bytes,
    Tuple,
    List,
    Dict,      // ordered; OrderedDict and Counter too (`text` names the class, empty for dict)
    Set,
    FrozenSet,
    Global,    // a class or function named by the pickle: `text` = "module.name"; never imported
    Object,    // an opaque instance or call result: `callee` named it, `args` and `state` describe it
    Tensor,    // `index` into the machine's tensor table
    Storage,   // `index` into the storage table
    DType,     // `dtype`
    Device,    // `text` = "cuda:0"
    Layout,    // `text` = "torch.sparse_coo"
    Slice,
    Mark,      // the pickle MARK sentinel; never part of a finished tree
};

struct Value;

// What only some kinds use, kept out of line: a checkpoint of 100 000 tensors pickles about
// 900 000 values, nearly all strings, ints, tuples, storages and tensors, and every byte on
// Value is paid 900 000 times over (176 bytes each with these inline, 88 without).
struct ValueExtras {
    double imag = 0.0;  // Complex: the imaginary part
    QByteArray bytes;   // Bytes
    // Dict: key/value pairs in insertion order; Object: items set on it (dict subclasses).
    std::vector<std::pair<Value*, Value*>> entries;
    // Object: what created it (a Global), the arguments (usually a Tuple) and the BUILD state.
    Value* callee = nullptr;
    Value* args = nullptr;
    Value* state = nullptr;
    // Dict: attributes set by BUILD (an OrderedDict's `_metadata`).
    Value* attributes = nullptr;
};

struct Value {
    ValueKind kind = ValueKind::None;
    bool boolean = false;
    DType dtype = DType::Unknown;
    int index = -1;
    int depth = 0;  // nesting below this value when it was built (bounded by PickleLimits)
    qint64 integer = 0;
    double real = 0.0;
    QString text;
    // Tuple, List, Set, FrozenSet, Slice: the items; Object: items appended to it (list subclasses).
    std::vector<Value*> items;

    // The out-of-line fields: read through these (empty or null when never set) ...
    double imag() const { return m_extras ? m_extras->imag : 0.0; }
    const QByteArray& bytes() const;
    const std::vector<std::pair<Value*, Value*>>& entries() const;
    Value* callee() const { return m_extras ? m_extras->callee : nullptr; }
    Value* args() const { return m_extras ? m_extras->args : nullptr; }
    Value* state() const { return m_extras ? m_extras->state : nullptr; }
    Value* attributes() const { return m_extras ? m_extras->attributes : nullptr; }
    // ... and set them through this, which makes room for them on first use.
    ValueExtras& extras();

    bool isContainer() const { return isContainerKind(kind); }
    // Tuple, List, Dict, Set, FrozenSet: the kinds whose items a walk over the tree visits.
    static bool isContainerKind(ValueKind kind);
    // Dict lookup by string key; nullptr when absent or not a dict.
    Value* find(QStringView key) const;
    // A short human-readable rendering, bounded in length (for opaque objects and scalars).
    QString summary(int maxLength = 120) const;

private:
    std::unique_ptr<ValueExtras> m_extras;
};

// Values are allocated in fixed blocks: one allocation per kBlock values (a pickle makes about
// nine per tensor, and a std::deque of values this size allocates every two), pointers stay
// valid as the arena grows, and everything is freed flat.
class ValueArena {
public:
    Value* make(ValueKind kind)
    {
        if (m_used == kBlock) {
            m_blocks.push_back(std::make_unique<Value[]>(kBlock));
            m_used = 0;
        }
        Value* value = &m_blocks.back()[m_used++];
        value->kind = kind;
        return value;
    }
    size_t size() const { return m_blocks.empty() ? 0 : (m_blocks.size() - 1) * kBlock + m_used; }

private:
    static constexpr size_t kBlock = 1024;
    std::vector<std::unique_ptr<Value[]>> m_blocks;
    size_t m_used = kBlock;  // values taken from the last block; a full "none" block to start
};

}  // namespace statelens
