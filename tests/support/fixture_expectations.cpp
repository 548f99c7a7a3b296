#include "tests/support/fixture_expectations.h"

#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace {

QVector<qint64> toIntVector(const QJsonValue& value)
{
    QVector<qint64> result;
    for (const QJsonValue& item : value.toArray())
        result.append(item.toInteger());
    return result;
}

}  // namespace

QVector<FixtureExpectation> loadFixtureExpectations(const QString& dataDir)
{
    QVector<FixtureExpectation> expectations;
    QDirIterator it(dataDir, {QStringLiteral("*.expected.json")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString expectedPath = it.next();
        QFile file(expectedPath);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
        FixtureExpectation expectation;
        expectation.fixturePath = expectedPath.chopped(int(QStringLiteral(".expected.json").size()));
        expectation.format = root.value(QStringLiteral("format")).toString();
        expectation.error = root.value(QStringLiteral("error")).toString();
        if (root.contains(QStringLiteral("unsafe_globals"))) {
            expectation.hasUnsafeGlobals = true;
            for (const QJsonValue& name : root.value(QStringLiteral("unsafe_globals")).toArray())
                expectation.unsafeGlobals.append(name.toString());
        }
        // Compact expectations leave out fields equal to "omitted_defaults".
        const QJsonObject defaults = root.value(QStringLiteral("omitted_defaults")).toObject();
        for (const QJsonValue& item : root.value(QStringLiteral("tensors")).toArray()) {
            QJsonObject object = item.toObject();
            for (auto it = defaults.begin(); it != defaults.end(); ++it) {
                if (!object.contains(it.key()))
                    object.insert(it.key(), it.value());
            }
            ExpectedTensor tensor;
            tensor.name = object.value(QStringLiteral("name")).toString();
            tensor.dtype = object.value(QStringLiteral("dtype")).toString();
            tensor.shape = toIntVector(object.value(QStringLiteral("shape")));
            tensor.hasStrides = object.contains(QStringLiteral("strides"));
            tensor.strides = toIntVector(object.value(QStringLiteral("strides")));
            tensor.storageOffset = object.value(QStringLiteral("storage_offset")).toInteger();
            tensor.layout = object.value(QStringLiteral("layout")).toString(QStringLiteral("strided"));
            tensor.storageGroup = object.value(QStringLiteral("storage_group")).toInt(-1);
            tensor.isParameter = object.value(QStringLiteral("is_parameter")).toBool();
            tensor.origin = object.value(QStringLiteral("origin")).toString(QStringLiteral("state"));
            tensor.kind = object.value(QStringLiteral("kind")).toString(QStringLiteral("tensor"));
            tensor.numpyDtype = object.value(QStringLiteral("numpy_dtype")).toString();
            tensor.values = object.value(QStringLiteral("values")).toArray();
            expectation.tensors.append(tensor);
        }
        expectations.append(expectation);
    }
    std::sort(expectations.begin(), expectations.end(),
              [](const FixtureExpectation& a, const FixtureExpectation& b) { return a.fixturePath < b.fixturePath; });
    return expectations;
}
