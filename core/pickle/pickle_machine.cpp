#include "core/pickle/pickle_machine.h"

#include "core/pickle/file_read_replay.h"
#include "core/pickle/global_sweep.h"
#include "core/pickle/memo_table.h"
#include "core/pickle/pickle_opcodes.h"
#include "core/pickle/python2_names.h"
#include "core/pickle/python_keys.h"
#include "core/pickle/torch_globals.h"

#include "core/base/checked_math.h"
#include "core/model/numpy_dtype.h"

#include <QHash>
#include <QSet>
#include <QStringDecoder>

#include <array>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace statelens {

namespace {

constexpr int kHighestProtocol = 5;
constexpr qint64 kMaxLongBytes = 1024;    // LONG1/LONG4 payload: about 2,466 decimal digits
constexpr qint64 kMaxLongDigits = 10000;  // INT/LONG text of protocol 0
constexpr qsizetype kMaxNameLength = 1024;  // a module or class name in GLOBAL / STACK_GLOBAL

QString kindName(ValueKind kind)
{
    switch (kind) {
    case ValueKind::None: return QStringLiteral("None");
    case ValueKind::Bool: return QStringLiteral("bool");
    case ValueKind::Int:
    case ValueKind::BigInt: return QStringLiteral("int");
    case ValueKind::Float: return QStringLiteral("float");
    case ValueKind::Complex: return QStringLiteral("complex");
    case ValueKind::String: return QStringLiteral("str");
    case ValueKind::Bytes: return QStringLiteral("bytes");
    case ValueKind::Tuple: return QStringLiteral("tuple");
    case ValueKind::List: return QStringLiteral("list");
    case ValueKind::Dict: return QStringLiteral("dict");
    case ValueKind::Set: return QStringLiteral("set");
    case ValueKind::FrozenSet: return QStringLiteral("frozenset");
    case ValueKind::Global: return QStringLiteral("global");
    case ValueKind::Object: return QStringLiteral("object");
    case ValueKind::Tensor: return QStringLiteral("tensor");
    case ValueKind::Storage: return QStringLiteral("storage");
    case ValueKind::DType: return QStringLiteral("dtype");
    case ValueKind::Device: return QStringLiteral("device");
    case ValueKind::Layout: return QStringLiteral("layout");
    case ValueKind::Slice: return QStringLiteral("slice");
    case ValueKind::Mark: return QStringLiteral("mark");
    }
    return QStringLiteral("value");
}

// Kinds whose values refer to other values, and so have a nesting depth of their own.
bool holdsValues(ValueKind kind)
{
    return Value::isContainerKind(kind) || kind == ValueKind::Object || kind == ValueKind::Slice;
}

// ---- operand decoding ------------------------------------------------------------------------

// A text argument quoted in an error message: at most 40 bytes, anything but printable ASCII
// escaped, so that the message stays one line whatever the file holds.
QString quotedArgument(QByteArrayView text)
{
    constexpr qsizetype kShown = 40;
    QString out(1, u'\'');
    for (qsizetype i = 0; i < qMin(text.size(), kShown); ++i) {
        const uchar c = uchar(text[i]);
        if (c >= 0x20 && c < 0x7F)
            out += QChar(c);
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
    }
    if (text.size() > kShown)
        out += QStringLiteral("...");
    return out + u'\'';
}

QByteArrayView trimmed(QByteArrayView text)
{
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
    while (!text.isEmpty() && space(text.front()))
        text = text.sliced(1);
    while (!text.isEmpty() && space(text.back()))
        text.chop(1);
    return text;
}

// A decimal integer as Python's int() reads the INT and LONG lines. Fits in qint64 -> *small;
// otherwise the canonical decimal text (sign, no leading zeros) -> *big.
bool parseDecimal(QByteArrayView text, qint64* small, QString* big, bool* fits)
{
    text = trimmed(text);
    bool negative = false;
    if (!text.isEmpty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text = text.sliced(1);
    }
    if (text.isEmpty())
        return false;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
    }
    while (text.size() > 1 && text.front() == '0')
        text = text.sliced(1);
    // 2^63 has 19 digits: anything shorter fits; 19 digits may; more never do.
    if (text.size() <= 19) {
        quint64 magnitude = 0;
        for (char c : text)
            magnitude = magnitude * 10 + quint64(c - '0');  // < 10^19 < 2^64: no wrap
        const quint64 limit = negative ? quint64(1) << 63 : (quint64(1) << 63) - 1;
        if (magnitude <= limit) {
            *small = negative ? qint64(0 - magnitude) : qint64(magnitude);  // 0 - 2^63 wraps to INT64_MIN as intended
            *fits = true;
            return true;
        }
    }
    *big = (negative ? QStringLiteral("-") : QString()) + QString::fromLatin1(text);
    *fits = false;
    return true;
}

// Little-endian two's complement (LONG1/LONG4). Fits in qint64 -> *small, else decimal -> *big.
void decodeLong(const unsigned char* bytes, qint64 length, qint64* small, QString* big, bool* fits)
{
    const bool negative = length > 0 && (bytes[length - 1] & 0x80);
    const unsigned char fill = negative ? 0xFF : 0x00;
    // Drop redundant sign bytes so that a long encoding of a small number still fits.
    while (length > 1 && bytes[length - 1] == fill && bool(bytes[length - 2] & 0x80) == negative)
        --length;
    if (length <= 8) {
        quint64 raw = negative ? ~quint64(0) : 0;
        for (qint64 i = 0; i < length; ++i) {
            raw &= ~(quint64(0xFF) << (8 * i));
            raw |= quint64(bytes[i]) << (8 * i);
        }
        *small = qint64(raw);
        *fits = true;
        return;
    }
    // Magnitude in 32-bit limbs, least significant first; negate if negative.
    std::vector<quint32> limbs(size_t((length + 3) / 4), 0);
    for (qint64 i = 0; i < length; ++i)
        limbs[size_t(i / 4)] |= quint32(bytes[i]) << (8 * (i % 4));
    if (negative) {
        const int topBits = int(length % 4) * 8;
        if (topBits)  // sign-extend the partial top limb before negating
            limbs.back() |= ~quint32(0) << topBits;
        quint64 carry = 1;
        for (quint32& limb : limbs) {
            const quint64 sum = quint64(quint32(~limb)) + carry;
            limb = quint32(sum);
            carry = sum >> 32;
        }
    }
    // Repeated division by 10^9: nine decimal digits per pass.
    std::vector<quint32> chunks;
    while (!limbs.empty()) {
        quint64 remainder = 0;
        for (size_t i = limbs.size(); i-- > 0;) {
            const quint64 current = (remainder << 32) | limbs[i];
            limbs[i] = quint32(current / 1000000000u);
            remainder = current % 1000000000u;
        }
        chunks.push_back(quint32(remainder));
        while (!limbs.empty() && limbs.back() == 0)
            limbs.pop_back();
    }
    QString text = negative ? QStringLiteral("-") : QString();
    text += QString::number(chunks.back());
    for (size_t i = chunks.size() - 1; i-- > 0;)
        text += QStringLiteral("%1").arg(chunks[i], 9, 10, QLatin1Char('0'));
    *big = text;
    *fits = false;
}

// Python's float() of a FLOAT line (repr output: "1.5", "1e+300", "inf", "nan").
bool parseFloat(QByteArrayView text, double* out)
{
    QByteArray word = trimmed(text).toByteArray();
    bool ok = false;
    *out = word.toDouble(&ok);
    if (ok)
        return true;
    word = word.toLower();
    const bool negative = word.startsWith('-');
    if (negative || word.startsWith('+'))
        word.remove(0, 1);
    if (word == "inf" || word == "infinity")
        *out = negative ? -qInf() : qInf();
    else if (word == "nan")
        *out = qQNaN();
    else
        return false;
    return true;
}

