#include "core/report/environment_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace statelens {

QByteArray devicesJsonText(const QString& libtorchVersion, const QVector<DeviceInfo>& devices)
{
    QJsonArray list;
    for (const DeviceInfo& device : devices)
        list.append(QJsonObject{{QStringLiteral("id"), device.id}, {QStringLiteral("name"), device.name},
                                {QStringLiteral("memory"), device.memoryBytes}});
    return QJsonDocument(QJsonObject{{QStringLiteral("libtorch"), libtorchVersion}, {QStringLiteral("devices"), list}})
        .toJson(QJsonDocument::Indented);
}

QByteArray architecturesJsonText(const QVector<TorchRuntime::ArchitectureEntry>& builtIn, const QStringList& sources)
{
    QJsonArray list;
    for (const auto& entry : builtIn)
        list.append(QJsonObject{{QStringLiteral("name"), entry.name}, {QStringLiteral("description"), entry.description}});
    return QJsonDocument(QJsonObject{{QStringLiteral("architectures"), list},
                                     {QStringLiteral("sources"), QJsonArray::fromStringList(sources)}})
        .toJson(QJsonDocument::Indented);
}

}  // namespace statelens
