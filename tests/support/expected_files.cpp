#include "tests/support/expected_files.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

QJsonObject expectedFiles(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("files")).toObject();
}

void addExpectedFileRows(const QString& path, const char* valueColumn, int minimum)
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QJsonObject>(valueColumn);
    appendExpectedFileRows(path, QString(), minimum);
}

void appendExpectedFileRows(const QString& path, const QString& prefix, int minimum)
{
    const QJsonObject files = expectedFiles(path);
    QVERIFY2(files.size() >= minimum, qPrintable(path + QStringLiteral(" is missing or short")));
    for (auto it = files.begin(); it != files.end(); ++it)
        QTest::newRow(qPrintable(prefix + it.key())) << prefix + it.key() << it.value().toObject();
}
