// A torch-free pickle opcode walker (like Python's pickletools.genops): it names each opcode and
// the bytes of its argument without building, importing or calling anything. Every length is
// checked against the bytes that remain; nothing is allocated beyond the input.
#pragma once

#include <QtGlobal>

namespace statelens {

// How an opcode's argument is laid out after the opcode byte.
enum class PickleArg {
    None,         // MARK, REDUCE, ...
    Fixed,        // a fixed number of bytes (BININT1: 1, BININT: 4, BINFLOAT: 8, FRAME: 8, ...)
    Length1,      // 1-byte length, then that many bytes (SHORT_BINUNICODE, LONG1, ...)
    Length4,      // 4-byte little-endian length (unsigned; signed for BINSTRING and LONG4)
    Length8,      // 8-byte little-endian length (BINUNICODE8, BINBYTES8, BYTEARRAY8)
    Line,         // one newline-terminated line (INT, PERSID, GET, ...)
    TwoLines,     // two lines (GLOBAL, INST)
    Unknown,      // not a pickle opcode
};

struct PickleOpInfo {
    const char* name = nullptr;  // pickletools' name, "?" for unknown bytes
    PickleArg arg = PickleArg::Unknown;
    int size = 0;                // Fixed: bytes; LengthN: N
};

// The layout of opcode `code` in protocols 0-5.
PickleOpInfo pickleOpInfo(quint8 code);

struct PickleOp {
    quint8 code = 0;
    qint64 offset = 0;        // of the opcode byte
    qint64 argOffset = 0;     // first byte of the argument's payload (after any length field)
    qint64 argLength = 0;     // payload bytes actually present (Line: without the newline)
    qint64 declaredLength = 0;  // LengthN: the length the pickle claims (may exceed what is left)
    qint64 lineBreak = -1;    // TwoLines: offset of the first newline (the second line follows it)
    bool truncated = false;   // the pickle ends inside this opcode's argument
};

// Walks opcodes one by one. next() returns false at the end of the data; it never reads past
// `size`, and a truncated argument is reported (op.truncated), not read.
class PickleOpWalker {
public:
    PickleOpWalker(const char* data, qint64 size) : m_data(data), m_size(size) {}

    bool next(PickleOp* op);
    qint64 position() const { return m_position; }
    const char* data() const { return m_data; }
    qint64 size() const { return m_size; }

    // Little-endian unsigned integer of `bytes` bytes at `offset` (caller checks bounds).
    quint64 readLE(qint64 offset, int bytes) const;

private:
    const char* m_data;
    qint64 m_size;
    qint64 m_position = 0;
};

}  // namespace statelens
