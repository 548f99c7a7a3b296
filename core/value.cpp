#include "value.h"

#include "tensor_info.h"

#include <QStringList>

namespace statelens {

bool Value::isContainer() const
{
    switch (kind) {
    case ValueKind::Tuple:
    case ValueKind::List:
    case ValueKind::Dict:
    case ValueKind::Set:
    case ValueKind::FrozenSet:
    case ValueKind::Slice:
        return true;
    default:
        return false;
    }
}

Value* Value::find(QStringView key) const
{
    if (kind != ValueKind::Dict)
        return nullptr;
    for (const auto& [entryKey, entryValue] : entries) {
        if (entryKey->kind == ValueKind::String && entryKey->text == key)
            return entryValue;
    }
    return nullptr;
}

namespace {

// Renders without recursion deeper than a few levels: summaries are for labels, not dumps.
void render(const Value* value, QString* out, int maxLength, int depth)
{
    if (out->size() > maxLength)
        return;
    if (!value) {
        out->append(QStringLiteral("?"));
        return;
    }
    auto renderItems = [&](const std::vector<Value*>& items, QChar open, QChar close) {
        out->append(open);
        for (size_t i = 0; i < items.size() && out->size() <= maxLength; ++i) {
            if (i)
                out->append(QStringLiteral(", "));
            if (depth > 3)
                out->append(QStringLiteral("…"));
            else
                render(items[i], out, maxLength, depth + 1);
        }
        out->append(close);
    };
    switch (value->kind) {
    case ValueKind::None: out->append(QStringLiteral("None")); break;
    case ValueKind::Bool: out->append(value->boolean ? QStringLiteral("True") : QStringLiteral("False")); break;
    case ValueKind::Int: out->append(QString::number(value->integer)); break;
    case ValueKind::BigInt: out->append(value->text); break;
    case ValueKind::Float: out->append(QString::number(value->real, 'g', 17)); break;
    case ValueKind::Complex:
        out->append(QStringLiteral("(%1%2%3j)").arg(value->real).arg(value->imag < 0 ? QString() : QStringLiteral("+")).arg(value->imag));
        break;
    case ValueKind::String: out->append(u'\'' + value->text.left(maxLength) + u'\''); break;
    case ValueKind::Bytes: out->append(QStringLiteral("b'%1'").arg(QString::fromLatin1(value->bytes.left(maxLength).toHex()))); break;
    case ValueKind::Tuple: renderItems(value->items, u'(', u')'); break;
    case ValueKind::List: renderItems(value->items, u'[', u']'); break;
    case ValueKind::Set:
    case ValueKind::FrozenSet: renderItems(value->items, u'{', u'}'); break;
    case ValueKind::Slice: out->append(QStringLiteral("slice")); renderItems(value->items, u'(', u')'); break;
    case ValueKind::Dict:
        out->append(value->text.isEmpty() ? QStringLiteral("{") : value->text + QStringLiteral("({"));
        for (size_t i = 0; i < value->entries.size() && out->size() <= maxLength; ++i) {
            if (i)
                out->append(QStringLiteral(", "));
            if (depth > 3) {
                out->append(QStringLiteral("…"));
                break;
            }
            render(value->entries[i].first, out, maxLength, depth + 1);
            out->append(QStringLiteral(": "));
            render(value->entries[i].second, out, maxLength, depth + 1);
        }
        out->append(value->text.isEmpty() ? QStringLiteral("}") : QStringLiteral("})"));
        break;
    case ValueKind::Global: out->append(value->text); break;
    case ValueKind::Object:
        out->append(value->callee ? value->callee->text : QStringLiteral("object"));
        if (value->args && depth <= 3)
            render(value->args, out, maxLength, depth + 1);
        else
            out->append(QStringLiteral("(…)"));
        break;
    case ValueKind::Tensor: out->append(QStringLiteral("tensor #%1").arg(value->index)); break;
    case ValueKind::Storage: out->append(QStringLiteral("storage #%1").arg(value->index)); break;
    case ValueKind::DType: out->append(QStringLiteral("torch.") + dtypeName(value->dtype)); break;
    case ValueKind::Device: out->append(QStringLiteral("device('%1')").arg(value->text)); break;
    case ValueKind::Layout: out->append(value->text); break;
    case ValueKind::Mark: out->append(QStringLiteral("<mark>")); break;
    }
}

}  // namespace

QString Value::summary(int maxLength) const
{
    QString text;
    render(this, &text, maxLength, 0);
    if (text.size() > maxLength)
        text = text.left(maxLength - 1) + QStringLiteral("…");
    return text;
}

}  // namespace statelens
