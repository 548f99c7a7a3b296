#include "core/formats/npy_header.h"

#include <QRegularExpression>
#include <QtEndian>

#include <cstring>
#include <vector>

namespace statelens {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr qint64 kMagicBytes = 6;
constexpr int kMaxDepth = 32;  // records nest; nothing real comes close

// A Python literal as ast.literal_eval reads the header: only what a header can hold.
struct Literal {
    enum class Kind { String, Int, Bool, None, Tuple, List, Dict };
    Kind kind = Kind::None;
    QString text;       // String
    qint64 integer = 0; // Int
    bool boolean = false;
    std::vector<Literal> items;  // Tuple, List; Dict: key, value, key, value...
    qsizetype begin = 0;         // where it is in the header text
    qsizetype end = 0;
};

// Reads one literal; never evaluates a name or a call (there is nothing to evaluate: anything
// but the forms below is a syntax error, as it is to NumPy's safe_eval).
class LiteralParser {
public:
    LiteralParser(const QString& text, bool python2Longs) : m_text(text), m_python2Longs(python2Longs) {}

    Result<Literal> parseAll()
    {
        auto value = parseValue(0);
        if (!value)
            return value;
        skipSpace();
        if (m_pos != m_text.size())
            return syntaxError(QStringLiteral("text after the literal"));
        return value;
    }

private:
    Error syntaxError(const QString& what) const
    {
        return makeError(ErrorCode::Corrupt, QStringLiteral("NumPy header: cannot parse it (%1 at character %2)").arg(what).arg(m_pos));
    }

    void skipSpace()
    {
        while (m_pos < m_text.size() && (m_text[m_pos] == u' ' || m_text[m_pos] == u'\n' || m_text[m_pos] == u'\t' || m_text[m_pos] == u'\r'))
            ++m_pos;
    }

    bool take(QChar c)
    {
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }

    Result<Literal> parseValue(int depth)
    {
        if (depth > kMaxDepth)
            return syntaxError(QStringLiteral("nesting deeper than %1").arg(kMaxDepth));
        skipSpace();
        if (m_pos >= m_text.size())
            return syntaxError(QStringLiteral("the end"));
        const qsizetype begin = m_pos;
        const QChar c = m_text[m_pos];
        Result<Literal> value = Literal{};
        if (c == u'\'' || c == u'"')
            value = parseString();
        else if (c == u'-' || c.isDigit())
            value = parseInt();
        else if (c == u'(')
            value = parseSequence(depth, u')', Literal::Kind::Tuple);
        else if (c == u'[')
            value = parseSequence(depth, u']', Literal::Kind::List);
        else if (c == u'{')
            value = parseDict(depth);
        else
            value = parseName();
        if (value) {
            value->begin = begin;
            value->end = m_pos;
        }
        return value;
    }

    Result<Literal> parseName()
    {
        static const struct { const char* name; Literal::Kind kind; bool value; } kNames[] = {
            {"True", Literal::Kind::Bool, true}, {"False", Literal::Kind::Bool, false}, {"None", Literal::Kind::None, false}};
        for (const auto& name : kNames) {
            const QLatin1String word(name.name);
            if (QStringView(m_text).mid(m_pos).startsWith(word)) {
                const qsizetype after = m_pos + word.size();
                if (after < m_text.size() && (m_text[after].isLetterOrNumber() || m_text[after] == u'_'))
                    break;
                m_pos = after;
                Literal literal;
                literal.kind = name.kind;
                literal.boolean = name.value;
                return literal;
            }
        }
        return syntaxError(QStringLiteral("a name, call or operator (only literals are read)"));
    }