bool hexValue(char c, unsigned* value)
{
    if (c >= '0' && c <= '9')
        *value = unsigned(c - '0');
    else if (c >= 'a' && c <= 'f')
        *value = unsigned(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
        *value = unsigned(c - 'A' + 10);
    else
        return false;
    return true;
}

// The STRING line: a quoted Python 2 repr, decoded like codecs.escape_decode.
bool decodeQuotedString(QByteArrayView line, QByteArray* out, QString* problem)
{
    if (line.size() < 2 || line.front() != line.back() || (line.front() != '\'' && line.front() != '"')) {
        *problem = QStringLiteral("the STRING argument must be quoted");
        return false;
    }
    const QByteArrayView text = line.sliced(1, line.size() - 2);
    out->clear();
    out->reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '\\') {
            out->append(c);
            continue;
        }
        if (++i >= text.size()) {
            *problem = QStringLiteral("trailing \\ in the string");
            return false;
        }
        const char e = text[i];
        switch (e) {
        case '\n': break;  // line continuation
        case '\\': out->append('\\'); break;
        case '\'': out->append('\''); break;
        case '"': out->append('"'); break;
        case 'a': out->append('\a'); break;
        case 'b': out->append('\b'); break;
        case 'f': out->append('\f'); break;
        case 'n': out->append('\n'); break;
        case 'r': out->append('\r'); break;
        case 't': out->append('\t'); break;
        case 'v': out->append('\v'); break;
        case 'x': {
            unsigned high = 0, low = 0;
            if (i + 2 >= text.size() || !hexValue(text[i + 1], &high) || !hexValue(text[i + 2], &low)) {
                *problem = QStringLiteral("invalid \\x escape at position %1").arg(i - 1);
                return false;
            }
            out->append(char(high * 16 + low));
            i += 2;
            break;
        }
        default:
            if (e >= '0' && e <= '7') {  // up to three octal digits, taken modulo 256
                unsigned value = unsigned(e - '0');
                for (int digits = 1; digits < 3 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7'; ++digits)
                    value = value * 8 + unsigned(text[++i] - '0');
                out->append(char(value & 0xFF));
            } else {  // unknown escapes stay as written
                out->append('\\');
                out->append(e);
            }
            break;
        }
    }
    return true;
}

void appendCodePoint(QString* out, char32_t code)
{
    if (code > 0xFFFF) {
        out->append(QChar::highSurrogate(code));
        out->append(QChar::lowSurrogate(code));
    } else {
        out->append(QChar(char16_t(code)));  // lone surrogates survive, as Python keeps them
    }
}

// The UNICODE line: raw-unicode-escape, i.e. Latin-1 bytes except \uXXXX and \UXXXXXXXX, which
// count only after an odd number of backslashes.
bool decodeRawUnicodeEscape(QByteArrayView line, QString* out, QString* problem)
{
    out->clear();
    out->reserve(line.size());
    qsizetype i = 0;
    while (i < line.size()) {
        if (line[i] != '\\') {
            out->append(QChar(uchar(line[i++])));
            continue;
        }
        const qsizetype run = i;
        for (; i < line.size() && line[i] == '\\'; ++i)
            out->append(u'\\');
        if ((i - run) % 2 == 0 || i >= line.size() || (line[i] != 'u' && line[i] != 'U'))
            continue;
        out->chop(1);  // that backslash starts the escape
        const int digits = line[i] == 'u' ? 4 : 8;
        ++i;
        char32_t code = 0;
        for (int d = 0; d < digits; ++d, ++i) {
            unsigned value = 0;
            if (i >= line.size() || !hexValue(line[i], &value)) {
                *problem = digits == 4 ? QStringLiteral("truncated \\uXXXX escape") : QStringLiteral("truncated \\UXXXXXXXX escape");
                return false;
            }
            code = code * 16 + value;
        }
        if (code > 0x10FFFF) {
            *problem = QStringLiteral("\\Uxxxxxxxx out of range");
            return false;
        }
        appendCodePoint(out, code);
    }
    return true;
}

// ---- the machine ---------------------------------------------------------------------------------

// The keys Python compares in a container: a set's items, a dict's (or a dict subclass
// instance's) entry keys.
bool keyedByItems(const Value* container)
{
    return container->kind == ValueKind::Set || container->kind == ValueKind::FrozenSet;
}

size_t keyCount(const Value* container)
{
    return keyedByItems(container) ? container->items.size() : container->entries().size();
}

const Value* keyAt(const Value* container, size_t at)
{
    return keyedByItems(container) ? container->items[at] : container->entries()[at].first;
}

class Unpickler final : public ValueBuilder {
public:
    Unpickler(Checkpoint& checkpoint, const PickleLimits& limits, const PickleMachine::PersistentLoader& loader,
              bool torchScript, const QString& pickleName, const char* data, qint64 size,
              const PickleMachine::JoblibArrays* joblib = nullptr)
        : m_checkpoint(checkpoint), m_limits(limits), m_loader(loader), m_torchScript(torchScript),
          m_pickleName(pickleName), m_joblib(joblib),
          m_data(reinterpret_cast<const unsigned char*>(data)), m_size(size), m_walker(data, size),
          m_arenaStart(checkpoint.arena.size()), m_globals(checkpoint, *this)
    {
        for (const QString& name : checkpoint.globals)
            m_listed.insert(name);
    }

    Result<Value*> run(qint64* end);
    int protocol() const { return m_protocol; }
    bool sawJoblibArrays() const { return m_sawJoblib; }

    Value* make(ValueKind kind) override
    {
        Value* value = m_checkpoint.arena.make(kind);
        if (holdsValues(kind))
            value->depth = 1;
        return value;
    }
    Status setItem(Value* dict, Value* key, Value* value) override;
    Status addItem(Value* set, Value* item) override;

private:
    // errors
    QString where() const;
    Error error(ErrorCode code, const QString& problem) const;
    Error corrupt(const QString& problem) const { return error(ErrorCode::Corrupt, problem); }
    Error truncated(qint64 needed) const;
    Error runsPastEnd(const PickleOp& op, const char* what) const;
    Error underflow() const { return corrupt(QStringLiteral("stack underflow")); }
    // Notes (never fails) a place other unpicklers read differently: a read across a FRAME's end
    // (see PickleFrameProblem), a memo key stored twice, PROTO after the first opcode.
    void noteDifference(const QString& what);
    void noteFrameProblem(const PickleOp& op);
    Result<Value*> runOpcodes(qint64* end);
    // The globals other readings reach: past the failing opcode, and as CPython's file unpickler
    // reads a pickle that straddles a frame.
    void sweepOtherReadings(bool failed);

    // operands, as the walker found them
    Error argumentProblem(const PickleOp& op) const;
    QByteArrayView argBytes(const PickleOp& op) const
    {
        return QByteArrayView(reinterpret_cast<const char*>(m_data + op.argOffset), qsizetype(op.argLength));
    }

    // the stack
    size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    Status push(Value* value);
    Status pop(Value** value);
    Status top(Value** value);
    Status popMark(std::vector<Value*>* items);

    // values
    Value* none();
    Value* boolean(bool value);
    Value* integer(qint64 value);
    Value* emptyTuple();
    Status adopt(Value* parent, const Value* child);
    Status account(Value* value);
    Result<Value*> sequence(ValueKind kind, std::vector<Value*> items);
    KeyPositions& keyPositions(Value* container);
    std::pair<size_t, bool> findOrAddKey(KeyPositions& positions, const Value* container, const Value* key,
                                         size_t position);

