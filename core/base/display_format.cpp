#include "core/base/display_format.h"

#include <QStringList>

namespace statelens {

QString formatBytes(qint64 bytes)
{
    static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 5) {
        value /= 1024.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', value < 10 ? 2 : 1).arg(QLatin1String(kUnits[unit]));
}

QString formatCount(qint64 count)
{
    QString digits = QString::number(count < 0 ? -count : count);
    for (qsizetype i = digits.size() - 3; i > 0; i -= 3)
        digits.insert(i, u',');
    return count < 0 ? u'-' + digits : digits;
}

QString formatShape(const QVector<qint64>& shape)
{
    QStringList parts;
    for (qint64 dim : shape)
        parts.append(QString::number(dim));
    return u'[' + parts.join(QStringLiteral(", ")) + u']';
}

}  // namespace statelens
