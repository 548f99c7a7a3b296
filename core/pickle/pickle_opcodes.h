// The one description of pickle's opcodes (protocols 0-5) and the one walker over them, shared by
// the pickle machine (which builds values) and the weights-only scanner (which only emulates
// torch's checks). It mirrors CPython's Lib/pickletools.py: each opcode with its argument kind
// (pickletools' ArgumentDescriptor) and the protocol that introduced it; the walker is its
// genops(), bounds-checked. It names and measures arguments and never builds, imports or calls
// anything. The tables and next()'s common cases live in this header: the machine walks millions
// of opcodes per checkpoint, and an out-of-line call per opcode shows in the time to open one.
#pragma once

#include <QByteArrayView>
#include <QtEndian>
#include <QtGlobal>

#include <array>
#include <cstring>
#include <iterator>

namespace statelens {

// Every opcode of protocols 0-5, named after pickletools' names (ShortBinUnicode is
// SHORT_BINUNICODE); opcodeName() gives those names.
enum class Opcode : quint8 {
    // protocol 0
    Mark = '(', Stop = '.', Pop = '0', Dup = '2', Float = 'F', Int = 'I', Long = 'L', None = 'N',
    PersId = 'P', Reduce = 'R', String = 'S', Unicode = 'V', Append = 'a', Build = 'b', Global = 'c',
    Dict = 'd', Get = 'g', Inst = 'i', List = 'l', Put = 'p', SetItem = 's', Tuple = 't',
    // protocol 1
    PopMark = '1', BinInt = 'J', BinInt1 = 'K', BinInt2 = 'M', BinPersId = 'Q', BinString = 'T',
    ShortBinString = 'U', BinUnicode = 'X', EmptyDict = '}', Appends = 'e', BinGet = 'h', LongBinGet = 'j',
    EmptyList = ']', Obj = 'o', BinPut = 'q', LongBinPut = 'r', EmptyTuple = ')', SetItems = 'u', BinFloat = 'G',
    // protocol 2
    Proto = 0x80, NewObj = 0x81, Ext1 = 0x82, Ext2 = 0x83, Ext4 = 0x84, Tuple1 = 0x85, Tuple2 = 0x86,
    Tuple3 = 0x87, NewTrue = 0x88, NewFalse = 0x89, Long1 = 0x8a, Long4 = 0x8b,
    // protocol 3
    BinBytes = 'B', ShortBinBytes = 'C',
    // protocol 4
    ShortBinUnicode = 0x8c, BinUnicode8 = 0x8d, BinBytes8 = 0x8e, EmptySet = 0x8f, AddItems = 0x90,
    FrozenSet = 0x91, NewObjEx = 0x92, StackGlobal = 0x93, Memoize = 0x94, Frame = 0x95,
    // protocol 5
    ByteArray8 = 0x96, NextBuffer = 0x97, ReadOnlyBuffer = 0x98,
};

// pickletools' argument descriptors; argKindName() gives their names ("uint1", ...).
enum class PickleArgKind : quint8 {
    None,                  // no argument
    Uint1, Uint2, Int4, Uint4, Uint8,  // fixed-width little-endian integers
    Float8,                // 8 bytes, big-endian IEEE double (BINFLOAT)
    DecimalnlShort, DecimalnlLong, Floatnl,        // one text line: INT/GET/PUT, LONG, FLOAT
    Stringnl, StringnlNoescape, Unicodestringnl,   // one text line: STRING, PERSID, UNICODE
    StringnlNoescapePair,  // two text lines: GLOBAL, INST
    String1, String4,      // length-prefixed Python 2 str (String4's length is signed)
    Bytes1, Bytes4, Bytes8, Bytearray8,
    Unicodestring1, Unicodestring4, Unicodestring8,
    Long1, Long4,          // length-prefixed two's complement integer (Long4's length is signed)
};

// How the bytes of an argument kind lie after the opcode byte.
enum class PickleArgLayout : quint8 {
    None,      // nothing
    Fixed,     // `width` bytes
    Length,    // a `width`-byte little-endian length, then that many bytes
    Line,      // bytes up to a newline
    TwoLines,  // two such lines
};

struct OpcodeInfo {
    const char* name = nullptr;  // pickletools' name; nullptr: the byte is no opcode
    PickleArgKind arg = PickleArgKind::None;
    quint8 proto = 0;            // the protocol that introduced it
    PickleArgLayout layout = PickleArgLayout::None;
    quint8 width = 0;            // Fixed: bytes; Length: bytes of the length prefix
    bool signedLength = false;   // the length prefix is signed (String4, Long4)
};

namespace pickle_detail {

struct ArgFormat {
    const char* name;
    PickleArgLayout layout;
    quint8 width;
    bool signedLength;
};

// Indexed by PickleArgKind.
inline constexpr ArgFormat kArgFormats[] = {
    {"none", PickleArgLayout::None, 0, false},
    {"uint1", PickleArgLayout::Fixed, 1, false},
    {"uint2", PickleArgLayout::Fixed, 2, false},
    {"int4", PickleArgLayout::Fixed, 4, false},
    {"uint4", PickleArgLayout::Fixed, 4, false},
    {"uint8", PickleArgLayout::Fixed, 8, false},
    {"float8", PickleArgLayout::Fixed, 8, false},
    {"decimalnl_short", PickleArgLayout::Line, 0, false},
    {"decimalnl_long", PickleArgLayout::Line, 0, false},
    {"floatnl", PickleArgLayout::Line, 0, false},
    {"stringnl", PickleArgLayout::Line, 0, false},
    {"stringnl_noescape", PickleArgLayout::Line, 0, false},
    {"unicodestringnl", PickleArgLayout::Line, 0, false},
    {"stringnl_noescape_pair", PickleArgLayout::TwoLines, 0, false},
    {"string1", PickleArgLayout::Length, 1, false},
    {"string4", PickleArgLayout::Length, 4, true},
    {"bytes1", PickleArgLayout::Length, 1, false},
    {"bytes4", PickleArgLayout::Length, 4, false},
    {"bytes8", PickleArgLayout::Length, 8, false},
    {"bytearray8", PickleArgLayout::Length, 8, false},
    {"unicodestring1", PickleArgLayout::Length, 1, false},
    {"unicodestring4", PickleArgLayout::Length, 4, false},
    {"unicodestring8", PickleArgLayout::Length, 8, false},
    {"long1", PickleArgLayout::Length, 1, false},
    {"long4", PickleArgLayout::Length, 4, true},
};
static_assert(std::size(kArgFormats) == size_t(PickleArgKind::Long4) + 1, "one format per argument kind");

struct OpcodeRow {
    Opcode code;
    const char* name;
    PickleArgKind arg;
    quint8 proto;
};

// pickletools.opcodes, row for row (tests/core/make_pickle_opcodes.py checks it against CPython).
inline constexpr OpcodeRow kOpcodeRows[] = {
    {Opcode::Int, "INT", PickleArgKind::DecimalnlShort, 0},
    {Opcode::BinInt, "BININT", PickleArgKind::Int4, 1},
    {Opcode::BinInt1, "BININT1", PickleArgKind::Uint1, 1},
    {Opcode::BinInt2, "BININT2", PickleArgKind::Uint2, 1},
    {Opcode::Long, "LONG", PickleArgKind::DecimalnlLong, 0},
    {Opcode::Long1, "LONG1", PickleArgKind::Long1, 2},
    {Opcode::Long4, "LONG4", PickleArgKind::Long4, 2},
    {Opcode::String, "STRING", PickleArgKind::Stringnl, 0},
    {Opcode::BinString, "BINSTRING", PickleArgKind::String4, 1},
    {Opcode::ShortBinString, "SHORT_BINSTRING", PickleArgKind::String1, 1},
    {Opcode::BinBytes, "BINBYTES", PickleArgKind::Bytes4, 3},
    {Opcode::ShortBinBytes, "SHORT_BINBYTES", PickleArgKind::Bytes1, 3},
    {Opcode::BinBytes8, "BINBYTES8", PickleArgKind::Bytes8, 4},
    {Opcode::ByteArray8, "BYTEARRAY8", PickleArgKind::Bytearray8, 5},
    {Opcode::NextBuffer, "NEXT_BUFFER", PickleArgKind::None, 5},
    {Opcode::ReadOnlyBuffer, "READONLY_BUFFER", PickleArgKind::None, 5},
    {Opcode::None, "NONE", PickleArgKind::None, 0},
    {Opcode::NewTrue, "NEWTRUE", PickleArgKind::None, 2},
    {Opcode::NewFalse, "NEWFALSE", PickleArgKind::None, 2},
    {Opcode::Unicode, "UNICODE", PickleArgKind::Unicodestringnl, 0},
    {Opcode::ShortBinUnicode, "SHORT_BINUNICODE", PickleArgKind::Unicodestring1, 4},
    {Opcode::BinUnicode, "BINUNICODE", PickleArgKind::Unicodestring4, 1},
    {Opcode::BinUnicode8, "BINUNICODE8", PickleArgKind::Unicodestring8, 4},
    {Opcode::Float, "FLOAT", PickleArgKind::Floatnl, 0},
    {Opcode::BinFloat, "BINFLOAT", PickleArgKind::Float8, 1},
    {Opcode::EmptyList, "EMPTY_LIST", PickleArgKind::None, 1},
    {Opcode::Append, "APPEND", PickleArgKind::None, 0},
    {Opcode::Appends, "APPENDS", PickleArgKind::None, 1},
    {Opcode::List, "LIST", PickleArgKind::None, 0},
    {Opcode::EmptyTuple, "EMPTY_TUPLE", PickleArgKind::None, 1},
    {Opcode::Tuple, "TUPLE", PickleArgKind::None, 0},
    {Opcode::Tuple1, "TUPLE1", PickleArgKind::None, 2},
    {Opcode::Tuple2, "TUPLE2", PickleArgKind::None, 2},
    {Opcode::Tuple3, "TUPLE3", PickleArgKind::None, 2},
    {Opcode::EmptyDict, "EMPTY_DICT", PickleArgKind::None, 1},
    {Opcode::Dict, "DICT", PickleArgKind::None, 0},
    {Opcode::SetItem, "SETITEM", PickleArgKind::None, 0},
    {Opcode::SetItems, "SETITEMS", PickleArgKind::None, 1},
    {Opcode::EmptySet, "EMPTY_SET", PickleArgKind::None, 4},
    {Opcode::AddItems, "ADDITEMS", PickleArgKind::None, 4},
    {Opcode::FrozenSet, "FROZENSET", PickleArgKind::None, 4},
    {Opcode::Pop, "POP", PickleArgKind::None, 0},
    {Opcode::Dup, "DUP", PickleArgKind::None, 0},
    {Opcode::Mark, "MARK", PickleArgKind::None, 0},
    {Opcode::PopMark, "POP_MARK", PickleArgKind::None, 1},
    {Opcode::Get, "GET", PickleArgKind::DecimalnlShort, 0},
    {Opcode::BinGet, "BINGET", PickleArgKind::Uint1, 1},
    {Opcode::LongBinGet, "LONG_BINGET", PickleArgKind::Uint4, 1},
    {Opcode::Put, "PUT", PickleArgKind::DecimalnlShort, 0},
    {Opcode::BinPut, "BINPUT", PickleArgKind::Uint1, 1},
    {Opcode::LongBinPut, "LONG_BINPUT", PickleArgKind::Uint4, 1},
    {Opcode::Memoize, "MEMOIZE", PickleArgKind::None, 4},
    {Opcode::Ext1, "EXT1", PickleArgKind::Uint1, 2},
    {Opcode::Ext2, "EXT2", PickleArgKind::Uint2, 2},
    {Opcode::Ext4, "EXT4", PickleArgKind::Int4, 2},
    {Opcode::Global, "GLOBAL", PickleArgKind::StringnlNoescapePair, 0},
    {Opcode::StackGlobal, "STACK_GLOBAL", PickleArgKind::None, 4},
    {Opcode::Reduce, "REDUCE", PickleArgKind::None, 0},
    {Opcode::Build, "BUILD", PickleArgKind::None, 0},
    {Opcode::Inst, "INST", PickleArgKind::StringnlNoescapePair, 0},
    {Opcode::Obj, "OBJ", PickleArgKind::None, 1},
    {Opcode::NewObj, "NEWOBJ", PickleArgKind::None, 2},
    {Opcode::NewObjEx, "NEWOBJ_EX", PickleArgKind::None, 4},
    {Opcode::Proto, "PROTO", PickleArgKind::Uint1, 2},
    {Opcode::Stop, "STOP", PickleArgKind::None, 0},
    {Opcode::Frame, "FRAME", PickleArgKind::Uint8, 4},
    {Opcode::PersId, "PERSID", PickleArgKind::StringnlNoescape, 0},
    {Opcode::BinPersId, "BINPERSID", PickleArgKind::None, 1},
};

constexpr std::array<OpcodeInfo, 256> makeOpcodeTable()
{
    std::array<OpcodeInfo, 256> table{};
    for (const OpcodeRow& row : kOpcodeRows) {
        const ArgFormat& format = kArgFormats[size_t(row.arg)];
        table[size_t(row.code)] = OpcodeInfo{row.name, row.arg, row.proto, format.layout, format.width, format.signedLength};
    }
    return table;
}

inline constexpr std::array<OpcodeInfo, 256> kOpcodeTable = makeOpcodeTable();

// What next() needs of each byte, two bytes a row so that the whole table stays in half a kilobyte:
// the layout, with bytes that are no opcode as a layout of their own (one switch decides both).
enum class WalkStep : quint8 { None, Fixed, FixedBigEndian, Length, SignedLength, Line, TwoLines, Unknown };

struct WalkRow {
    WalkStep step;
    quint8 width;
};

constexpr WalkStep walkStep(const OpcodeInfo& info)
{
    if (!info.name)
        return WalkStep::Unknown;
    switch (info.layout) {
    case PickleArgLayout::None: return WalkStep::None;
    case PickleArgLayout::Fixed: return info.arg == PickleArgKind::Float8 ? WalkStep::FixedBigEndian : WalkStep::Fixed;
    case PickleArgLayout::Length: return info.signedLength ? WalkStep::SignedLength : WalkStep::Length;
    case PickleArgLayout::Line: return WalkStep::Line;
    case PickleArgLayout::TwoLines: return WalkStep::TwoLines;
    }
    return WalkStep::Unknown;
}

constexpr std::array<WalkRow, 256> makeWalkTable()
{
    std::array<WalkRow, 256> table{};
    for (size_t code = 0; code < table.size(); ++code) {
        const OpcodeInfo& info = kOpcodeTable[code];
        table[code] = WalkRow{walkStep(info), info.width};
    }
    return table;
}

inline constexpr std::array<WalkRow, 256> kWalkTable = makeWalkTable();

}  // namespace pickle_detail

// The description of byte `code` (name nullptr when it is no opcode).
inline const OpcodeInfo& opcodeInfo(quint8 code) { return pickle_detail::kOpcodeTable[code]; }
inline const char* opcodeName(quint8 code) { return opcodeInfo(code).name; }
inline const char* argKindName(PickleArgKind kind) { return pickle_detail::kArgFormats[size_t(kind)].name; }

// What is wrong with an opcode's argument, if anything. The walker only reports it: the pickle
// machine turns it into its error, the weights-only emulator into the exception torch's reads raise.
enum class PickleArgProblem : quint8 {
    None,
    UnknownOpcode,   // the byte is no opcode of protocols 0-5; nothing after it was read
    FieldCut,        // the fixed-width argument or the length prefix runs past the end
    NegativeLength,  // String4/Long4: the signed length prefix is below zero
    PayloadCut,      // the bytes the length prefix announces run past the end
    NoNewline,       // a text line (or the second of two) has no newline before the end
};

// Where an opcode sits against the FRAME it is read in (protocol 4+). CPython's unpicklers agree
// only on pickles whose every read stays inside its frame: Lib/pickle.py raises ("pickle exhausted
// before end of frame", "beginning of a new frame before end of current frame"), _pickle.c before
// 3.13.15/3.14.7 reading a file (torch.load of a zip wraps data.pkl in io.BytesIO) drops the rest
// of the frame and reads what follows as other opcodes (python/cpython#154848; fickling's
// test_frame_boundary_divergence hides an os.system call that way), and a reader that ignores
// frames (pickletools, this walker's values) sees a third thing. The walker keeps reading linearly
// and only reports the place.
enum class PickleFrameProblem : quint8 {
    None,
    CrossesFrame,   // one of the opcode's reads (opcode byte, field, length, payload, a line) starts
                    // inside the current frame and ends past it; ending exactly at it is fine
    FrameReopened,  // a FRAME before the current frame's bytes are used up
};

// One opcode as next() found it. Only what every opcode needs is written for each: the kind of
// argument and whether it is cut follow from `opcode` and `problem`.
struct PickleOp {
    Opcode opcode = Opcode::Stop;
    PickleArgProblem problem = PickleArgProblem::None;
    qint64 offset = 0;         // of the opcode byte
    qint64 argOffset = 0;      // first byte of the argument's payload (after any length prefix)
    qint64 argLength = 0;      // payload bytes present: at most what is left (lines: without the newline;
                               // two lines: both and the newline between them)
    // Fixed: the value, little-endian unsigned (Float8: the big-endian bits of the double);
    // Length: the length prefix as read, unsigned. 0 when the field is cut.
    quint64 value = 0;
    qint64 lineBreak = -1;     // two lines only: offset of the newline after the first, -1 when there is none
    PickleFrameProblem frameProblem = PickleFrameProblem::None;
    qint64 frameEnd = -1;      // with a frame problem: the end of the frame it concerns