    Status step(const PickleOp& op);
    Status pushInteger(QByteArrayView text);
    Status pushLong(const PickleOp& op);
    Status pushFloatText(const PickleOp& op);
    Status pushBinFloat(const PickleOp& op);
    Status pushStringOp(const PickleOp& op, bool python2);
    Status pushQuotedString(const PickleOp& op);
    Value* python2String(QByteArrayView bytes);
    Status pushUnicodeLine(const PickleOp& op);
    Status pushBytesOp(const PickleOp& op);
    Status pushTuple(size_t count);
    Status pushFromMark(ValueKind kind);
    Status pushDictFromMark();
    Status appendTo(Value* target, const std::vector<Value*>& items);
    Status setItemsOn(Value* target, const std::vector<Value*>& pairs);
    Status addItemsTo(Value* target, const std::vector<Value*>& items);
    Status append();
    Status appends();
    Status setItemOp();
    Status setItemsOp();
    Status addItemsOp();
    Status global(const PickleOp& op);
    Status stackGlobal();
    Status inst(const PickleOp& op);
    Status obj();
    Status reduce(CallKind kind);
    Status newObjEx();
    Status instantiate(Value* callee, Value* args, CallKind kind);
    Status build();
    Status buildDict(Value* dict, Value* state);
    Status joblibArray(Value* state);
    Status persistentId(Value* pid);
    Status persIdLine(const PickleOp& op);
    Status memoGet(quint64 key);
    Status memoPut(quint64 key);
    Status memoIndexLine(const PickleOp& op, quint64* key);
    Status memoOp(const PickleOp& op, bool put);
    Result<Value*> namedGlobal(const QString& module, const QString& name);
    void listGlobal(const QString& name);

    Checkpoint& m_checkpoint;
    const PickleLimits& m_limits;
    const PickleMachine::PersistentLoader& m_loader;
    const bool m_torchScript;
    const QString& m_pickleName;
    const PickleMachine::JoblibArrays* m_joblib;  // null: joblib's array data is not read
    bool m_sawJoblib = false;
    bool m_framesDiffer = false;  // a frame problem was noted in this pickle
    // Bytes literals that begin as a binary pickle does (PROTO): a call the file makes may
    // unpickle them. (offset, length) of the first few, swept when the file proves unsafe.
    std::vector<std::pair<qint64, qint64>> m_nestedPickles;
    bool m_sawProto = false;
    const unsigned char* const m_data;
    const qint64 m_size;
    PickleOpWalker m_walker;
    const size_t m_arenaStart;
    qint64 m_opStart = 0;
    quint8 m_op = 0;
    int m_protocol = 0;
    qint64 m_items = 0;  // container slots filled, bounded by PickleLimits::maxItems

    std::vector<Value*> m_stack;
    std::vector<size_t> m_marks;  // stack heights at each MARK (CPython's metastack)
    MemoTable<Value*, nullptr> m_memo;
    std::unordered_map<const Value*, KeyPositions> m_keyPositions;  // references stay valid as it grows
    // SETITEMS fills one dict a thousand keys at a time: the last index used, without a lookup.
    const Value* m_lastIndexed = nullptr;
    KeyPositions* m_lastPositions = nullptr;
    PythonKeyMaker m_keys;
    QSet<QString> m_listed;

    // Immutable values shared like Python's own singletons: no opcode or interpretation
    // mutates them, and they keep long runs of small numbers from filling the arena.
    Value* m_none = nullptr;
    Value* m_true = nullptr;
    Value* m_false = nullptr;
    Value* m_emptyTuple = nullptr;
    std::array<Value*, 256> m_smallInts{};

    TorchGlobals m_globals;
};

// ---- errors ------------------------------------------------------------------------------------

QString Unpickler::where() const
{
    const char* name = opcodeName(m_op);
    const QString op = name ? QLatin1String(name) : QStringLiteral("opcode 0x%1").arg(m_op, 2, 16, QLatin1Char('0'));
    return QStringLiteral("%1 at byte %2").arg(op).arg(m_opStart);
}

void Unpickler::noteDifference(const QString& what)
{
    const QString note = QStringLiteral("%1: %2: %3").arg(m_pickleName, where(), what);
    if (m_checkpoint.readingDifferences.size() < 20) {  // the first ones say it all
        m_checkpoint.readingDifferences.append(note);
        m_checkpoint.warnings.append(note);
    }
}

void Unpickler::noteFrameProblem(const PickleOp& op)
{
    m_framesDiffer = true;
    const QString what = op.frameProblem == PickleFrameProblem::FrameReopened
        ? QStringLiteral("a new FRAME starts before the frame ending at byte %1 is used up").arg(op.frameEnd)
        : QStringLiteral("its argument reads across the end of the frame at byte %1").arg(op.frameEnd);
    noteDifference(QStringLiteral("%1: Python's pickle refuses this pickle and _pickle.c (torch.load) "
                                  "before Python 3.13.15/3.14.7 reads other opcodes from it than were listed here")
                       .arg(what));
}

Error Unpickler::error(ErrorCode code, const QString& problem) const
{
    return makeError(code, QStringLiteral("pickle: %1: %2").arg(where(), problem), m_opStart);
}

Error Unpickler::truncated(qint64 needed) const
{
    const qint64 left = m_size - (m_opStart + 1);  // after the opcode byte
    return error(ErrorCode::Truncated, QStringLiteral("truncated: needs %1 more bytes, %2 left").arg(needed).arg(left));
}

Error Unpickler::runsPastEnd(const PickleOp& op, const char* what) const
{
    // The walker compared the claim with what is left before anything was allocated: a claim of
    // 2^62 bytes fails here, not in malloc.
    return makeError(ErrorCode::Truncated, QStringLiteral("pickle: %1 of %2 bytes at byte %3 runs past the end of the pickle (%4 bytes left; truncated?)")
                                               .arg(QLatin1String(what)).arg(op.value).arg(m_opStart).arg(m_size - op.argOffset),
                     m_opStart);
}

// What a length-prefixed payload is called in messages.
const char* payloadName(PickleArgKind kind)
{
    switch (kind) {
    case PickleArgKind::Long1:
    case PickleArgKind::Long4: return "integer";
    case PickleArgKind::Bytes1:
    case PickleArgKind::Bytes4:
    case PickleArgKind::Bytes8: return "bytes object";
    case PickleArgKind::Bytearray8: return "bytearray";
    default: return "string";
    }
}

Error Unpickler::argumentProblem(const PickleOp& op) const
{
    switch (op.problem) {
    case PickleArgProblem::FieldCut:
        return truncated(opcodeInfo(op.byte()).width);
    case PickleArgProblem::NegativeLength:
        return corrupt(QStringLiteral("negative byte count %1").arg(qint32(quint32(op.value))));
    case PickleArgProblem::PayloadCut:
        return runsPastEnd(op, payloadName(op.arg()));
    case PickleArgProblem::NoNewline:
        return error(ErrorCode::Truncated, QStringLiteral("truncated: the text argument has no end of line"));
    case PickleArgProblem::UnknownOpcode:
    case PickleArgProblem::None:
        break;
    }
    return makeError(ErrorCode::Corrupt, QStringLiteral("pickle: unknown opcode 0x%1 at byte %2").arg(m_op, 2, 16, QLatin1Char('0')).arg(m_opStart), m_opStart);
}

// ---- the stack ---------------------------------------------------------------------------------

Status Unpickler::push(Value* value)
{
    if (qint64(m_stack.size() + m_marks.size()) >= m_limits.maxStack)
        return error(ErrorCode::LimitExceeded, QStringLiteral("more than %1 values on the stack").arg(m_limits.maxStack));
    m_stack.push_back(value);
    return Ok{};
}

// Python 3 keeps the items since the last MARK on a stack of their own: popping below a MARK is
// an underflow, not a way to reach the items under it.
Status Unpickler::pop(Value** value)
{
    if (m_stack.size() <= floor())
        return underflow();
    *value = m_stack.back();
    m_stack.pop_back();
    return Ok{};
}

Status Unpickler::top(Value** value)
{
    if (m_stack.size() <= floor())
        return underflow();
    *value = m_stack.back();
    return Ok{};
}

Status Unpickler::popMark(std::vector<Value*>* items)
{
    if (m_marks.empty())
        return corrupt(QStringLiteral("no MARK on the stack"));
    const size_t mark = m_marks.back();
    m_marks.pop_back();
    items->assign(m_stack.begin() + qptrdiff(mark), m_stack.end());
    m_stack.resize(mark);
    return Ok{};
}

// ---- values ------------------------------------------------------------------------------------

Value* Unpickler::none()
{
    if (!m_none)
        m_none = make(ValueKind::None);
    return m_none;
}

