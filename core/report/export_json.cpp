#include "core/report/export_json.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace statelens {

QByteArray exportJsonText(const QString& file, const ExportSummary& summary, const QString& formatName,
                          const QString& snippet)
{
    QJsonObject root{{QStringLiteral("file"), file},
                     {QStringLiteral("output"), summary.output},
                     {QStringLiteral("format"), formatName},
                     {QStringLiteral("key"), summary.view.path},
                     {QStringLiteral("tensors"), summary.tensors},
                     {QStringLiteral("bytes"), summary.bytes}};
    if (!snippet.isEmpty())
        root.insert(QStringLiteral("snippet"), snippet);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

}  // namespace statelens
