// Reads the *.expected.json files that tests/data/generate_fixtures.py writes from torch.load.
#pragma once

#include <QJsonArray>
#include <QString>
#include <QStringList>
#include <QVector>

struct ExpectedTensor {
    QString name;
    QString dtype;
    QVector<qint64> shape;
    QVector<qint64> strides;
    bool hasStrides = false;
    qint64 storageOffset = 0;
    QString layout = QStringLiteral("strided");
    int storageGroup = -1;
    bool isParameter = false;
    QString origin = QStringLiteral("state");  // "attribute": held by a module outside state_dict()
    QString kind = QStringLiteral("tensor");   // "array": a NumPy array
    QString numpyDtype;                        // arrays: NumPy's dtype string
    QJsonArray values;                         // numeric arrays: every value, in C order
};

struct FixtureExpectation {
    QString fixturePath;      // the checkpoint (file, index or folder)
    QString format;           // empty when the file must fail
    QString error;            // substring of the expected error, empty when it must open
    QVector<ExpectedTensor> tensors;
    QStringList unsafeGlobals;
    bool hasUnsafeGlobals = false;
};

// Every expectation below `dataDir`, sorted by path.
QVector<FixtureExpectation> loadFixtureExpectations(const QString& dataDir);
