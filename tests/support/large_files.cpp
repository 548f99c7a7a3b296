#include "tests/support/large_files.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>

namespace statelens::test {

bool writeZeroSafetensors(const QString& path, int tensors, qint64 numel)
{
    QJsonObject header;
    for (int i = 0; i < tensors; ++i)
        header.insert(QStringLiteral("blocks.%1.weight").arg(i),
                      QJsonObject{{QStringLiteral("dtype"), QStringLiteral("F32")},
                                  {QStringLiteral("shape"), QJsonArray{numel}},
                                  {QStringLiteral("data_offsets"), QJsonArray{i * numel * 4, (i + 1) * numel * 4}}});
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)  // the data starts 8-aligned, as the safetensors writer pads it
        json.append(' ');
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    char length[8];
    qToLittleEndian<quint64>(quint64(json.size()), length);
    file.write(length, 8);
    file.write(json);
    return file.resize(8 + json.size() + tensors * numel * 4);  // zeros, sparse on disk
}

}  // namespace statelens::test
