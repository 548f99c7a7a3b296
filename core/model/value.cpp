#include "core/model/value.h"

#include <QLocale>

#include <cmath>

namespace statelens {

const QByteArray& Value::bytes() const
{
    static const QByteArray none;
    return m_extras ? m_extras->bytes : none;
}

const std::vector<std::pair<Value*, Value*>>& Value::entries() const
{
    static const std::vector<std::pair<Value*, Value*>> none;
    return m_extras ? m_extras->entries : none;
}

ValueExtras& Value::extras()
{
    if (!m_extras)
        m_extras = std::make_unique<ValueExtras>();
    return *m_extras;
}

bool Value::isContainerKind(ValueKind kind)
{
    switch (kind) {
    case ValueKind::Tuple:
    case ValueKind::List:
    case ValueKind::Dict:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
        return true;
    default:
        return false;
    }
}

Value* Value::find(QStringView key) const
{
    if (kind != ValueKind::Dict)
        return nullptr;
    for (const auto& [entryKey, entryValue] : entries()) {
        if (entryKey->kind == ValueKind::String && entryKey->text == key)
            return entryValue;
    }
    return nullptr;
}

namespace {

// Summaries render at most this many levels: enough for a storage id tuple or a shape, and a
// constant bound however deep (or cyclic) the tree is.
constexpr int kSummaryLevels = 3;

// Appends to a string that stops growing once it is past its budget; callers check full() to
// stop walking, so a million-item list costs no more than a short one.
class Writer {
public:
    explicit Writer(int budget) : m_budget(qMax(budget, 4)) {}
    bool full() const { return m_text.size() > m_budget; }
    void add(QStringView text) { if (!full()) m_text += text; }
    void add(QChar c) { if (!full()) m_text += c; }
    QString finish()
    {
        if (m_text.size() > m_budget)
            m_text = m_text.left(m_budget - 3) + QStringLiteral("...");
        return m_text;
    }

private:
    int m_budget;
    QString m_text;
};

void addQuoted(Writer& out, QStringView text, int budget)
{
    out.add(u'\'');
    for (qsizetype i = 0; i < text.size() && i < budget; ++i) {
        const QChar c = text[i];
        if (c == u'\\' || c == u'\'')
            out.add(u'\\');
        if (c == u'\n')
            out.add(u"\\n");
        else if (c.unicode() < 0x20)
            out.add(QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0')));
        else
            out.add(c);
    }
    if (text.size() > budget)
        out.add(u"...");
    out.add(u'\'');
}

void addBytes(Writer& out, const QByteArray& bytes, int budget)
{
    out.add(u"b'");
    for (qsizetype i = 0; i < bytes.size() && i < budget; ++i) {
        const uchar c = uchar(bytes[i]);
        if (c == '\\' || c == '\'')
            out.add(u'\\');
        if (c >= 0x20 && c < 0x7F)
            out.add(QChar(c));
        else
            out.add(QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0')));
    }
    if (bytes.size() > budget)
        out.add(u"...");
    out.add(u'\'');
}

// Python's repr() of a float, so that summaries read like the Python values they stand for:
// the shortest round-trip digits, positional for decimal exponents -4..15 ("100.0", "0.0001"),
// scientific otherwise ("1e+16", "2.5e-08").
QString real(double value)
{
    if (std::isnan(value))
        return QStringLiteral("nan");
    if (std::isinf(value))
        return value < 0 ? QStringLiteral("-inf") : QStringLiteral("inf");
    const QString scientific = QString::number(std::fabs(value), 'e', QLocale::FloatingPointShortest);
    const qsizetype e = scientific.indexOf(u'e');
    const QString digits = scientific.left(e).remove(u'.');
    const int exponent = scientific.mid(e + 1).toInt();
    QString text;
    if (exponent >= 16 || exponent < -4) {
        text = digits.left(1);
        if (digits.size() > 1)
            text += u'.' + digits.mid(1);
        text += QStringLiteral("e%1%2").arg(QChar(exponent < 0 ? u'-' : u'+')).arg(std::abs(exponent), 2, 10, QLatin1Char('0'));
    } else if (exponent >= 0) {
        const QString fraction = digits.mid(exponent + 1);
        text = digits.left(exponent + 1).leftJustified(exponent + 1, u'0') + u'.' + (fraction.isEmpty() ? QStringLiteral("0") : fraction);
    } else {
        text = QStringLiteral("0.") + QString(-exponent - 1, u'0') + digits;
    }
    return std::signbit(value) ? u'-' + text : text;
}

void render(Writer& out, const Value* value, int level);

void renderItems(Writer& out, const std::vector<Value*>& items, int level)
{
    for (size_t i = 0; i < items.size() && !out.full(); ++i) {
        if (i)
            out.add(u", ");
        render(out, items[i], level + 1);
    }
}

QString numpyTypeName(const Value* dtype)
{
    if (!dtype || dtype->kind != ValueKind::Object)
        return QStringLiteral("?");
    if (dtype->dtype != DType::Unknown)
        return dtypeName(dtype->dtype);
    if (dtype->args() && !dtype->args()->items.empty() && dtype->args()->items[0]->kind == ValueKind::String)
        return dtype->args()->items[0]->text.left(20);
    return QStringLiteral("?");
}

// numpy arrays describe themselves by their BUILD state: (version, shape, dtype, fortran, data).
void renderNumpyArray(Writer& out, const Value* array)
{
    out.add(u"ndarray");
    const Value* state = array->state();
    if (!state || state->kind != ValueKind::Tuple || state->items.size() < 3)
        return;
    out.add(u' ');
    out.add(numpyTypeName(state->items[2]));
    out.add(u" [");
    const Value* shape = state->items[1];
    if (shape->kind == ValueKind::Tuple || shape->kind == ValueKind::List) {
        for (size_t i = 0; i < shape->items.size() && !out.full(); ++i) {
            if (i)
                out.add(u", ");
            const Value* dim = shape->items[i];
            out.add(dim->kind == ValueKind::Int ? QString::number(dim->integer) : QStringLiteral("?"));
        }
    }
    out.add(u']');
}

void renderObject(Writer& out, const Value* object, int level)
{
    if (object->text == QLatin1String("numpy.ndarray")) {
        renderNumpyArray(out, object);
        return;
    }
    if (object->text == QLatin1String("numpy.dtype")) {
        out.add(u"dtype('");
        out.add(numpyTypeName(object));
        out.add(u"')");
        return;
    }
    const Value* callee = object->callee();
    out.add(callee && (callee->kind == ValueKind::Global) ? QStringView(callee->text) : QStringView(u"object"));
    out.add(u'(');
    if (level >= kSummaryLevels)
        out.add(u"...");
    else if (object->args() && (object->args()->kind == ValueKind::Tuple || object->args()->kind == ValueKind::List))
        renderItems(out, object->args()->items, level);
    else if (object->args())
        render(out, object->args(), level + 1);
    out.add(u')');
}

void render(Writer& out, const Value* value, int level)
{
    if (out.full())
        return;
    if (!value) {
        out.add(u"?");
        return;
    }
    const bool deep = level >= kSummaryLevels;
    switch (value->kind) {
    case ValueKind::None: out.add(u"None"); break;
    case ValueKind::Bool: out.add(value->boolean ? u"True" : u"False"); break;
    case ValueKind::Int: out.add(QString::number(value->integer)); break;
    case ValueKind::BigInt: out.add(QStringView(value->text).left(60)); break;
    case ValueKind::Float: out.add(real(value->real)); break;
    case ValueKind::Complex:
        out.add(QStringLiteral("complex(%1, %2)").arg(real(value->real), real(value->imag())));
        break;
    case ValueKind::String: addQuoted(out, value->text, 200); break;
    case ValueKind::Bytes: addBytes(out, value->bytes(), 100); break;
    case ValueKind::Tuple:
        out.add(u'(');
        deep ? out.add(u"...") : renderItems(out, value->items, level);
        if (value->items.size() == 1 && !deep)
            out.add(u',');
        out.add(u')');
        break;
    case ValueKind::List:
        out.add(u'[');
        deep ? out.add(u"...") : renderItems(out, value->items, level);
        out.add(u']');
        break;
    case ValueKind::Set:
    case ValueKind::FrozenSet:
        if (value->items.empty()) {
            out.add(value->kind == ValueKind::Set ? u"set()" : u"frozenset()");
            break;
        }
        out.add(value->kind == ValueKind::Set ? u"{" : u"frozenset({");
        deep ? out.add(u"...") : renderItems(out, value->items, level);
        out.add(value->kind == ValueKind::Set ? u"}" : u"})");
        break;
    case ValueKind::Dict:
        if (!value->text.isEmpty()) {
            out.add(value->text);
            out.add(u'(');
        }
        out.add(u'{');
        if (deep && !value->entries().empty())
            out.add(u"...");
        for (size_t i = 0; !deep && i < value->entries().size() && !out.full(); ++i) {
            if (i)
                out.add(u", ");
            render(out, value->entries()[i].first, level + 1);
            out.add(u": ");
            render(out, value->entries()[i].second, level + 1);
        }
        out.add(u'}');
        if (!value->text.isEmpty())
            out.add(u')');
        break;
    case ValueKind::Global: out.add(value->text); break;
    case ValueKind::Object: renderObject(out, value, level); break;
    case ValueKind::Tensor:
        out.add(QStringLiteral("tensor #%1").arg(value->index));
        if (value->dtype != DType::Unknown)
            out.add(QStringLiteral(" (%1)").arg(dtypeName(value->dtype)));
        break;
    case ValueKind::Storage: out.add(QStringLiteral("storage #%1").arg(value->index)); break;
    case ValueKind::DType: out.add(QString(QStringLiteral("torch.") + dtypeName(value->dtype))); break;
    case ValueKind::Device: out.add(QStringLiteral("device('%1')").arg(value->text)); break;
    case ValueKind::Layout: out.add(value->text); break;
    case ValueKind::Slice:
        out.add(u"slice(");
        renderItems(out, value->items, level);
        out.add(u')');
        break;
    case ValueKind::Mark: out.add(u"<mark>"); break;
    }
}

}  // namespace

QString Value::summary(int maxLength) const
{
    Writer out(maxLength);
    render(out, this, 0);
    return out.finish();
}

}  // namespace statelens
