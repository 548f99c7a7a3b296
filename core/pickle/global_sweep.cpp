#include "core/pickle/global_sweep.h"

#include "core/pickle/pickle_machine.h"
#include "core/pickle/pickle_opcodes.h"
#include "core/pickle/python2_names.h"

#include <QSet>

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace statelens {

namespace {

constexpr qsizetype kMaxNameLength = 1024;  // as the machine: longer strings are no module or name
constexpr size_t kMaxMemoStrings = size_t(1) << 20;
constexpr qint64 kMaxMemoCharacters = qint64(1) << 24;  // 32 MiB of remembered strings at most

// What the sweep knows of a value on the stack: its text when it is a string, nothing otherwise.
using Operand = std::optional<QString>;

bool isStringOp(Opcode code)
{
    switch (code) {
    case Opcode::ShortBinUnicode:
    case Opcode::BinUnicode:
    case Opcode::BinUnicode8:
    case Opcode::Unicode:
    case Opcode::ShortBinString:
    case Opcode::BinString:
        return true;
    default:
        return false;
    }
}

bool isMemoPut(Opcode code)
{
    return code == Opcode::Put || code == Opcode::BinPut || code == Opcode::LongBinPut || code == Opcode::Memoize;
}

bool isMemoGet(Opcode code) { return code == Opcode::Get || code == Opcode::BinGet || code == Opcode::LongBinGet; }

bool isBytesOp(Opcode code)
{
    return code == Opcode::BinBytes || code == Opcode::ShortBinBytes || code == Opcode::BinBytes8 || code == Opcode::ByteArray8;
}

// The decimal key of GET / PUT (protocol 0); nullopt when it is not one.
std::optional<quint64> lineKey(const char* data, const PickleOp& op)
{
    const QByteArray text = QByteArray(data + op.argOffset, qsizetype(op.argLength)).trimmed();
    bool ok = false;
    const quint64 key = text.toULongLong(&ok);
    return ok ? std::optional<quint64>(key) : std::nullopt;
}

class Sweep {
public:
    Sweep(const char* data, qint64 size, const SweepOptions& options) : m_data(data), m_walker(data, size), m_options(options) {}

    QVector<SweptGlobal> run()
    {
        PickleOp op;
        while (m_found.size() < m_options.maxNames && m_walker.next(&op)) {
            if (op.problem != PickleArgProblem::None)
                break;  // the rest cannot be measured
            if (op.opcode == Opcode::Stop) {
                if (!m_options.acrossStops && op.offset >= m_options.from)
                    break;
                restart();
                continue;
            }
            step(op);
        }
        sweepNested();
        return m_found;
    }

private:
    // The pickles held in bytes literals, one level down each time, within the same name budget.
    void sweepNested()
    {
        if (m_options.nestedLevels <= 0)
            return;
        SweepOptions inner;
        inner.acrossStops = true;
        inner.nestedLevels = m_options.nestedLevels - 1;
        for (const auto& [offset, length] : m_nested) {
            if (m_found.size() >= m_options.maxNames)
                break;
            inner.maxNames = m_options.maxNames - int(m_found.size());
            for (const SweptGlobal& found : Sweep(m_data + offset, length, inner).run()) {
                if (!m_named.contains(found.name)) {
                    m_named.insert(found.name);
                    m_found.append({found.name, offset + found.offset});
                }
            }
        }
    }

    void restart()
    {
        m_memo.clear();
        m_unknownKeys.clear();
        m_memoCount = 0;
        m_protocol = 0;
        m_last.reset();
        m_beforeLast.reset();
    }

    void pushed(Operand operand)
    {
        m_beforeLast = std::move(m_last);
        m_last = std::move(operand);
    }

    void name(const QString& module, const QString& name, qint64 offset)
    {
        if (offset < m_options.from)
            return;
        const bool known = module != QLatin1String("?") && name != QLatin1String("?");
        const QString qualified = known ? qualifiedGlobalName(module, name, m_protocol) : module + u'.' + name;
        if (!m_named.contains(qualified)) {
            m_named.insert(qualified);
            m_found.append({qualified, offset});
        }
    }

    void step(const PickleOp& op)
    {
        const Opcode code = op.opcode;
        if (code == Opcode::Proto) {
            m_protocol = int(op.value);
            return;
        }
        if (code == Opcode::Frame)
            return;
        if (isMemoPut(code)) {
            std::optional<quint64> key;
            if (code == Opcode::Memoize)
                key = m_memoCount;
            else if (code == Opcode::Put)
                key = lineKey(m_data, op);
            else
                key = op.value;
            if (!key)
                return;
            const bool isNew = m_memo.find(*key) == m_memo.end() && !m_unknownKeys.contains(*key);
            if (isNew)
                ++m_memoCount;
            if (m_last && m_memo.size() < kMaxMemoStrings && m_memoCharacters + m_last->size() <= kMaxMemoCharacters) {
                m_memoCharacters += m_last->size();
                m_memo[*key] = *m_last;
                m_unknownKeys.remove(*key);
            } else {
                m_memo.erase(*key);
                if (m_unknownKeys.size() < qsizetype(kMaxMemoStrings))
                    m_unknownKeys.insert(*key);
            }
            return;
        }
        if (isMemoGet(code)) {
            const std::optional<quint64> key = code == Opcode::Get ? lineKey(m_data, op) : std::optional<quint64>(op.value);
            const auto it = key ? m_memo.find(*key) : m_memo.end();
            pushed(it == m_memo.end() ? Operand() : Operand(it->second));
            return;
        }
        if (isStringOp(code)) {
            const QByteArrayView text(m_data + op.argOffset, qsizetype(op.argLength));
            if (op.argLength > kMaxNameLength)
                pushed(Operand());  // too long for a name
            else if (code != Opcode::Unicode)
                pushed(QString::fromUtf8(text));
            else if (!text.contains('\\'))
                pushed(QString::fromLatin1(text));  // raw-unicode-escape without escapes is Latin-1
            else
                pushed(Operand());  // \uXXXX escapes: not resolved here, named "?"
            return;
        }
        if (code == Opcode::Global || code == Opcode::Inst) {
            QByteArrayView module, text;
            if (op.lineBreak >= 0) {
                globalLines(m_data, op, &module, &text);
                name(QString::fromUtf8(module), QString::fromUtf8(text), op.offset);
            }
            pushed(Operand());
            return;
        }
        if (isBytesOp(code)) {
            constexpr size_t kMaxNested = 16;
            const QByteArrayView bytes(m_data + op.argOffset, qsizetype(op.argLength));
            if (m_options.nestedLevels > 0 && op.offset >= m_options.from && m_nested.size() < kMaxNested && looksLikeBinaryPickle(bytes))
                m_nested.emplace_back(op.argOffset, qint64(op.argLength));
            pushed(Operand());
            return;
        }
        if (code == Opcode::StackGlobal) {
            name(m_beforeLast.value_or(QStringLiteral("?")), m_last.value_or(QStringLiteral("?")), op.offset);
            pushed(Operand());
            return;
        }
        pushed(Operand());  // any other opcode leaves something no name is read from
    }

    const char* m_data;
    PickleOpWalker m_walker;
    const SweepOptions& m_options;
    int m_protocol = 0;
    std::unordered_map<quint64, QString> m_memo;  // memo entries that hold a string
    QSet<quint64> m_unknownKeys;                  // the others, so that MEMOIZE counts right
    quint64 m_memoCount = 0;
    qint64 m_memoCharacters = 0;  // never given back: a hostile stream rewriting one key gets no more
    Operand m_last, m_beforeLast;  // the two values most recently pushed, as far as known
    QSet<QString> m_named;
    QVector<SweptGlobal> m_found;
    std::vector<std::pair<qint64, qint64>> m_nested;  // (offset, length) of bytes literals holding a pickle
};

}  // namespace

bool looksLikeBinaryPickle(QByteArrayView bytes)
{
    constexpr quint8 kProto = 0x80, kHighestProtocol = 5;
    return bytes.size() >= 4 && quint8(bytes[0]) == kProto && quint8(bytes[1]) <= kHighestProtocol;
}

QVector<SweptGlobal> sweepGlobals(const char* data, qint64 size, const SweepOptions& options)
{
    return Sweep(data, size, options).run();
}

int addOtherReadings(Checkpoint& checkpoint, OtherReading::Kind kind, const QString& pickle, qint64 baseOffset,
                     const QVector<SweptGlobal>& swept, bool torchScript)
{
    constexpr int kMaxReadings = 256;  // a hostile stream of distinct names says it all by then
    int added = 0;
    for (const SweptGlobal& found : swept) {
        if (checkpoint.globals.contains(found.name) || checkpoint.otherReadings.size() >= kMaxReadings)
            continue;
        const auto same = [&](const OtherReading& known) { return known.kind == kind && known.global == found.name; };
        if (std::any_of(checkpoint.otherReadings.cbegin(), checkpoint.otherReadings.cend(), same))
            continue;
        checkpoint.otherReadings.append({kind, found.name, pickle, baseOffset + found.offset});
        ++added;
        const bool scriptClass = torchScript && found.name.startsWith(QLatin1String("__torch__."));
        if (!scriptClass && !isSafeGlobal(found.name) && !checkpoint.unsafeGlobals.contains(found.name))
            checkpoint.unsafeGlobals.append(found.name);
    }
    return added;
}

}  // namespace statelens