    Result<Literal> parseInt()
    {
        Literal literal;
        literal.kind = Literal::Kind::Int;
        bool negative = false;
        if (m_text[m_pos] == u'-') {
            negative = true;
            ++m_pos;
            skipSpace();
        }
        const qsizetype digits = m_pos;
        quint64 magnitude = 0;
        while (m_pos < m_text.size() && m_text[m_pos].isDigit()) {
            const int digit = m_text[m_pos].digitValue();
            if (magnitude > (quint64(std::numeric_limits<qint64>::max()) - quint64(digit)) / 10)
                return syntaxError(QStringLiteral("an integer beyond 2^63"));
            magnitude = magnitude * 10 + quint64(digit);
            ++m_pos;
        }
        if (m_pos == digits)
            return syntaxError(QStringLiteral("'-' without digits"));
        // Python 2 wrote longs as 3L; NumPy drops the L in version 1.0 and 2.0 headers.
        if (m_python2Longs && m_pos < m_text.size() && (m_text[m_pos] == u'L' || m_text[m_pos] == u'l'))
            ++m_pos;
        if (m_pos < m_text.size() && (m_text[m_pos].isLetter() || m_text[m_pos] == u'.' || m_text[m_pos] == u'_'))
            return syntaxError(QStringLiteral("a number that is no integer"));
        literal.integer = negative ? -qint64(magnitude) : qint64(magnitude);
        return literal;
    }

    Result<Literal> parseString()
    {
        const QChar quote = m_text[m_pos++];
        Literal literal;
        literal.kind = Literal::Kind::String;
        while (m_pos < m_text.size() && m_text[m_pos] != quote) {
            QChar c = m_text[m_pos++];
            if (c == u'\n')
                return syntaxError(QStringLiteral("a line break inside a string"));
            if (c != u'\\') {
                literal.text.append(c);
                continue;
            }
            if (m_pos >= m_text.size())
                break;
            c = m_text[m_pos++];
            const int hexDigits = c == u'x' ? 2 : c == u'u' ? 4 : c == u'U' ? 8 : 0;
            if (hexDigits) {
                bool ok = false;
                const uint code = m_text.mid(m_pos, hexDigits).toUInt(&ok, 16);
                if (!ok || m_pos + hexDigits > m_text.size() || code > 0x10FFFF)
                    return syntaxError(QStringLiteral("a bad \\%1 escape").arg(c));
                m_pos += hexDigits;
                const char32_t point = code;
                literal.text.append(QString::fromUcs4(&point, 1));
                continue;
            }
            switch (c.unicode()) {
            case 'n': literal.text.append(u'\n'); break;
            case 't': literal.text.append(u'\t'); break;
            case 'r': literal.text.append(u'\r'); break;
            case '0': literal.text.append(QChar(0)); break;
            case '\\': case '\'': case '"': literal.text.append(c); break;
            default: literal.text.append(u'\\').append(c); break;  // Python keeps unknown escapes
            }
        }
        if (m_pos >= m_text.size())
            return syntaxError(QStringLiteral("an unterminated string"));
        ++m_pos;  // the closing quote
        return literal;
    }

    Result<Literal> parseSequence(int depth, QChar close, Literal::Kind kind)
    {
        ++m_pos;  // the opening bracket
        Literal literal;
        literal.kind = kind;
        bool sawComma = false;
        while (!take(close)) {
            auto item = parseValue(depth + 1);
            if (!item)
                return item;
            literal.items.push_back(std::move(*item));
            if (take(u',')) {
                sawComma = true;
                continue;
            }
            if (!take(close))
                return syntaxError(QStringLiteral("a missing ',' or '%1'").arg(close));
            break;
        }
        // (3) is the int 3; (3,) and () are tuples.
        if (kind == Literal::Kind::Tuple && literal.items.size() == 1 && !sawComma)
            return std::move(literal.items.front());
        return literal;
    }

