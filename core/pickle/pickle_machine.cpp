#include "pickle_machine.h"

#include "torch_globals.h"

#include "../checked_math.h"

#include <QHash>
#include <QSet>

#include <algorithm>

#include <cstring>
#include <unordered_map>

namespace statelens {

namespace {

constexpr qint64 kMaxLineLength = 1 << 20;  // text opcodes (protocol 0) read one line
constexpr qint64 kMaxLongBytes = 1 << 16;   // LONG1/LONG4 payloads: far beyond any real integer

enum Opcode : unsigned char {
    MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I', BININT = 'J',
    BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P', BINPERSID = 'Q', REDUCE = 'R',
    STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U', UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a',
    BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h',
    INST = 'i', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q',
    LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G',
    PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85, TUPLE2 = 0x86,
    TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b, BINBYTES = 'B',
    SHORT_BINBYTES = 'C', SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f,
    ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
    BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98,
};

// Little-endian two's complement bytes -> decimal text (LONG1/LONG4 beyond 64 bits).
QString bigIntegerText(const unsigned char* bytes, qint64 length)
{
    std::vector<unsigned char> magnitude(bytes, bytes + length);
    const bool negative = length > 0 && (bytes[length - 1] & 0x80);
    if (negative) {  // two's complement negate
        unsigned carry = 1;
        for (auto& byte : magnitude) {
            const unsigned sum = unsigned(uchar(~byte)) + carry;
            byte = uchar(sum & 0xFF);
            carry = sum >> 8;
        }
    }
    QString digits;
    // Repeated division by 10 of the little-endian magnitude.
    while (true) {
        bool zero = true;
        unsigned remainder = 0;
        for (qint64 i = qint64(magnitude.size()) - 1; i >= 0; --i) {
            const unsigned current = (remainder << 8) | magnitude[size_t(i)];
            magnitude[size_t(i)] = uchar(current / 10);
            remainder = current % 10;
            zero = zero && magnitude[size_t(i)] == 0;
        }
        digits.prepend(QChar(u'0' + remainder));
        if (zero)
            break;
    }
    return negative ? u'-' + digits : digits;
}

// Python's repr-style quoted string of protocol 0's STRING: strip quotes, undo common escapes.
QByteArray unquote(QByteArray text)
{
    if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') && text.back() == text.front())
        text = text.mid(1, text.size() - 2);
    QByteArray out;
    out.reserve(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 >= text.size()) {
            out.append(text[i]);
            continue;
        }
        const char next = text[++i];
        switch (next) {
        case 'n': out.append('\n'); break;
        case 't': out.append('\t'); break;
        case 'r': out.append('\r'); break;
        case 'x':
            if (i + 2 < text.size() + 0 && i + 2 <= text.size() - 1) {
                out.append(char(text.mid(i + 1, 2).toInt(nullptr, 16)));
                i += 2;
            }
            break;
        default: out.append(next); break;
        }
    }
    return out;
}

// raw-unicode-escape (protocol 0's UNICODE): \uXXXX and \UXXXXXXXX escapes, otherwise latin-1.
QString rawUnicodeEscape(const QByteArray& line)
{
    QString out;
    for (qsizetype i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == 'u' || line[i + 1] == 'U')) {
            const int width = line[i + 1] == 'u' ? 4 : 8;
            if (i + 1 + width < line.size()) {
                bool ok = false;
                const uint code = line.mid(i + 2, width).toUInt(&ok, 16);
                if (ok && code <= 0x10FFFF) {
                    out.append(QString::fromUcs4(reinterpret_cast<const char32_t*>(&code), 1));
                    i += 1 + width;
                    continue;
                }
            }
        }
        out.append(QChar(uchar(line[i])));
    }
    return out;
}

class Machine {
public:
    Machine(Checkpoint& checkpoint, const PickleLimits& limits, const PickleMachine::PersistentLoader& loader, bool torchScript,
            const char* data, qint64 size)
        : m_checkpoint(checkpoint), m_limits(limits), m_loader(loader), m_torchScript(torchScript)
        , m_data(reinterpret_cast<const unsigned char*>(data)), m_size(size)
    {
    }

