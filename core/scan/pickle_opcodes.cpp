#include "pickle_opcodes.h"

#include <cstring>
#include <limits>

namespace statelens {

PickleOpInfo pickleOpInfo(quint8 code)
{
    using A = PickleArg;
    switch (code) {
    case '(': return {"MARK", A::None, 0};
    case '.': return {"STOP", A::None, 0};
    case '0': return {"POP", A::None, 0};
    case '1': return {"POP_MARK", A::None, 0};
    case '2': return {"DUP", A::None, 0};
    case 'N': return {"NONE", A::None, 0};
    case 'R': return {"REDUCE", A::None, 0};
    case 'b': return {"BUILD", A::None, 0};
    case 'a': return {"APPEND", A::None, 0};
    case 'e': return {"APPENDS", A::None, 0};
    case 'd': return {"DICT", A::None, 0};
    case '}': return {"EMPTY_DICT", A::None, 0};
    case 'l': return {"LIST", A::None, 0};
    case ']': return {"EMPTY_LIST", A::None, 0};
    case 'o': return {"OBJ", A::None, 0};
    case 's': return {"SETITEM", A::None, 0};
    case 'u': return {"SETITEMS", A::None, 0};
    case 't': return {"TUPLE", A::None, 0};
    case ')': return {"EMPTY_TUPLE", A::None, 0};
    case 'Q': return {"BINPERSID", A::None, 0};
    case 0x81: return {"NEWOBJ", A::None, 0};
    case 0x85: return {"TUPLE1", A::None, 0};
    case 0x86: return {"TUPLE2", A::None, 0};
    case 0x87: return {"TUPLE3", A::None, 0};
    case 0x88: return {"NEWTRUE", A::None, 0};
    case 0x89: return {"NEWFALSE", A::None, 0};
    case 0x8f: return {"EMPTY_SET", A::None, 0};
    case 0x90: return {"ADDITEMS", A::None, 0};
    case 0x91: return {"FROZENSET", A::None, 0};
    case 0x92: return {"NEWOBJ_EX", A::None, 0};
    case 0x93: return {"STACK_GLOBAL", A::None, 0};
    case 0x94: return {"MEMOIZE", A::None, 0};
    case 0x97: return {"NEXT_BUFFER", A::None, 0};
    case 0x98: return {"READONLY_BUFFER", A::None, 0};
    case 'K': return {"BININT1", A::Fixed, 1};
    case 'h': return {"BINGET", A::Fixed, 1};
    case 'q': return {"BINPUT", A::Fixed, 1};
    case 0x80: return {"PROTO", A::Fixed, 1};
    case 0x82: return {"EXT1", A::Fixed, 1};
    case 'M': return {"BININT2", A::Fixed, 2};
    case 0x83: return {"EXT2", A::Fixed, 2};
    case 'J': return {"BININT", A::Fixed, 4};
    case 'j': return {"LONG_BINGET", A::Fixed, 4};
    case 'r': return {"LONG_BINPUT", A::Fixed, 4};
    case 0x84: return {"EXT4", A::Fixed, 4};
    case 'G': return {"BINFLOAT", A::Fixed, 8};
    case 0x95: return {"FRAME", A::Fixed, 8};
    case 'U': return {"SHORT_BINSTRING", A::Length1, 1};
    case 'C': return {"SHORT_BINBYTES", A::Length1, 1};
    case 0x8c: return {"SHORT_BINUNICODE", A::Length1, 1};
    case 0x8a: return {"LONG1", A::Length1, 1};
    case 'T': return {"BINSTRING", A::Length4, 4};
    case 'X': return {"BINUNICODE", A::Length4, 4};
    case 'B': return {"BINBYTES", A::Length4, 4};
    case 0x8b: return {"LONG4", A::Length4, 4};
    case 0x8d: return {"BINUNICODE8", A::Length8, 8};
    case 0x8e: return {"BINBYTES8", A::Length8, 8};
    case 0x96: return {"BYTEARRAY8", A::Length8, 8};
    case 'I': return {"INT", A::Line, 0};
    case 'L': return {"LONG", A::Line, 0};
    case 'F': return {"FLOAT", A::Line, 0};
    case 'S': return {"STRING", A::Line, 0};
    case 'V': return {"UNICODE", A::Line, 0};
    case 'P': return {"PERSID", A::Line, 0};
    case 'g': return {"GET", A::Line, 0};
    case 'p': return {"PUT", A::Line, 0};
    case 'c': return {"GLOBAL", A::TwoLines, 0};
    case 'i': return {"INST", A::TwoLines, 0};
    default: return {"?", A::Unknown, 0};
    }
}

quint64 PickleOpWalker::readLE(qint64 offset, int bytes) const
{
    quint64 value = 0;
    for (int i = bytes - 1; i >= 0; --i)
        value = value << 8 | quint8(m_data[offset + i]);
    return value;
}

bool PickleOpWalker::next(PickleOp* op)
{
    if (m_position >= m_size)
        return false;
    *op = PickleOp{};
    op->code = quint8(m_data[m_position]);
    op->offset = m_position;
    const qint64 start = m_position + 1;
    const qint64 left = m_size - start;  // >= 0
    const PickleOpInfo info = pickleOpInfo(op->code);
    op->argOffset = start;
    switch (info.arg) {
    case PickleArg::None:
    case PickleArg::Unknown:
        m_position = start;
        return true;
    case PickleArg::Fixed:
        op->declaredLength = info.size;
        op->argLength = qMin<qint64>(info.size, left);
        op->truncated = left < info.size;
        m_position = start + op->argLength;
        return true;
    case PickleArg::Length1:
    case PickleArg::Length4:
    case PickleArg::Length8: {
        if (left < info.size) {  // the length field itself is cut
            op->truncated = true;
            op->argLength = 0;
            op->argOffset = start;
            m_position = m_size;
            return true;
        }
        quint64 length = readLE(start, info.size);
        op->argOffset = start + info.size;
        const qint64 payloadLeft = left - info.size;
        // A length beyond what is left (2^63 and up included) is clamped, never trusted.
        op->declaredLength = length > quint64(std::numeric_limits<qint64>::max()) ? std::numeric_limits<qint64>::max() : qint64(length);
        op->truncated = length > quint64(payloadLeft);
        op->argLength = op->truncated ? payloadLeft : qint64(length);
        m_position = op->argOffset + op->argLength;
        return true;
    }
    case PickleArg::Line:
    case PickleArg::TwoLines: {
        const void* found = left > 0 ? std::memchr(m_data + start, '\n', size_t(left)) : nullptr;
        if (!found) {
            op->truncated = true;
            op->argLength = left;
            m_position = m_size;
            return true;
        }
        const qint64 firstBreak = static_cast<const char*>(found) - m_data;
        if (info.arg == PickleArg::Line) {
            op->argLength = firstBreak - start;
            m_position = firstBreak + 1;
            return true;
        }
        op->lineBreak = firstBreak;
        const qint64 secondStart = firstBreak + 1;
        const qint64 secondLeft = m_size - secondStart;
        const void* second = secondLeft > 0 ? std::memchr(m_data + secondStart, '\n', size_t(secondLeft)) : nullptr;
        if (!second) {
            op->truncated = true;
            op->argLength = m_size - start;
            m_position = m_size;
            return true;
        }
        const qint64 secondBreak = static_cast<const char*>(second) - m_data;
        op->argLength = secondBreak - start;  // both lines and the newline between them
        m_position = secondBreak + 1;
        return true;
    }
    }
    return false;
}

}  // namespace statelens