    Result<Literal> parseDict(int depth)
    {
        ++m_pos;
        Literal literal;
        literal.kind = Literal::Kind::Dict;
        while (!take(u'}')) {
            auto key = parseValue(depth + 1);
            if (!key)
                return key;
            if (!take(u':'))
                return syntaxError(QStringLiteral("a missing ':'"));
            auto value = parseValue(depth + 1);
            if (!value)
                return value;
            literal.items.push_back(std::move(*key));
            literal.items.push_back(std::move(*value));
            if (take(u','))
                continue;
            if (!take(u'}'))
                return syntaxError(QStringLiteral("a missing ',' or '}'"));
            break;
        }
        return literal;
    }

    const QString& m_text;
    bool m_python2Longs = false;
    qsizetype m_pos = 0;
};

Error headerError(const QString& message)
{
    return makeError(ErrorCode::Corrupt, QStringLiteral("NumPy header: ") + message);
}

// A field type of a record descr: a type string, or a nested record (a list of fields).
bool fieldHoldsObjects(const Literal& type);

bool recordHoldsObjects(const Literal& fields)
{
    for (const Literal& field : fields.items) {
        if (field.kind == Literal::Kind::Tuple && field.items.size() >= 2 && fieldHoldsObjects(field.items[1]))
            return true;
    }
    return false;
}

bool fieldHoldsObjects(const Literal& type)
{
    if (type.kind == Literal::Kind::String)
        return type.text.contains(u'O');
    return type.kind == Literal::Kind::List && recordHoldsObjects(type);
}

// descr_to_dtype accepts a list of (name, type) or (name, type, shape) fields, names being a
// str or a (title, name) pair.
bool validRecord(const Literal& fields, int depth)
{
    if (depth > kMaxDepth)
        return false;
    for (const Literal& field : fields.items) {
        if (field.kind != Literal::Kind::Tuple || field.items.size() < 2 || field.items.size() > 3)
            return false;
        const Literal& name = field.items[0];
        if (name.kind != Literal::Kind::String && name.kind != Literal::Kind::Tuple)
            return false;
        const Literal& type = field.items[1];
        if (type.kind == Literal::Kind::List ? !validRecord(type, depth + 1) : type.kind != Literal::Kind::String)
            return false;
    }
    return true;
}

}  // namespace

bool NpyHeader::holdsObjects() const
{
    return code.startsWith(u'O');
}

bool hasNpyMagic(const char* data, qint64 size)
{
    return size >= kMagicBytes && std::memcmp(data, kMagic, size_t(kMagicBytes)) == 0;
}