    Result<Value*> run(qint64* end);
    int protocol() const { return m_protocol; }

private:
    Error fail(ErrorCode code, const QString& message) const
    {
        return makeError(code, QStringLiteral("pickle: ") + message + QStringLiteral(" at byte %1").arg(m_opcodeAt), m_opcodeAt);
    }
    Error truncated() const { return fail(ErrorCode::Truncated, QStringLiteral("truncated data")); }

    bool has(qint64 count) const { return count >= 0 && count <= m_size - m_position; }
    quint64 readUnsigned(int bytes)
    {
        quint64 value = 0;
        for (int i = 0; i < bytes; ++i)
            value |= quint64(m_data[m_position + i]) << (8 * i);
        m_position += bytes;
        return value;
    }
    Result<QByteArray> readLine();
    Result<QByteArray> readCounted(quint64 length, const char* what);

    Value* make(ValueKind kind) { return m_checkpoint.arena.make(kind); }
    Status push(Value* value)
    {
        if (qint64(m_stack.size()) >= m_limits.maxStack)
            return fail(ErrorCode::LimitExceeded, QStringLiteral("more than %1 values on the stack").arg(m_limits.maxStack));
        m_stack.push_back(value);
        return Ok{};
    }
    Result<Value*> pop()
    {
        if (m_stack.size() <= currentMarkFloor())
            return fail(ErrorCode::Corrupt, QStringLiteral("stack underflow"));
        Value* value = m_stack.back();
        m_stack.pop_back();
        return value;
    }
    Result<Value*> top()
    {
        if (m_stack.size() <= currentMarkFloor())
            return fail(ErrorCode::Corrupt, QStringLiteral("stack underflow"));
        return m_stack.back();
    }
    size_t currentMarkFloor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    Result<std::vector<Value*>> popMark()
    {
        if (m_marks.empty())
            return fail(ErrorCode::Corrupt, QStringLiteral("no MARK before this opcode"));
        const size_t floor = m_marks.back();
        m_marks.pop_back();
        std::vector<Value*> items(m_stack.begin() + qint64(floor), m_stack.end());
        m_stack.resize(floor);
        return items;
    }

    // Nesting: a container is one deeper than its deepest item at insertion time.
    Status adopt(Value* container, const Value* item)
    {
        if (item && item->depth + 1 > container->depth) {
            container->depth = item->depth + 1;
            if (container->depth > m_limits.maxDepth)
                return fail(ErrorCode::LimitExceeded, QStringLiteral("nesting deeper than %1 levels").arg(m_limits.maxDepth));
        }
        return Ok{};
    }
    Result<Value*> makeSequence(ValueKind kind, std::vector<Value*> items)
    {
        Value* value = make(kind);
        for (const Value* item : items) {
            if (auto status = adopt(value, item); !status)
                return status.error();
        }
        value->items = std::move(items);
        return value;
    }

    Status memoPut(quint64 index, Value* value)
    {
        if (qint64(m_memo.size()) >= m_limits.maxMemo && !m_memo.count(index))
            return fail(ErrorCode::LimitExceeded, QStringLiteral("more than %1 memo entries").arg(m_limits.maxMemo));
        m_memo[index] = value;
        return Ok{};
    }
    Status memoGet(quint64 index)
    {
        auto it = m_memo.find(index);
        if (it == m_memo.end())
            return fail(ErrorCode::Corrupt, QStringLiteral("memo entry %1 was never stored").arg(index));
        return push(it->second);
    }

    Status setItems(Value* target, const std::vector<Value*>& items);
    Status appendItems(Value* target, const std::vector<Value*>& items);
    Status makeGlobal(const QString& module, const QString& name);
    Status call(Value* callable, Value* args);
    Status persistentLoad(Value* pid);
    Status build();
    Status step(unsigned char opcode);