    quint8 byte() const { return quint8(opcode); }
    PickleArgKind arg() const { return opcodeInfo(byte()).arg; }
    // The pickle ends inside this argument.
    bool truncated() const { return problem != PickleArgProblem::None && problem != PickleArgProblem::UnknownOpcode; }
};

// The module and name lines of GLOBAL and INST (op.lineBreak >= 0: the walker found both lines).
inline void globalLines(const char* data, const PickleOp& op, QByteArrayView* module, QByteArrayView* name)
{
    *module = QByteArrayView(data + op.argOffset, qsizetype(op.lineBreak - op.argOffset));
    *name = QByteArrayView(data + op.lineBreak + 1, qsizetype(op.argOffset + op.argLength - op.lineBreak - 1));
}

// Walks opcodes one by one, like pickletools.genops. next() returns false at the end of the data;
// it never reads past `size`, trusts no length (2^64 - 1 included) and never allocates. An
// argument that runs past the end is reported (op.problem) and the walk ends there.
class PickleOpWalker {
public:
    PickleOpWalker(const char* data, qint64 size) : m_data(data), m_size(size < 0 ? 0 : size) {}

    Q_ALWAYS_INLINE bool next(PickleOp* op);
    qint64 position() const { return m_position; }
    // Whether a FRAME announced bytes not yet read at the current position.
    bool insideFrame() const { return m_frameEnd > m_position; }
    // Moves on to POSITION (not before the current one, not past the end) without reading what
    // lies between: bytes a writer put between opcodes (joblib's array data, after the frame that
    // holds the array's description is used up).
    void skipTo(qint64 position)
    {
        if (position >= m_position && position <= m_size) {
            m_position = position;
            if (m_frameEnd >= 0 && m_frameEnd <= position)
                m_frameEnd = -1;
        }
    }
    const char* data() const { return m_data; }
    qint64 size() const { return m_size; }