Value* Unpickler::boolean(bool value)
{
    Value*& slot = value ? m_true : m_false;
    if (!slot) {
        slot = make(ValueKind::Bool);
        slot->boolean = value;
    }
    return slot;
}

Value* Unpickler::integer(qint64 value)
{
    const bool cached = value >= 0 && value < qint64(m_smallInts.size());
    if (cached && m_smallInts[size_t(value)])
        return m_smallInts[size_t(value)];
    Value* result = make(ValueKind::Int);
    result->integer = value;
    if (cached)
        m_smallInts[size_t(value)] = result;
    return result;
}

Value* Unpickler::emptyTuple()
{
    if (!m_emptyTuple)
        m_emptyTuple = make(ValueKind::Tuple);
    return m_emptyTuple;
}

// Records that `parent` now holds `child`. Depth is kept per value and updated here, at
// insertion, so no walk over the (possibly cyclic, possibly huge) graph is ever needed. A
// container filled after it was itself inserted somewhere does not update its holders: the
// bound is on how the pickle builds, and walkers keep their own depth limits.
Status Unpickler::adopt(Value* parent, const Value* child)
{
    if (++m_items > m_limits.maxItems)
        return error(ErrorCode::LimitExceeded, QStringLiteral("more than %1 container items").arg(m_limits.maxItems));
    if (child && child->depth >= parent->depth) {
        if (child->depth >= m_limits.maxDepth)
            return makeError(ErrorCode::LimitExceeded, QStringLiteral("pickle: nesting deeper than %1 levels at byte %2").arg(m_limits.maxDepth).arg(m_opStart), m_opStart);
        parent->depth = child->depth + 1;
    }
    return Ok{};
}

// Depth and size accounting for a value interpretation made from existing values: the items it
// copied (set(list), OrderedDict(pairs)), or the bytes it produced (_codecs.encode), count like
// items the pickle filled itself, so that calling it again and again on one big memoized value
// cannot multiply memory.
Status Unpickler::account(Value* value)
{
    if (value->kind == ValueKind::Bytes) {
        m_items += value->bytes().size() / 8;
        if (m_items > m_limits.maxItems)
            return error(ErrorCode::LimitExceeded, QStringLiteral("more than %1 container items").arg(m_limits.maxItems));
        return Ok{};
    }
    if (!holdsValues(value->kind))
        return Ok{};
    for (const Value* item : value->items) {
        if (Status status = adopt(value, item); !status)
            return status;
    }
    for (const auto& [key, item] : value->entries()) {
        if (Status status = adopt(value, key); !status)
            return status;
        if (Status status = adopt(value, item); !status)
            return status;
    }
    for (const Value* part : {value->args(), value->state(), value->attributes()}) {
        if (part) {
            if (Status status = adopt(value, part); !status)
                return status;
        }
    }
    return Ok{};
}

Result<Value*> Unpickler::sequence(ValueKind kind, std::vector<Value*> items)
{
    if (kind == ValueKind::Tuple && items.empty())
        return emptyTuple();
    Value* value = make(kind);
    for (const Value* item : items) {
        if (Status status = adopt(value, item); !status)
            return status.error();
    }
    value->items = std::move(items);
    return value;
}

// The dict's entries or the set's items, indexed by key. Entries that reached the container some
// other way (a persistent loader's value) are indexed first: the first occurrence of a key is the
// one that stays.
KeyPositions& Unpickler::keyPositions(Value* container)
{
    if (container != m_lastIndexed) {
        m_lastPositions = &m_keyPositions[container];
        m_lastIndexed = container;
    }
    KeyPositions& positions = *m_lastPositions;
    for (; positions.indexed < keyCount(container); ++positions.indexed)
        findOrAddKey(positions, container, keyAt(container, positions.indexed), positions.indexed);
    return positions;
}

std::pair<size_t, bool> Unpickler::findOrAddKey(KeyPositions& positions, const Value* container, const Value* key,
                                                size_t position)
{
    const PythonKey wanted = m_keys(key);
    return positions.index.findOrAdd(PythonKeyMaker::hash(wanted), position,
                                     [&](size_t at) { return m_keys(keyAt(container, at)) == wanted; });
}

Status Unpickler::setItem(Value* dict, Value* key, Value* value)
{
    if (dict->kind != ValueKind::Dict && dict->kind != ValueKind::Object)
        return corrupt(QStringLiteral("the target is a %1, not a dict").arg(kindName(dict->kind)));
    KeyPositions& positions = keyPositions(dict);
    const auto [position, added] = findOrAddKey(positions, dict, key, dict->entries().size());
    if (!added) {  // Python keeps the first key's place and takes the new value
        dict->extras().entries[position].second = value;
        return Ok{};
    }
    dict->extras().entries.emplace_back(key, value);
    positions.indexed = keyCount(dict);
    return Ok{};
}

Status Unpickler::addItem(Value* set, Value* item)
{
    if (set->kind != ValueKind::Set && set->kind != ValueKind::FrozenSet)
        return corrupt(QStringLiteral("the target is a %1, not a set").arg(kindName(set->kind)));
    KeyPositions& positions = keyPositions(set);
    if (!findOrAddKey(positions, set, item, set->items.size()).second)
        return Ok{};
    set->items.push_back(item);
    positions.indexed = keyCount(set);
    return Ok{};
}

// ---- the run loop --------------------------------------------------------------------------------

Result<Value*> Unpickler::run(qint64* end)
{
    Result<Value*> result = runOpcodes(end);
    sweepOtherReadings(!result);
    return result;
}

void Unpickler::sweepOtherReadings(bool failed)
{
    const char* data = reinterpret_cast<const char*>(m_data);
    if (failed) {
        SweepOptions options;
        options.from = m_opStart;
        addOtherReadings(m_checkpoint, OtherReading::Kind::AfterError, m_pickleName, 0,
                         sweepGlobals(data, m_size, options), m_torchScript);
    }
    if (m_framesDiffer) {
        const FileReadReplay replay = replayAsFileUnpickler(data, m_size);
        QVector<SweptGlobal> swept = sweepGlobals(replay.bytes.constData(), replay.bytes.size());
        for (SweptGlobal& found : swept)
            found.offset = replay.inputOffset(found.offset);
        addOtherReadings(m_checkpoint, OtherReading::Kind::FileUnpickler, m_pickleName, 0, swept, m_torchScript);
    }
    // A pickle inside a bytes literal runs only when something the file calls unpickles it
    // (pickle.loads, a loader's own reduce): swept only once the file is known to be unsafe, so
    // that checkpoints holding pickled blobs as data pay nothing and are not flagged for them.
    if (!m_nestedPickles.empty() && !m_checkpoint.unsafeGlobals.isEmpty()) {
        SweepOptions options;
        options.acrossStops = true;
        options.nestedLevels = 3;  // and the pickles inside those: fickling's nested sample goes two deep
        for (const auto& [offset, length] : m_nestedPickles)
            addOtherReadings(m_checkpoint, OtherReading::Kind::NestedPickle, m_pickleName, offset,
                             sweepGlobals(data + offset, length, options), m_torchScript);
    }
}

Result<Value*> Unpickler::runOpcodes(qint64* end)
{
    PickleOp op;
    while (m_walker.next(&op)) {
        m_opStart = op.offset;
        m_op = op.byte();
        if (Q_UNLIKELY(op.frameProblem != PickleFrameProblem::None))
            noteFrameProblem(op);
        if (op.opcode == Opcode::Stop) {
            Value* result = nullptr;
            if (Status status = pop(&result); !status)
                return status.error();
            if (end)
                *end = m_walker.position();
            return result;
        }
        if (Status status = step(op); !status)
            return status.error();
        if (qint64(m_checkpoint.arena.size() - m_arenaStart) > m_limits.maxValues)
            return error(ErrorCode::LimitExceeded, QStringLiteral("more than %1 values").arg(m_limits.maxValues));
    }
    return makeError(ErrorCode::Truncated, QStringLiteral("pickle: truncated: the data ends at byte %1 before STOP").arg(m_size), m_size);
}