    Checkpoint& m_checkpoint;
    const PickleLimits& m_limits;
    const PickleMachine::PersistentLoader& m_loader;
    bool m_torchScript;
    const unsigned char* m_data;
    qint64 m_size;
    qint64 m_position = 0;
    qint64 m_opcodeAt = 0;
    int m_protocol = 0;
    bool m_stopped = false;
    std::vector<Value*> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<quint64, Value*> m_memo;
    // Dict keys already present, so that a repeated key replaces its value as in Python.
    std::unordered_map<const Value*, QHash<QString, size_t>> m_dictKeys;
    QSet<QString> m_seenGlobals;
};

Result<QByteArray> Machine::readLine()
{
    const qint64 available = qMin(m_size - m_position, kMaxLineLength);
    const void* newline = std::memchr(m_data + m_position, '\n', size_t(available));
    if (!newline)
        return available == kMaxLineLength ? fail(ErrorCode::LimitExceeded, QStringLiteral("text line longer than 1 MiB")) : truncated();
    const qint64 length = static_cast<const unsigned char*>(newline) - (m_data + m_position);
    QByteArray line(reinterpret_cast<const char*>(m_data + m_position), length);
    m_position += length + 1;
    if (line.endsWith('\r'))
        line.chop(1);
    return line;
}

Result<QByteArray> Machine::readCounted(quint64 length, const char* what)
{
    // Checked against the bytes left before anything is allocated: a 2^62-byte claim fails here.
    if (length > quint64(m_size - m_position))
        return fail(ErrorCode::Truncated, QStringLiteral("%1 of %2 bytes runs past the end of the pickle (%3 bytes left; truncated?)")
                                              .arg(QLatin1String(what)).arg(length).arg(m_size - m_position));
    QByteArray bytes(reinterpret_cast<const char*>(m_data + m_position), qsizetype(length));
    m_position += qint64(length);
    return bytes;
}

QString keySignature(const Value* key)
{
    switch (key->kind) {
    case ValueKind::String: return u's' + key->text;
    case ValueKind::Int: return u'i' + QString::number(key->integer);
    case ValueKind::Bool: return u'i' + QString::number(key->boolean ? 1 : 0);  // True == 1 in Python
    case ValueKind::BigInt: return u'i' + key->text;
    case ValueKind::None: return QStringLiteral("n");
    case ValueKind::Bytes: return u'b' + QString::fromLatin1(key->bytes.toHex());
    case ValueKind::Float: return u'f' + QString::number(key->real, 'g', 17);
    default: return QStringLiteral("p%1").arg(quintptr(key));  // identity for anything else
    }
}

Status Machine::setItems(Value* target, const std::vector<Value*>& items)
{
    if (items.size() % 2 != 0)
        return fail(ErrorCode::Corrupt, QStringLiteral("odd number of items for a dict"));
    if (target->kind != ValueKind::Dict && target->kind != ValueKind::Object)
        return fail(ErrorCode::Corrupt, QStringLiteral("SETITEMS on a %1").arg(target->summary(40)));
    auto& keys = m_dictKeys[target];
    for (size_t i = 0; i < items.size(); i += 2) {
        if (auto status = adopt(target, items[i + 1]); !status)
            return status;
        const QString signature = keySignature(items[i]);
        auto existing = keys.constFind(signature);
        if (existing != keys.cend()) {
            target->entries[*existing].second = items[i + 1];
            continue;
        }
        keys.insert(signature, target->entries.size());
        target->entries.emplace_back(items[i], items[i + 1]);
    }
    return Ok{};
}

Status Machine::appendItems(Value* target, const std::vector<Value*>& items)
{
    if (target->kind != ValueKind::List && target->kind != ValueKind::Object && target->kind != ValueKind::Set)
        return fail(ErrorCode::Corrupt, QStringLiteral("APPEND on a %1").arg(target->summary(40)));
    for (const Value* item : items) {
        if (auto status = adopt(target, item); !status)
            return status;
    }
    target->items.insert(target->items.end(), items.begin(), items.end());
    return Ok{};
}

