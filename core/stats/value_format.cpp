#include "core/stats/value_format.h"

#include <charconv>
#include <cmath>

namespace statelens {

namespace {

// '%.<digits>g' in the C locale; nan is never signed (its sign bit says nothing to a reader,
// and x86 arithmetic sets it on the nan it produces).
QString real(double x, int digits, bool forceSign = false)
{
    if (std::isnan(x))
        return forceSign ? QStringLiteral("+nan") : QStringLiteral("nan");
    // std::to_chars: printf's %g in the C locale, whatever LC_NUMERIC says, rounding exact ties
    // to even as printf and Python do (-8.078125 -> -8.07812). QString::number rounds those up
    // and drops the sign of -0.
    char buffer[64];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::general, digits).ptr;
    QString text = QString::fromLatin1(buffer, end - buffer);
    if (forceSign && !std::signbit(x))
        text.prepend(QLatin1Char('+'));
    return text;
}

QString format(const ElementValue& value, int floatDigits, int doubleDigits)
{
    const int digits = value.single ? floatDigits : doubleDigits;
    switch (value.kind) {
    case ElementValue::Kind::Real: return real(value.real, digits);
    case ElementValue::Kind::Signed: return QString::number(value.integer);
    case ElementValue::Kind::Unsigned: return QString::number(value.unsignedInteger);
    case ElementValue::Kind::Bool: return value.integer ? QStringLiteral("True") : QStringLiteral("False");
    case ElementValue::Kind::Complex:
        return real(value.real, digits) + real(value.imag, digits, true) + QLatin1Char('j');
    }
    return {};
}

}  // namespace

QString formatValue(const ElementValue& value, int digits)
{
    return format(value, digits, digits);
}

QString formatValueExact(const ElementValue& value)
{
    return format(value, 9, 17);
}

}  // namespace statelens
