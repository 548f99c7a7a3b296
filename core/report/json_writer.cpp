#include "core/report/json_writer.h"

#include <QLocale>

#include <cmath>

namespace statelens {

void JsonWriter::newline()
{
    m_out.append('\n');
    m_out.append(QByteArray(m_first.size() * 4, ' '));
}

void JsonWriter::beforeValue()
{
    if (m_afterKey) {
        m_afterKey = false;
        return;
    }
    if (!m_first.isEmpty()) {
        if (!m_first.back())
            m_out.append(',');
        m_first.back() = false;
        newline();
    }
}

void JsonWriter::beginObject()
{
    beforeValue();
    m_out.append('{');
    m_first.append(true);
}

void JsonWriter::endObject()
{
    const bool empty = m_first.takeLast();
    if (!empty)
        newline();
    m_out.append('}');
    if (m_first.isEmpty())
        m_out.append('\n');
}

void JsonWriter::beginArray()
{
    beforeValue();
    m_out.append('[');
    m_first.append(true);
}

void JsonWriter::endArray()
{
    const bool empty = m_first.takeLast();
    if (!empty)
        newline();
    m_out.append(']');
}

void JsonWriter::key(const char* name)
{
    beforeValue();
    writeString(QString::fromUtf8(name));
    m_out.append(": ");
    m_afterKey = true;
}

void JsonWriter::writeString(const QString& text)
{
    m_out.append('"');
    const QByteArray utf8 = text.toUtf8();
    for (char c : utf8) {
        const uchar u = uchar(c);
        switch (c) {
        case '"': m_out.append("\\\""); break;
        case '\\': m_out.append("\\\\"); break;
        case '\n': m_out.append("\\n"); break;
        case '\r': m_out.append("\\r"); break;
        case '\t': m_out.append("\\t"); break;
        default:
            if (u < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof(escaped), "\\u%04x", u);
                m_out.append(escaped);
            } else {
                m_out.append(c);  // UTF-8 passes through unchanged
            }
        }
    }
    m_out.append('"');
}

void JsonWriter::value(const QString& text)
{
    beforeValue();
    writeString(text);
}

void JsonWriter::value(qint64 number)
{
    beforeValue();
    m_out.append(QByteArray::number(number));
}

void JsonWriter::value(double number)
{
    beforeValue();
    if (!std::isfinite(number)) {
        m_out.append("null");  // JSON has no NaN or infinity
        return;
    }
    m_out.append(QByteArray::number(number, 'g', QLocale::FloatingPointShortest));
}

void JsonWriter::value(bool flag)
{
    beforeValue();
    m_out.append(flag ? "true" : "false");
}

void JsonWriter::figure(const char* name, double number, bool known)
{
    key(name);
    if (known)
        value(number);
    else
        null();
}

void JsonWriter::null()
{
    beforeValue();
    m_out.append("null");
}

void JsonWriter::value(const QVector<qint64>& numbers)
{
    beforeValue();
    m_out.append('[');
    for (qsizetype i = 0; i < numbers.size(); ++i) {
        if (i)
            m_out.append(", ");
        m_out.append(QByteArray::number(numbers[i]));
    }
    m_out.append(']');
}

void JsonWriter::value(const QStringList& texts)
{
    beginArray();
    for (const QString& text : texts)
        value(text);
    endArray();
}

}  // namespace statelens