Status Machine::makeGlobal(const QString& module, const QString& name)
{
    const QString qualified = canonicalGlobalName(module, name);
    if (!m_seenGlobals.contains(qualified)) {
        m_seenGlobals.insert(qualified);
        if (!m_checkpoint.globals.contains(qualified))
            m_checkpoint.globals.append(qualified);
        const bool scriptClass = m_torchScript && qualified.startsWith(QLatin1String("__torch__."));
        if (!scriptClass && !isSafeGlobal(qualified) && !m_checkpoint.unsafeGlobals.contains(qualified))
            m_checkpoint.unsafeGlobals.append(qualified);
    }
    if (Value* value = interpretGlobal(m_checkpoint, qualified))
        return push(value);
    Value* global = make(ValueKind::Global);
    global->text = qualified;
    return push(global);
}

Status Machine::call(Value* callable, Value* args)
{
    if (callable->kind == ValueKind::Global && isSafeGlobal(callable->text)) {
        auto interpreted = interpretCall(m_checkpoint, callable->text, args);
        if (!interpreted) {
            Error error = interpreted.error();
            error.message = QStringLiteral("pickle: ") + error.message + QStringLiteral(" at byte %1").arg(m_opcodeAt);
            error.offset = m_opcodeAt;
            return error;
        }
        if (*interpreted)
            return push(*interpreted);
    }
    // Anything else is described, never called.
    Value* object = make(ValueKind::Object);
    object->callee = callable;
    object->args = args;
    if (auto status = adopt(object, args); !status)
        return status;
    return push(object);
}

Status Machine::persistentLoad(Value* pid)
{
    if (!m_loader)
        return fail(ErrorCode::Corrupt, QStringLiteral("persistent id without a loader"));
    auto loaded = m_loader(pid);
    if (!loaded) {
        Error error = loaded.error();
        if (error.offset < 0)
            error.offset = m_opcodeAt;
        return error;
    }
    return push(*loaded);
}

Status Machine::build()
{
    auto state = pop();
    if (!state)
        return state.error();
    auto target = top();
    if (!target)
        return target.error();
    Value* object = *target;
    switch (object->kind) {
    case ValueKind::Dict:
        // OrderedDict's __dict__.update(state): how a state dict's `_metadata` arrives.
        object->attributes = *state;
        break;
    case ValueKind::Object:
        object->state = *state;
        break;
    default:
        break;  // Parameter / tensor state, or a class: nothing a reader needs
    }
    return adopt(object, *state);
}

