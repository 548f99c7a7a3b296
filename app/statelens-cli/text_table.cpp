#include "app/statelens-cli/text_table.h"

#include <cmath>

namespace statelens::cli {

void TextTable::setHeader(const QStringList& header, const QVector<Align>& align)
{
    m_header = header;
    m_align = align;
}

void TextTable::addRow(const QStringList& row)
{
    m_rows.append(row);
}

QString TextTable::render() const
{
    QVector<qsizetype> widths(m_header.size(), 0);
    auto measure = [&widths](const QStringList& row) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = qMax(widths[i], row[i].size());
    };
    measure(m_header);
    for (const QStringList& row : m_rows)
        measure(row);
    auto line = [&](const QStringList& row) -> QString {
        QString text;
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString cell = i < row.size() ? row[i] : QString();
            const bool last = i + 1 == widths.size();
            if (m_align.value(i) == Align::Right)
                text += cell.rightJustified(widths[i]);
            else
                text += last ? cell : cell.leftJustified(widths[i]);
            if (!last)
                text += QStringLiteral("  ");
        }
        return text + u'\n';
    };
    QString out = line(m_header);
    for (const QStringList& row : m_rows)
        out += line(row);
    return out;
}

QString tableFigure(double value, bool exists)
{
    if (!exists || !std::isfinite(value))
        return QStringLiteral("-");
    return QString::number(value, 'g', 6);
}

}  // namespace statelens::cli