Status Unpickler::step(const PickleOp& op)
{
    // An argument the walker found cut, negative or unknown fails before any use of it, except
    // where CPython decides otherwise first: LONG1/LONG4 bound their length (pushLong), and
    // extension codes are refused whatever follows them.
    if (Q_UNLIKELY(op.problem != PickleArgProblem::None) && op.opcode != Opcode::Long1 && op.opcode != Opcode::Long4
        && op.opcode != Opcode::Ext1 && op.opcode != Opcode::Ext2 && op.opcode != Opcode::Ext4)
        return argumentProblem(op);
    switch (op.opcode) {
    case Opcode::Proto:
        if (op.value > quint64(kHighestProtocol))
            return error(ErrorCode::Unsupported, QStringLiteral("unsupported pickle protocol %1").arg(op.value));
        // CPython takes PROTO anywhere, and each one changes how later GLOBALs of protocol < 3
        // are renamed; its picklers write one, first. A scanner that reads the protocol from the
        // first opcode names other globals.
        if (op.offset != 0 || m_sawProto)
            noteDifference(QStringLiteral("PROTO %1 is not the pickle's first opcode: CPython switches protocols here, "
                                          "and a reader that takes the protocol from the start names later globals differently")
                               .arg(op.value));
        m_sawProto = true;
        m_protocol = int(op.value);
        return Ok{};
    case Opcode::Frame: {  // advisory: the opcodes inside read the same without it
        const qint64 left = m_size - m_walker.position();
        if (op.value > quint64(left))
            return error(ErrorCode::Truncated, QStringLiteral("truncated: a frame of %1 bytes, %2 left").arg(op.value).arg(left));
        return Ok{};
    }
    case Opcode::Mark:
        if (qint64(m_stack.size() + m_marks.size()) >= m_limits.maxStack)
            return error(ErrorCode::LimitExceeded, QStringLiteral("more than %1 values on the stack").arg(m_limits.maxStack));
        m_marks.push_back(m_stack.size());
        return Ok{};
    case Opcode::Pop:
        // Like CPython: POP on an empty frame discards the MARK itself.
        if (m_stack.size() > floor())
            m_stack.pop_back();
        else if (!m_marks.empty())
            m_marks.pop_back();
        else
            return underflow();
        return Ok{};
    case Opcode::PopMark: {
        std::vector<Value*> discarded;
        return popMark(&discarded);
    }
    case Opcode::Dup: {
        Value* value = nullptr;
        if (Status status = top(&value); !status)
            return status;
        return push(value);
    }
    case Opcode::None: return push(none());
    case Opcode::NewTrue: return push(boolean(true));
    case Opcode::NewFalse: return push(boolean(false));
    case Opcode::BinInt:
        return push(integer(qint32(quint32(op.value))));
    case Opcode::BinInt1:
    case Opcode::BinInt2:
        return push(integer(qint64(op.value)));
    case Opcode::Int:
    case Opcode::Long: {
        QByteArrayView line = argBytes(op);
        if (op.opcode == Opcode::Int && (line == "00" || line == "01"))  // protocol 0's False and True
            return push(boolean(line == "01"));
        if (op.opcode == Opcode::Long && line.endsWith('L'))
            line.chop(1);
        return pushInteger(line);
    }
    case Opcode::Long1:
    case Opcode::Long4: return pushLong(op);
    case Opcode::Float: return pushFloatText(op);
    case Opcode::BinFloat: return pushBinFloat(op);
    case Opcode::String: return pushQuotedString(op);
    case Opcode::BinString:
    case Opcode::ShortBinString: return pushStringOp(op, true);
    case Opcode::Unicode: return pushUnicodeLine(op);
    case Opcode::BinUnicode:
    case Opcode::ShortBinUnicode:
    case Opcode::BinUnicode8: return pushStringOp(op, false);
    case Opcode::BinBytes:
    case Opcode::ShortBinBytes:
    case Opcode::BinBytes8:
    case Opcode::ByteArray8: return pushBytesOp(op);
    case Opcode::EmptyTuple: return push(emptyTuple());
    case Opcode::EmptyList: return push(make(ValueKind::List));
    case Opcode::EmptyDict: return push(make(ValueKind::Dict));
    case Opcode::EmptySet: return push(make(ValueKind::Set));
    case Opcode::Tuple1: return pushTuple(1);
    case Opcode::Tuple2: return pushTuple(2);
    case Opcode::Tuple3: return pushTuple(3);
    case Opcode::Tuple: return pushFromMark(ValueKind::Tuple);
    case Opcode::List: return pushFromMark(ValueKind::List);
    case Opcode::FrozenSet: return pushFromMark(ValueKind::FrozenSet);
    case Opcode::Dict: return pushDictFromMark();
    case Opcode::Append: return append();
    case Opcode::Appends: return appends();
    case Opcode::SetItem: return setItemOp();
    case Opcode::SetItems: return setItemsOp();
    case Opcode::AddItems: return addItemsOp();
    case Opcode::Global: return global(op);
    case Opcode::StackGlobal: return stackGlobal();
    case Opcode::Inst: return inst(op);
    case Opcode::Obj: return obj();
    case Opcode::Reduce: return reduce(CallKind::Call);
    case Opcode::NewObj: return reduce(CallKind::New);
    case Opcode::NewObjEx: return newObjEx();
    case Opcode::Build: return build();
    case Opcode::PersId: return persIdLine(op);
    case Opcode::BinPersId: {
        Value* pid = nullptr;
        if (Status status = pop(&pid); !status)
            return status;
        return persistentId(pid);
    }
    case Opcode::Get: {
        quint64 key = 0;
        if (Status status = memoIndexLine(op, &key); !status)
            return status;
        return memoGet(key);
    }
    case Opcode::Put: {
        quint64 key = 0;
        if (Status status = memoIndexLine(op, &key); !status)
            return status;
        return memoPut(key);
    }
    case Opcode::BinGet:
    case Opcode::LongBinGet: return memoOp(op, false);
    case Opcode::BinPut:
    case Opcode::LongBinPut: return memoOp(op, true);
    case Opcode::Memoize: return memoPut(quint64(m_memo.size()));
    case Opcode::Ext1:
    case Opcode::Ext2:
    case Opcode::Ext4:
        return error(ErrorCode::Unsupported, QStringLiteral("copyreg extension codes are not supported"));
    case Opcode::NextBuffer:
    case Opcode::ReadOnlyBuffer:
        return error(ErrorCode::Unsupported, QStringLiteral("out-of-band buffers are not supported"));
    case Opcode::Stop:
        break;  // handled by run()
    }
    return argumentProblem(op);  // not reached: a byte that is no opcode has a problem
}

// ---- scalars -------------------------------------------------------------------------------------

Status Unpickler::pushInteger(QByteArrayView text)
{
    if (trimmed(text).size() > kMaxLongDigits + 1)
        return error(ErrorCode::LimitExceeded, QStringLiteral("an integer of more than %1 digits").arg(kMaxLongDigits));
    qint64 small = 0;
    QString big;
    bool fits = false;
    if (!parseDecimal(text, &small, &big, &fits))
        return corrupt(QStringLiteral("%1 is not an integer").arg(quotedArgument(text)));
    if (fits)
        return push(integer(small));
    Value* value = make(ValueKind::BigInt);
    value->text = std::move(big);
    return push(value);
}

Status Unpickler::pushLong(const PickleOp& op)
{
    // The bound on the length comes before the check that the bytes are there: a huge claim is
    // a limit, whatever is left.
    if (op.problem == PickleArgProblem::FieldCut)
        return argumentProblem(op);
    const qint64 length = op.opcode == Opcode::Long1 ? qint64(op.value) : qint64(qint32(quint32(op.value)));
    if (length < 0)
        return corrupt(QStringLiteral("negative byte count %1").arg(length));
    if (length > kMaxLongBytes)
        return error(ErrorCode::LimitExceeded, QStringLiteral("an integer of %1 bytes (at most %2)").arg(length).arg(kMaxLongBytes));
    if (op.problem != PickleArgProblem::None)
        return argumentProblem(op);
    const QByteArrayView bytes = argBytes(op);
    qint64 small = 0;
    QString big;
    bool fits = false;
    decodeLong(reinterpret_cast<const unsigned char*>(bytes.data()), length, &small, &big, &fits);
    if (fits)
        return push(integer(small));
    Value* value = make(ValueKind::BigInt);
    value->text = std::move(big);
    return push(value);
}