Status Machine::step(unsigned char opcode)
{
    auto need = [this](qint64 count) { return has(count); };
    switch (opcode) {
    case PROTO:
        if (!need(1))
            return truncated();
        m_protocol = int(readUnsigned(1));
        if (m_protocol > 5)
            return fail(ErrorCode::Unsupported, QStringLiteral("unsupported pickle protocol %1").arg(m_protocol));
        return Ok{};
    case FRAME:  // advisory framing: the opcodes inside read as usual
        if (!need(8))
            return truncated();
        readUnsigned(8);
        return Ok{};
    case STOP:
        m_stopped = true;
        return Ok{};
    case MARK:
        m_marks.push_back(m_stack.size());
        return Ok{};
    case POP:
        if (m_stack.size() > currentMarkFloor()) {
            m_stack.pop_back();
            return Ok{};
        }
        return popMark().ok() ? Status(Ok{}) : Status(fail(ErrorCode::Corrupt, QStringLiteral("stack underflow")));
    case POP_MARK: {
        auto items = popMark();
        return items ? Status(Ok{}) : Status(items.error());
    }
    case DUP: {
        auto value = top();
        return value ? push(*value) : Status(value.error());
    }
    case NONE: return push(make(ValueKind::None));
    case NEWTRUE:
    case NEWFALSE: {
        Value* value = make(ValueKind::Bool);
        value->boolean = opcode == NEWTRUE;
        return push(value);
    }
    case BININT:
    case BININT1:
    case BININT2: {
        const int width = opcode == BININT ? 4 : opcode == BININT1 ? 1 : 2;
        if (!need(width))
            return truncated();
        Value* value = make(ValueKind::Int);
        const quint64 raw = readUnsigned(width);
        value->integer = width == 4 ? qint64(qint32(quint32(raw))) : qint64(raw);
        return push(value);
    }
    case INT:
    case LONG: {
        auto line = readLine();
        if (!line)
            return line.error();
        QByteArray text = line->trimmed();
        if (opcode == LONG && text.endsWith('L'))
            text.chop(1);
        if (opcode == INT && (text == "00" || text == "01")) {
            Value* value = make(ValueKind::Bool);
            value->boolean = text == "01";
            return push(value);
        }
        bool ok = false;
        const qint64 number = text.toLongLong(&ok);
        if (ok) {
            Value* value = make(ValueKind::Int);
            value->integer = number;
            return push(value);
        }
        const bool digits = !text.isEmpty() && std::all_of(text.begin() + (text.startsWith('-') ? 1 : 0), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits)
            return fail(ErrorCode::Corrupt, QStringLiteral("bad integer text '%1'").arg(QString::fromLatin1(text.left(40))));
        Value* value = make(ValueKind::BigInt);
        value->text = QString::fromLatin1(text);
        return push(value);
    }
    case LONG1:
    case LONG4: {
        const int width = opcode == LONG1 ? 1 : 4;
        if (!need(width))
            return truncated();
        const qint64 length = width == 1 ? qint64(readUnsigned(1)) : qint64(qint32(quint32(readUnsigned(4))));
        if (length < 0)
            return fail(ErrorCode::Corrupt, QStringLiteral("negative LONG4 length"));
        if (length > kMaxLongBytes)
            return fail(ErrorCode::LimitExceeded, QStringLiteral("integer of %1 bytes").arg(length));
        if (!need(length))
            return truncated();
        const unsigned char* bytes = m_data + m_position;
        m_position += length;
        if (length <= 8) {
            quint64 raw = 0;
            for (qint64 i = 0; i < length; ++i)
                raw |= quint64(bytes[i]) << (8 * i);
            if (length > 0 && length < 8 && (bytes[length - 1] & 0x80))
                raw |= ~quint64(0) << (8 * length);  // sign-extend
            Value* value = make(ValueKind::Int);
            value->integer = qint64(raw);
            return push(value);
        }
        Value* value = make(ValueKind::BigInt);
        value->text = bigIntegerText(bytes, length);
        bool ok = false;
        const qint64 small = value->text.toLongLong(&ok);
        if (ok) {  // a long encoding of a value that fits after all
            value->kind = ValueKind::Int;
            value->integer = small;
        }
        return push(value);
    }
    case FLOAT: {
        auto line = readLine();
        if (!line)
            return line.error();
        Value* value = make(ValueKind::Float);
        bool ok = false;
        value->real = line->trimmed().toDouble(&ok);
        if (!ok)
            return fail(ErrorCode::Corrupt, QStringLiteral("bad float text"));
        return push(value);
    }
    case BINFLOAT: {
        if (!need(8))
            return truncated();
        quint64 raw = 0;
        for (int i = 0; i < 8; ++i)
            raw = (raw << 8) | m_data[m_position + i];  // big-endian, unlike everything else
        m_position += 8;
        Value* value = make(ValueKind::Float);
        std::memcpy(&value->real, &raw, 8);
        return push(value);
    }
    case STRING: {
        auto line = readLine();
        if (!line)
            return line.error();
        Value* value = make(ValueKind::String);
        value->text = QString::fromUtf8(unquote(*line));
        return push(value);
    }
    case UNICODE: {
        auto line = readLine();
        if (!line)
            return line.error();
        Value* value = make(ValueKind::String);
        value->text = rawUnicodeEscape(*line);
        return push(value);
    }
    case BINSTRING:
    case SHORT_BINSTRING:
    case BINUNICODE:
    case SHORT_BINUNICODE:
    case BINUNICODE8:
    case BINBYTES:
    case SHORT_BINBYTES:
    case BINBYTES8:
    case BYTEARRAY8: {
        int width = 4;
        if (opcode == SHORT_BINSTRING || opcode == SHORT_BINUNICODE || opcode == SHORT_BINBYTES)
            width = 1;
        else if (opcode == BINUNICODE8 || opcode == BINBYTES8 || opcode == BYTEARRAY8)
            width = 8;
        if (!need(width))
            return truncated();
        quint64 length = readUnsigned(width);
        if (opcode == BINSTRING && qint32(quint32(length)) < 0)
            return fail(ErrorCode::Corrupt, QStringLiteral("negative string length"));
        const bool bytes = opcode == BINBYTES || opcode == SHORT_BINBYTES || opcode == BINBYTES8 || opcode == BYTEARRAY8;
        auto payload = readCounted(length, bytes ? "bytes" : "string");
        if (!payload)
            return payload.error();
        Value* value = make(bytes ? ValueKind::Bytes : ValueKind::String);
        if (bytes)
            value->bytes = std::move(*payload);
        else
            value->text = QString::fromUtf8(*payload);  // Python 2 str as torch loads it (utf-8)
        return push(value);
    }
    case EMPTY_TUPLE: return push(make(ValueKind::Tuple));
    case EMPTY_LIST: return push(make(ValueKind::List));
    case EMPTY_DICT: return push(make(ValueKind::Dict));
    case EMPTY_SET: return push(make(ValueKind::Set));
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
        const size_t count = size_t(opcode - TUPLE1 + 1);
        if (m_stack.size() < currentMarkFloor() + count)
            return fail(ErrorCode::Corrupt, QStringLiteral("stack underflow"));
        std::vector<Value*> items(m_stack.end() - qint64(count), m_stack.end());
        m_stack.resize(m_stack.size() - count);
        auto tuple = makeSequence(ValueKind::Tuple, std::move(items));
        return tuple ? push(*tuple) : Status(tuple.error());
    }
    case TUPLE:
    case LIST:
    case FROZENSET: {
        auto items = popMark();
        if (!items)
            return items.error();
        auto value = makeSequence(opcode == TUPLE ? ValueKind::Tuple : opcode == LIST ? ValueKind::List : ValueKind::FrozenSet, std::move(*items));
        return value ? push(*value) : Status(value.error());
    }
    case DICT: {
        auto items = popMark();
        if (!items)
            return items.error();
        Value* dict = make(ValueKind::Dict);
        if (auto status = setItems(dict, *items); !status)
            return status;
        return push(dict);
    }
    case APPEND: {
        auto item = pop();
        if (!item)
            return item.error();
        auto list = top();
        if (!list)
            return list.error();
        return appendItems(*list, {*item});
    }
    case APPENDS:
    case ADDITEMS: {
        auto items = popMark();
        if (!items)
            return items.error();
        auto target = top();
        if (!target)
            return target.error();
        return appendItems(*target, *items);
    }
    case SETITEM: {
        auto value = pop();
        if (!value)
            return value.error();
        auto key = pop();
        if (!key)
            return key.error();
        auto dict = top();
        if (!dict)
            return dict.error();
        return setItems(*dict, {*key, *value});
    }
    case SETITEMS: {
        auto items = popMark();
        if (!items)
            return items.error();
        auto dict = top();
        if (!dict)
            return dict.error();
        return setItems(*dict, *items);
    }
    case GLOBAL: {
        auto module = readLine();
        if (!module)
            return module.error();
        auto name = readLine();
        if (!name)
            return name.error();
        return makeGlobal(QString::fromUtf8(*module), QString::fromUtf8(*name));
    }
    case STACK_GLOBAL: {
        auto name = pop();
        if (!name)
            return name.error();
        auto module = pop();
        if (!module)
            return module.error();
        if ((*name)->kind != ValueKind::String || (*module)->kind != ValueKind::String)
            return fail(ErrorCode::Corrupt, QStringLiteral("STACK_GLOBAL needs two strings"));
        return makeGlobal((*module)->text, (*name)->text);
    }
    case REDUCE:
    case NEWOBJ: {
        auto args = pop();
        if (!args)
            return args.error();
        auto callable = pop();
        if (!callable)
            return callable.error();
        return call(*callable, *args);
    }
    case NEWOBJ_EX: {
        auto kwargs = pop();
        if (!kwargs)
            return kwargs.error();
        auto args = pop();
        if (!args)
            return args.error();
        auto callable = pop();
        if (!callable)
            return callable.error();
        return call(*callable, *args);
    }
    case INST: {
        auto module = readLine();
        if (!module)
            return module.error();
        auto name = readLine();
        if (!name)
            return name.error();
        auto items = popMark();
        if (!items)
            return items.error();
        if (auto status = makeGlobal(QString::fromUtf8(*module), QString::fromUtf8(*name)); !status)
            return status;
        Value* cls = m_stack.back();
        m_stack.pop_back();
        auto args = makeSequence(ValueKind::Tuple, std::move(*items));
        return args ? call(cls, *args) : Status(args.error());
    }
    case OBJ: {
        auto items = popMark();
        if (!items)
            return items.error();
        if (items->empty())
            return fail(ErrorCode::Corrupt, QStringLiteral("OBJ without a class"));
        Value* cls = items->front();
        auto args = makeSequence(ValueKind::Tuple, std::vector<Value*>(items->begin() + 1, items->end()));
        return args ? call(cls, *args) : Status(args.error());
    }
    case BUILD:
        return build();
    case PERSID: {
        auto line = readLine();
        if (!line)
            return line.error();
        Value* pid = make(ValueKind::String);
        pid->text = QString::fromUtf8(*line);
        return persistentLoad(pid);
    }
    case BINPERSID: {
        auto pid = pop();
        return pid ? persistentLoad(*pid) : Status(pid.error());
    }
    case GET:
    case PUT: {
        auto line = readLine();
        if (!line)
            return line.error();
        bool ok = false;
        const quint64 index = line->trimmed().toULongLong(&ok);
        if (!ok)
            return fail(ErrorCode::Corrupt, QStringLiteral("bad memo index"));
        if (opcode == GET)
            return memoGet(index);
        auto value = top();
        return value ? memoPut(index, *value) : Status(value.error());
    }
    case BINGET:
    case LONG_BINGET:
    case BINPUT:
    case LONG_BINPUT: {
        const int width = opcode == BINGET || opcode == BINPUT ? 1 : 4;
        if (!need(width))
            return truncated();
        const quint64 index = readUnsigned(width);
        if (opcode == BINGET || opcode == LONG_BINGET)
            return memoGet(index);
        auto value = top();
        return value ? memoPut(index, *value) : Status(value.error());
    }
    case MEMOIZE: {
        auto value = top();
        return value ? memoPut(m_memo.size(), *value) : Status(value.error());
    }
    case EXT1:
    case EXT2:
    case EXT4:
        return fail(ErrorCode::Unsupported, QStringLiteral("copyreg extension codes are not supported"));
    case NEXT_BUFFER:
    case READONLY_BUFFER:
        return fail(ErrorCode::Unsupported, QStringLiteral("out-of-band buffers are not supported"));
    default:
        return fail(ErrorCode::Corrupt, QStringLiteral("unknown opcode 0x%1").arg(opcode, 2, 16, QLatin1Char('0')));
    }
}

Result<Value*> Machine::run(qint64* end)
{
    while (!m_stopped) {
        if (m_position >= m_size) {
            m_opcodeAt = m_position;
            return fail(ErrorCode::Truncated, QStringLiteral("truncated: the pickle ends before its STOP opcode"));
        }
        m_opcodeAt = m_position;
        const unsigned char opcode = m_data[m_position++];
        if (auto status = step(opcode); !status)
            return status.error();
    }
    if (end)
        *end = m_position;
    if (m_stack.empty())
        return fail(ErrorCode::Corrupt, QStringLiteral("STOP with an empty stack"));
    return m_stack.back();
}

}  // namespace

PickleMachine::PickleMachine(Checkpoint& checkpoint, PickleLimits limits) : m_checkpoint(checkpoint), m_limits(limits) {}

Result<Value*> PickleMachine::run(const char* data, qint64 size, qint64* end)
{
    Machine machine(m_checkpoint, m_limits, m_persistentLoader, m_torchScript, data, size);
    auto result = machine.run(end);
    m_protocol = machine.protocol();
    return result;
}

}  // namespace statelens
