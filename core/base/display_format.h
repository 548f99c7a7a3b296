// Short human-readable renderings shared by the CLI tables and the GUI.
#pragma once

#include <QString>
#include <QVector>

namespace statelens {

QString formatBytes(qint64 bytes);           // "44.7 MiB", "512 B"
QString formatCount(qint64 count);           // "11,689,512"
QString formatShape(const QVector<qint64>& shape);  // "[16, 3, 3, 3]", "[]" for 0-dim

}  // namespace statelens