Status Unpickler::pushFloatText(const PickleOp& op)
{
    const QByteArrayView line = argBytes(op);
    Value* value = make(ValueKind::Float);
    if (!parseFloat(line, &value->real))
        return corrupt(QStringLiteral("%1 is not a float").arg(quotedArgument(line)));
    return push(value);
}

Status Unpickler::pushBinFloat(const PickleOp& op)
{
    Value* value = make(ValueKind::Float);
    std::memcpy(&value->real, &op.value, sizeof op.value);  // the walker read it big-endian
    return push(value);
}

// torch.load decodes Python 2 `str` with encoding 'utf-8'; bytes that are not UTF-8 stay
// bytes rather than failing the whole file.
Value* Unpickler::python2String(QByteArrayView bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder.decode(bytes);
    if (!decoder.hasError()) {
        Value* value = make(ValueKind::String);
        value->text = std::move(text);
        return value;
    }
    Value* value = make(ValueKind::Bytes);
    value->extras().bytes = bytes.toByteArray();
    return value;
}

// The BINUNICODE family (UTF-8), or with `python2` the BINSTRING family (Python 2 str).
Status Unpickler::pushStringOp(const PickleOp& op, bool python2)
{
    const QByteArrayView bytes = argBytes(op);
    if (python2)
        return push(python2String(bytes));
    Value* value = make(ValueKind::String);
    // torch decodes with surrogatepass; QString keeps what UTF-8 can say and replaces the rest
    // (encoded lone surrogates become U+FFFD) instead of failing.
    value->text = QString::fromUtf8(bytes);
    return push(value);
}

Status Unpickler::pushQuotedString(const PickleOp& op)
{
    const QByteArrayView line = argBytes(op);
    QByteArray decoded;
    QString problem;
    if (!decodeQuotedString(line, &decoded, &problem))
        return corrupt(problem);
    return push(python2String(decoded));
}

Status Unpickler::pushUnicodeLine(const PickleOp& op)
{
    const QByteArrayView line = argBytes(op);
    Value* value = make(ValueKind::String);
    QString problem;
    if (!decodeRawUnicodeEscape(line, &value->text, &problem))
        return corrupt(problem);
    return push(value);
}

Status Unpickler::pushBytesOp(const PickleOp& op)
{
    const QByteArrayView bytes = argBytes(op);
    constexpr size_t kMaxNestedPickles = 16;
    if (m_nestedPickles.size() < kMaxNestedPickles && looksLikeBinaryPickle(bytes))
        m_nestedPickles.emplace_back(op.argOffset, bytes.size());
    Value* value = make(ValueKind::Bytes);
    value->extras().bytes = QByteArray(bytes.data(), bytes.size());
    return push(value);
}

// ---- containers ----------------------------------------------------------------------------------

Status Unpickler::pushTuple(size_t count)
{
    if (m_stack.size() - floor() < count)
        return underflow();
    std::vector<Value*> items(m_stack.end() - qptrdiff(count), m_stack.end());
    m_stack.resize(m_stack.size() - count);
    auto tuple = sequence(ValueKind::Tuple, std::move(items));
    return tuple ? push(*tuple) : Status(tuple.error());
}

Status Unpickler::pushFromMark(ValueKind kind)
{
    std::vector<Value*> items;
    if (Status status = popMark(&items); !status)
        return status;
    if (kind != ValueKind::FrozenSet) {
        auto value = sequence(kind, std::move(items));
        return value ? push(*value) : Status(value.error());
    }
    Value* set = make(ValueKind::FrozenSet);
    if (Status status = addItemsTo(set, items); !status)
        return status;
    return push(set);
}

Status Unpickler::pushDictFromMark()
{
    std::vector<Value*> pairs;
    if (Status status = popMark(&pairs); !status)
        return status;
    Value* dict = make(ValueKind::Dict);
    if (Status status = setItemsOn(dict, pairs); !status)
        return status;
    return push(dict);
}

Status Unpickler::appendTo(Value* target, const std::vector<Value*>& items)
{
    // An Object stands for an instance of a list subclass (whose append we never call).
    if (target->kind != ValueKind::List && target->kind != ValueKind::Object)
        return corrupt(QStringLiteral("the target is a %1, not a list").arg(kindName(target->kind)));
    for (Value* item : items) {
        if (Status status = adopt(target, item); !status)
            return status;
        target->items.push_back(item);
    }
    return Ok{};
}

Status Unpickler::setItemsOn(Value* target, const std::vector<Value*>& pairs)
{
    if (pairs.size() % 2 != 0)
        return corrupt(QStringLiteral("an odd number of items (%1) for key/value pairs").arg(pairs.size()));
    if (target->kind != ValueKind::Dict && target->kind != ValueKind::Object)
        return corrupt(QStringLiteral("the target is a %1, not a dict").arg(kindName(target->kind)));
    for (size_t i = 0; i < pairs.size(); i += 2) {
        if (Status status = adopt(target, pairs[i]); !status)
            return status;
        if (Status status = adopt(target, pairs[i + 1]); !status)
            return status;
        if (Status status = setItem(target, pairs[i], pairs[i + 1]); !status)
            return status;
    }
    return Ok{};
}

Status Unpickler::addItemsTo(Value* target, const std::vector<Value*>& items)
{
    // Sets keep equal items once; an Object (a set subclass) just records what was added.
    if (target->kind == ValueKind::Object)
        return appendTo(target, items);
    if (target->kind != ValueKind::Set && target->kind != ValueKind::FrozenSet)
        return corrupt(QStringLiteral("the target is a %1, not a set").arg(kindName(target->kind)));
    for (Value* item : items) {
        if (Status status = adopt(target, item); !status)
            return status;
        if (Status status = addItem(target, item); !status)
            return status;
    }
    return Ok{};
}

Status Unpickler::append()
{
    Value* item = nullptr;
    Value* target = nullptr;
    if (Status status = pop(&item); !status)
        return status;
    if (Status status = top(&target); !status)
        return status;
    return appendTo(target, {item});
}

Status Unpickler::appends()
{
    std::vector<Value*> items;
    Value* target = nullptr;
    if (Status status = popMark(&items); !status)
        return status;
    if (Status status = top(&target); !status)
        return status;
    return appendTo(target, items);
}

Status Unpickler::setItemOp()
{
    Value* value = nullptr;
    Value* key = nullptr;
    Value* target = nullptr;
    if (Status status = pop(&value); !status)
        return status;
    if (Status status = pop(&key); !status)
        return status;
    if (Status status = top(&target); !status)
        return status;
    return setItemsOn(target, {key, value});
}

Status Unpickler::setItemsOp()
{
    std::vector<Value*> pairs;
    Value* target = nullptr;
    if (Status status = popMark(&pairs); !status)
        return status;
    if (Status status = top(&target); !status)
        return status;
    return setItemsOn(target, pairs);
}

Status Unpickler::addItemsOp()
{
    std::vector<Value*> items;
    Value* target = nullptr;
    if (Status status = popMark(&items); !status)
        return status;
    if (Status status = top(&target); !status)
        return status;
    if (target->kind == ValueKind::FrozenSet)  // immutable once built, as in Python
        return corrupt(QStringLiteral("the target is a frozenset, not a set"));
    return addItemsTo(target, items);
}

// ---- globals and calls -----------------------------------------------------------------------------