    // Little-endian unsigned integer of `bytes` (at most 8) bytes at `offset` (the caller checks bounds).
    quint64 readLE(qint64 offset, int bytes) const
    {
        quint64 value = 0;
        for (int i = bytes - 1; i >= 0; --i)
            value = value << 8 | quint8(m_data[offset + i]);
        return value;
    }

private:
    void readArgument(PickleOp* op, pickle_detail::WalkRow row);
    // Checks `op` (already measured) against the current frame and opens the frame a FRAME
    // announces. Out of line: only pickles of protocol 4+ have frames.
    void checkFrame(PickleOp* op);

    const char* m_data;
    qint64 m_size;
    qint64 m_position = 0;
    qint64 m_frameEnd = -1;  // end of the frame being read; -1 outside frames
};

bool PickleOpWalker::next(PickleOp* op)
{
    const qint64 at = m_position;
    if (at >= m_size)
        return false;
    const quint8 code = quint8(m_data[at]);
    const pickle_detail::WalkRow row = pickle_detail::kWalkTable[code];
    const qint64 start = at + 1;
    op->opcode = Opcode(code);
    op->problem = PickleArgProblem::None;
    op->offset = at;
    op->argOffset = start;
    op->argLength = 0;
    op->value = 0;
    op->frameProblem = PickleFrameProblem::None;
    // Inline, the two cases that make up most of a big pickle (MARK, TUPLE, REDUCE; BININT1,
    // BINGET, LONG_BINPUT); the rest out of line.
    if (row.step == pickle_detail::WalkStep::None) {
        m_position = start;
    } else if (row.step == pickle_detail::WalkStep::Fixed && m_size - start >= 8) {
        op->value = qFromLittleEndian<quint64>(m_data + start) & (~quint64(0) >> (64 - 8 * row.width));
        op->argLength = row.width;
        m_position = start + row.width;
    } else {
        readArgument(op, row);
    }
    if (Q_UNLIKELY(m_frameEnd >= 0 || op->opcode == Opcode::Frame))
        checkFrame(op);
    return true;
}

}  // namespace statelens