Result<NpyHeader> parseNpyHeader(const char* data, qint64 size)
{
    if (!hasNpyMagic(data, size))
        return headerError(QStringLiteral("the magic string is not \\x93NUMPY"));
    if (size < kMagicBytes + 2)
        return makeError(ErrorCode::Truncated, QStringLiteral("NumPy header: the file ends inside the magic string"));
    NpyHeader header;
    header.major = quint8(data[6]);
    header.minor = quint8(data[7]);
    if ((header.major != 1 && header.major != 2 && header.major != 3) || header.minor != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("NumPy header: format version %1.%2, NumPy reads only 1.0, 2.0 and 3.0")
                                                     .arg(header.major).arg(header.minor));
    const qint64 lengthBytes = header.major == 1 ? 2 : 4;
    if (size < 8 + lengthBytes)
        return makeError(ErrorCode::Truncated, QStringLiteral("NumPy header: the file ends inside the header length"));
    const qint64 length = header.major == 1 ? qint64(qFromLittleEndian<quint16>(data + 8)) : qint64(qFromLittleEndian<quint32>(data + 8));
    header.dataOffset = 8 + lengthBytes + length;
    if (header.dataOffset > size)
        return makeError(ErrorCode::Truncated, QStringLiteral("NumPy header: %1 bytes of header, the file ends after %2").arg(length).arg(size - 8 - lengthBytes));
    // NumPy's own bound without allow_pickle (in characters; UTF-8 takes at most 4 bytes for one):
    // reading on past it would parse what it refuses.
    const QByteArray raw = length <= 4 * kNumpyMaxHeaderChars ? QByteArray(data + 8 + lengthBytes, int(length)) : QByteArray();
    const QString text = header.major == 3 ? QString::fromUtf8(raw) : QString::fromLatin1(raw);
    if (length > 4 * kNumpyMaxHeaderChars || text.size() > kNumpyMaxHeaderChars)
        return headerError(QStringLiteral("%1 characters, more than NumPy reads safely (%2; numpy.load refuses it without max_header_size)")
                               .arg(raw.isEmpty() ? length : text.size()).arg(kNumpyMaxHeaderChars));
    LiteralParser parser(text, header.major <= 2);
    auto literal = parser.parseAll();
    if (!literal)
        return literal.error();
    if (literal->kind != Literal::Kind::Dict)
        return headerError(QStringLiteral("it is not a dictionary: %1").arg(text.trimmed().left(80)));
    const Literal* descr = nullptr;
    const Literal* fortran = nullptr;
    const Literal* shape = nullptr;
    QStringList keys;
    for (size_t i = 0; i + 1 < literal->items.size(); i += 2) {
        const Literal& key = literal->items[i];
        const QString name = key.kind == Literal::Kind::String ? key.text : text.mid(key.begin, key.end - key.begin);
        if (!keys.contains(name))
            keys.append(name);
        const Literal* value = &literal->items[i + 1];
        if (key.kind != Literal::Kind::String)
            continue;
        if (name == QLatin1String("descr"))
            descr = value;  // a repeated key: the last one counts, as in a Python dict
        else if (name == QLatin1String("fortran_order"))
            fortran = value;
        else if (name == QLatin1String("shape"))
            shape = value;
    }
    if (keys.size() != 3 || !descr || !fortran || !shape) {
        keys.sort();
        return headerError(QStringLiteral("it does not hold exactly the keys descr, fortran_order and shape: %1").arg(keys.join(QStringLiteral(", "))));
    }
    if (shape->kind != Literal::Kind::Tuple)
        return headerError(QStringLiteral("shape is not valid: %1").arg(text.mid(shape->begin, shape->end - shape->begin).left(80)));
    for (const Literal& dim : shape->items) {
        if (dim.kind != Literal::Kind::Int)  // a negative size is the reader's to judge: NumPy reads some
            return headerError(QStringLiteral("shape is not valid: %1").arg(text.mid(shape->begin, shape->end - shape->begin).left(80)));
        header.shape.append(dim.integer);
    }
    if (fortran->kind != Literal::Kind::Bool)
        return headerError(QStringLiteral("fortran_order is not a valid bool: %1").arg(text.mid(fortran->begin, fortran->end - fortran->begin).left(80)));
    header.fortranOrder = fortran->boolean;
    header.descr = text.mid(descr->begin, descr->end - descr->begin);
    if (descr->kind == Literal::Kind::String) {
        // '<f4', '|O', '<U10', '<M8[ns]', 'V16': an order character (optional), letters, a size.
        static const QRegularExpression kPlain(QStringLiteral("^([<>|=]?)([A-Za-z][A-Za-z]?\\d*(\\[\\w+\\])?)$"));
        const QRegularExpressionMatch match = kPlain.match(descr->text);
        if (!match.hasMatch())
            return headerError(QStringLiteral("descr is not a valid dtype descriptor: %1").arg(header.descr.left(80)));
        header.order = match.captured(1).isEmpty() ? QStringLiteral("|") : match.captured(1);
        header.code = match.captured(2);
        header.descr = descr->text;
    } else if (descr->kind == Literal::Kind::List && validRecord(*descr, 0)) {
        header.record = true;
        if (recordHoldsObjects(*descr))
            header.code = QStringLiteral("O");  // the data is a pickle all the same
    } else {
        return headerError(QStringLiteral("descr is not a valid dtype descriptor: %1").arg(header.descr.left(80)));
    }
    return header;
}

}  // namespace statelens