void Unpickler::listGlobal(const QString& name)
{
    if (m_listed.contains(name))
        return;
    m_listed.insert(name);
    m_checkpoint.globals.append(name);
    // TorchScript classes are defined by the archive's own code, not imported from Python.
    const bool scriptClass = m_torchScript && name.startsWith(QLatin1String("__torch__."));
    if (!scriptClass && !isSafeGlobal(name))
        m_checkpoint.unsafeGlobals.append(name);
}

Result<Value*> Unpickler::namedGlobal(const QString& module, const QString& name)
{
    if (module.size() > kMaxNameLength || name.size() > kMaxNameLength)
        return corrupt(QStringLiteral("a module or class name of more than %1 characters").arg(kMaxNameLength));
    const QString qualified = qualifiedGlobalName(module, name, m_protocol);
    listGlobal(qualified);
    return m_globals.global(qualified);
}

Status Unpickler::global(const PickleOp& op)
{
    QByteArrayView module, name;
    globalLines(reinterpret_cast<const char*>(m_data), op, &module, &name);
    auto value = namedGlobal(QString::fromUtf8(module), QString::fromUtf8(name));
    return value ? push(*value) : Status(value.error());
}

Status Unpickler::stackGlobal()
{
    Value* name = nullptr;
    Value* module = nullptr;
    if (Status status = pop(&name); !status)
        return status;
    if (Status status = pop(&module); !status)
        return status;
    if (module->kind != ValueKind::String || name->kind != ValueKind::String)
        return corrupt(QStringLiteral("module and name must be strings, not %1 and %2").arg(kindName(module->kind), kindName(name->kind)));
    auto value = namedGlobal(module->text, name->text);
    return value ? push(*value) : Status(value.error());
}

Status Unpickler::inst(const PickleOp& op)
{
    QByteArrayView module, name;
    globalLines(reinterpret_cast<const char*>(m_data), op, &module, &name);
    std::vector<Value*> items;
    if (Status status = popMark(&items); !status)
        return status;
    auto cls = namedGlobal(QString::fromUtf8(module), QString::fromUtf8(name));
    if (!cls)
        return cls.error();
    auto args = sequence(ValueKind::Tuple, std::move(items));
    return args ? instantiate(*cls, *args, CallKind::Call) : Status(args.error());
}

Status Unpickler::obj()
{
    std::vector<Value*> items;
    if (Status status = popMark(&items); !status)
        return status;
    if (items.empty())
        return corrupt(QStringLiteral("no class after the MARK"));
    Value* cls = items.front();
    auto args = sequence(ValueKind::Tuple, std::vector<Value*>(items.begin() + 1, items.end()));
    return args ? instantiate(cls, *args, CallKind::Call) : Status(args.error());
}

Status Unpickler::reduce(CallKind kind)
{
    Value* args = nullptr;
    Value* callee = nullptr;
    if (Status status = pop(&args); !status)
        return status;
    if (Status status = pop(&callee); !status)
        return status;
    return instantiate(callee, args, kind);
}

Status Unpickler::newObjEx()
{
    Value* kwargs = nullptr;
    Value* args = nullptr;
    Value* cls = nullptr;
    if (Status status = pop(&kwargs); !status)
        return status;
    if (Status status = pop(&args); !status)
        return status;
    if (Status status = pop(&cls); !status)
        return status;
    const bool noKeywords = (kwargs->kind == ValueKind::Dict || kwargs->kind == ValueKind::Tuple) && kwargs->entries().empty() && kwargs->items.empty();
    if (noKeywords)
        return instantiate(cls, args, CallKind::New);
    // Keyword arguments: nothing we interpret takes them. The Object keeps them as a trailing
    // Dict after the positional arguments.
    std::vector<Value*> all = args->kind == ValueKind::Tuple || args->kind == ValueKind::List ? args->items : std::vector<Value*>{args};
    all.push_back(kwargs);
    auto packed = sequence(ValueKind::Tuple, std::move(all));
    if (!packed)
        return packed.error();
    Value* object = make(ValueKind::Object);
    object->extras().callee = cls;
    object->extras().args = *packed;
    if (Status status = adopt(object, *packed); !status)
        return status;
    return push(object);
}

Status Unpickler::instantiate(Value* callee, Value* args, CallKind kind)
{
    if (callee->kind == ValueKind::Global) {
        auto interpreted = m_globals.call(callee, args, kind);
        if (!interpreted) {
            Error failure = interpreted.error();
            failure.message = QStringLiteral("pickle: %1 at byte %2: %3").arg(callee->text).arg(m_opStart).arg(failure.message);
            failure.offset = m_opStart;
            return failure;
        }
        if (Value* value = *interpreted) {
            // The argument that restore_type_tag and build_intlist pass through was accounted
            // for when it was built; a new value is accounted for now.
            const bool passedThrough = !args->items.empty() && value == args->items.front();
            if (!passedThrough) {
                if (Status status = account(value); !status)
                    return status;
            }
            return push(value);
        }
    }
    // Anything else is described, never called.
    Value* object = make(ValueKind::Object);
    object->extras().callee = callee;
    object->extras().args = args;
    if (Status status = adopt(object, args); !status)
        return status;
    return push(object);
}

Status Unpickler::build()
{
    Value* state = nullptr;
    Value* target = nullptr;
    if (Status status = pop(&state); !status)
        return status;
    if (Status status = top(&target); !status)
        return status;
    switch (target->kind) {
    case ValueKind::Object: {
        // A second BUILD replaces the first state rather than merging into a dict that may be
        // shared through the memo.
        target->extras().state = state;
        if (m_joblib && target->callee() && target->callee()->kind == ValueKind::Global
            && target->callee()->text == QLatin1String("joblib.numpy_pickle.NumpyArrayWrapper")) {
            if (Status status = adopt(target, state); !status)
                return status;
            return joblibArray(state);
        }
        if (target->text == QLatin1String("numpy.ndarray")) {
            if (Status status = m_globals.buildArray(target, state); !status) {
                Error failure = status.error();
                failure.message = QStringLiteral("pickle: %1: %2").arg(where(), failure.message);
                failure.offset = m_opStart;
                return failure;
            }
        }
        return adopt(target, state);
    }
    case ValueKind::Dict:
        return buildDict(target, state);
    case ValueKind::Tensor: {
        auto applied = m_globals.build(target, state);
        if (!applied) {
            Error failure = applied.error();
            failure.message = QStringLiteral("pickle: %1: %2").arg(where(), failure.message);
            failure.offset = m_opStart;
            return failure;
        }
        return Ok{};
    }
    default:
        return corrupt(QStringLiteral("cannot apply state to a %1").arg(kindName(target->kind)));
    }
}

// joblib's NumpyArrayWrapper.read: the wrapper on the stack gives way to the array whose bytes
// follow the BUILD: after a padding-length byte and that many 0xff bytes (joblib 1.2+ aligns
// the data; older files have no numpy_array_alignment_bytes and no padding), the elements in the
// wrapper's order, or for object arrays a protocol 2 pickle of the array.
Status Unpickler::joblibArray(Value* state)
{
    const Value* shape = state->find(u"shape");
    const Value* order = state->find(u"order");
    const Value* dtype = state->find(u"dtype");
    const Value* alignment = state->find(u"numpy_array_alignment_bytes");
    QString code;
    if (!shape || shape->kind != ValueKind::Tuple || !dtype || dtype->kind != ValueKind::Object || dtype->text != QLatin1String("numpy.dtype")
        || !dtype->args() || dtype->args()->items.empty() || dtype->args()->items[0]->kind != ValueKind::String)
        return corrupt(QStringLiteral("a joblib array wrapper needs a shape tuple and a numpy.dtype"));
    code = dtype->args()->items[0]->text;
    TensorInfo array;
    for (const Value* dim : shape->items) {
        if (dim->kind != ValueKind::Int || dim->integer < 0)
            return corrupt(QStringLiteral("a joblib array's shape must hold sizes, got %1").arg(shape->summary(60)));
        array.shape.append(dim->integer);
    }
    qint64 numel = 0;
    if (!checkedNumel(array.shape, &numel))
        return corrupt(QStringLiteral("a joblib array of shape %1 has more than 2^63 elements").arg(shape->summary(60)));
    // The data lies outside frames: joblib ends the frame before writing it. Data a frame still
    // covers would be read by joblib from elsewhere in the file than by a frame-ignoring reader.
    if (m_walker.insideFrame())
        return corrupt(QStringLiteral("joblib array data inside a pickle FRAME"));
    qint64 position = m_walker.position();
    // Object arrays are pickled at once; only raw element data is aligned.
    if (alignment && alignment->kind == ValueKind::Int && !code.startsWith(u'O')) {
        if (position >= m_size)
            return truncated(1);
        position += 1 + qint64(m_data[position]);
        if (position > m_size)
            return error(ErrorCode::Truncated, QStringLiteral("joblib array padding runs past the end at byte %1").arg(m_size));
    }
    QString byteOrder = QStringLiteral("|");
    if (dtype->state() && dtype->state()->kind == ValueKind::Tuple && dtype->state()->items.size() > 1
        && dtype->state()->items[1]->kind == ValueKind::String)
        byteOrder = dtype->state()->items[1]->text;
    if (code.startsWith(u'O')) {
        // pickle.dump(array, protocol=2) in the stream: read by a machine of its own.
        const QString name = m_pickleName + QStringLiteral(" joblib object array (from byte %1)").arg(position);
        Unpickler nested(m_checkpoint, m_limits, m_loader, m_torchScript, name, reinterpret_cast<const char*>(m_data + position), m_size - position);
        qint64 used = 0;
        auto value = nested.run(&used);
        if (!value)
            return value.error();
        m_stack.back() = *value;
        m_walker.skipTo(position + used);
        m_sawJoblib = true;
        return Ok{};
    }
    const NumpyType type = describeNumpyArray(&array, byteOrder, code, order && order->kind == ValueKind::String && order->text == QLatin1String("F"));
    if (byteOrder == QLatin1String(">") && type.size > 1)
        array.numpyDtype = QStringLiteral(">") + code.section(u'>', -1);  // joblib.load keeps the file's byte order
    if (type.dtype == DType::Unknown)
        return corrupt(QStringLiteral("a joblib array of dtype %1: its size is not known here").arg(code.left(20)));
    if (numel > (m_size - position) / type.size)
        return error(ErrorCode::Truncated, QStringLiteral("a joblib %1 array of shape %2 needs %3 elements of %4 bytes at byte %5, the data ends at %6")
                                               .arg(array.numpyDtype, shape->summary(60)).arg(numel).arg(type.size).arg(position).arg(m_size));
    const qint64 nbytes = numel * type.size;
    StorageInfo storage;
    storage.key = QStringLiteral("joblib array %1").arg(m_checkpoint.storages.size());
    storage.dtype = type.dtype;
    storage.nbytes = nbytes;
    storage.location = QStringLiteral("cpu");
    storage.bigEndian = byteOrder == QLatin1String(">") && type.size > 1;
    if (m_joblib->fileOffset >= 0) {
        storage.file = m_joblib->file;
        storage.fileOffset = m_joblib->fileOffset + position;
    } else {
        storage.file = -1;
        storage.isInline = true;
        storage.inlineBytes = QByteArray(reinterpret_cast<const char*>(m_data + position), nbytes);
    }
    m_checkpoint.storages.append(storage);
    array.storage = int(m_checkpoint.storages.size() - 1);
    array.dtype = type.dtype;
    m_checkpoint.rebuilt.push_back(std::move(array));
    Value* tensor = make(ValueKind::Tensor);
    tensor->index = int(m_checkpoint.rebuilt.size() - 1);
    m_stack.back() = tensor;
    m_walker.skipTo(position + nbytes);
    m_sawJoblib = true;
    return Ok{};
}

// BUILD on a dict updates its instance attributes: how an OrderedDict gets `_metadata`. The
// state may also come as (dict, slots) from __reduce_ex__.
Status Unpickler::buildDict(Value* dict, Value* state)
{
    Value* attributes = state;
    if (state->kind == ValueKind::Tuple && state->items.size() == 2) {
        Value* first = state->items[0];
        attributes = first->kind == ValueKind::Dict ? first : state->items[1];
    }
    if (attributes->kind == ValueKind::None)
        return Ok{};
    if (attributes->kind != ValueKind::Dict)
        return corrupt(QStringLiteral("the state for a dict is a %1, not a dict of attributes").arg(kindName(attributes->kind)));
    dict->extras().attributes = attributes;
    return adopt(dict, attributes);
}

Status Unpickler::persistentId(Value* pid)
{
    if (!m_loader)
        return corrupt(QStringLiteral("persistent id without a loader"));
    auto loaded = m_loader(pid);
    if (!loaded) {
        Error failure = loaded.error();
        failure.message = QStringLiteral("pickle: persistent id at byte %1: %2").arg(m_opStart).arg(failure.message);
        if (failure.offset < 0)
            failure.offset = m_opStart;
        return failure;
    }
    if (!*loaded)
        return corrupt(QStringLiteral("the persistent id loader returned nothing"));
    return push(*loaded);
}

Status Unpickler::persIdLine(const PickleOp& op)
{
    const QByteArrayView line = argBytes(op);
    for (char c : line) {
        if (uchar(c) >= 0x80)
            return corrupt(QStringLiteral("persistent ids in protocol 0 must be ASCII strings"));
    }
    Value* pid = make(ValueKind::String);
    pid->text = QString::fromLatin1(line.data(), line.size());
    return persistentId(pid);
}

// ---- the memo ----------------------------------------------------------------------------------

Status Unpickler::memoIndexLine(const PickleOp& op, quint64* key)
{
    const QByteArrayView line = argBytes(op);
    qint64 small = 0;
    QString big;
    bool fits = false;
    if (!parseDecimal(line, &small, &big, &fits) || !fits)
        return corrupt(QStringLiteral("%1 is not a memo index").arg(quotedArgument(line)));
    if (small < 0)
        return corrupt(QStringLiteral("negative memo index %1").arg(small));
    *key = quint64(small);
    return Ok{};
}

Status Unpickler::memoOp(const PickleOp& op, bool put)
{
    return put ? memoPut(op.value) : memoGet(op.value);
}

Status Unpickler::memoGet(quint64 key)
{
    Value** slot = m_memo.find(key);
    if (!slot)
        return corrupt(QStringLiteral("memo entry %1 is missing").arg(key));
    return push(*slot);
}

// The memo holds references: a container stored before it is filled (the state dict, memoized
// right after its REDUCE) is the same value every later GET returns.
Status Unpickler::memoPut(quint64 key)
{
    Value* value = nullptr;
    if (Status status = top(&value); !status)
        return status;
    if (Value** slot = m_memo.find(key)) {
        // CPython keeps the later value; pickletools refuses the pickle ("memo key already
        // defined"), and a scanner that keeps the first value reads other names through later
        // GETs. No pickler writes a key twice.
        noteDifference(QStringLiteral("memo entry %1 is stored a second time: CPython keeps the later value, "
                                      "pickletools refuses the pickle, a scanner that keeps the first one reads other values")
                           .arg(key));
        *slot = value;
        return Ok{};
    }
    if (m_memo.size() >= m_limits.maxMemo)
        return error(ErrorCode::LimitExceeded, QStringLiteral("more than %1 memo entries").arg(m_limits.maxMemo));
    m_memo.add(key, value);
    return Ok{};
}

}  // namespace

PickleMachine::PickleMachine(Checkpoint& checkpoint, PickleLimits limits) : m_checkpoint(checkpoint), m_limits(limits) {}

Result<Value*> PickleMachine::run(const char* data, qint64 size, qint64* end)
{
    if (!data || size < 0)
        size = 0;
    Unpickler unpickler(m_checkpoint, m_limits, m_persistentLoader, m_torchScript, m_pickleName, data, size,
                        m_joblib ? &*m_joblib : nullptr);
    auto result = unpickler.run(end);
    m_protocol = unpickler.protocol();
    m_sawJoblib = unpickler.sawJoblibArrays();
    return result;
}

}  // namespace statelens
