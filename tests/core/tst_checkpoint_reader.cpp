// Every fixture written by torch (tests/data/generate_fixtures.py) opens to exactly what
// torch.load returned for it; every broken or hostile one fails or lists safely.
#include "tests/support/fixture_expectations.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"
#include "core/stats/value_reader.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace statelens;

namespace {

// Every value of `tensor`, in C order, read as the value preview reads it, equals what NumPy (or
// torch) returned for it.
bool valuesEqual(const Checkpoint& checkpoint, const TensorInfo& tensor, const QJsonArray& expected)
{
    auto reader = ValueReader::create(checkpoint, tensor);
    if (!reader) {
        qWarning("%s: %s", qPrintable(tensor.name), qPrintable(reader.error().toString()));
        return false;
    }
    if (reader->numel() != expected.size()) {
        qWarning("%s: %lld values, expected %lld", qPrintable(tensor.name), qlonglong(reader->numel()), qlonglong(expected.size()));
        return false;
    }
    QVector<qint64> coordinate(tensor.shape.size(), 0);
    for (qsizetype i = 0; i < expected.size(); ++i) {
        auto value = reader->at(coordinate);
        if (!value)
            return false;
        const QJsonValue want = expected[i];
        double got = 0.0;
        switch (value->kind) {
        case ElementValue::Kind::Real: got = value->real; break;
        case ElementValue::Kind::Signed:
        case ElementValue::Kind::Bool: got = double(value->integer); break;
        case ElementValue::Kind::Unsigned: got = double(value->unsignedInteger); break;
        case ElementValue::Kind::Complex: return false;  // not recorded
        }
        const double wanted = want.isBool() ? (want.toBool() ? 1.0 : 0.0) : want.toDouble();
        if (got != wanted) {
            qWarning("%s[%lld]: %.17g, expected %.17g", qPrintable(tensor.name), qlonglong(i), got, wanted);
            return false;
        }
        for (qsizetype d = coordinate.size() - 1; d >= 0; --d) {  // the next index in C order
            if (++coordinate[d] < tensor.shape[d])
                break;
            coordinate[d] = 0;
        }
    }
    return true;
}

}  // namespace

class TestCheckpointReader : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testFixtureMatchesTorch_data();
    void testFixtureMatchesTorch();
    void testTruncatedCopiesFailCleanly_data();
    void testTruncatedCopiesFailCleanly();
    void testMutatedCopiesFailCleanly();
    void testShardFolderOpensLikeIndex();
    void testMissingFileNamesFileAndCause();
    void testTensorBytesAreMappedNotRead();

private:
    QVector<FixtureExpectation> m_expectations = loadFixtureExpectations(QStringLiteral(STATELENS_TEST_DATA));
};

void TestCheckpointReader::testFixtureMatchesTorch_data()
{
    QTest::addColumn<int>("index");
    QVERIFY2(m_expectations.size() >= 30, "the fixtures are missing: run tests/data/generate_fixtures.py");
    const QDir data(QStringLiteral(STATELENS_TEST_DATA));
    for (int i = 0; i < m_expectations.size(); ++i)
        QTest::addRow("%s", qPrintable(data.relativeFilePath(m_expectations[i].fixturePath))) << i;
}

void TestCheckpointReader::testFixtureMatchesTorch()
{
    QFETCH(int, index);
    const FixtureExpectation& expected = m_expectations[index];
    const QString canary = QStringLiteral("/tmp/statelens_canary_") + QFileInfo(expected.fixturePath).completeBaseName();
    QFile::remove(canary);

    auto opened = openCheckpoint(expected.fixturePath);
    QVERIFY2(!QFile::exists(canary), "the file's payload ran");

    if (!expected.error.isEmpty()) {
        QVERIFY2(!opened, "a broken file opened without error");
        const Error& error = opened.error();
        QCOMPARE(error.path, expected.fixturePath);
        QVERIFY2(error.message.contains(expected.error, Qt::CaseInsensitive),
                 qPrintable(QStringLiteral("message '%1' lacks '%2'").arg(error.message, expected.error)));
        return;
    }
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    const Checkpoint& checkpoint = **opened;
    QCOMPARE(formatName(checkpoint.format), expected.format);
    if (expected.hasUnsafeGlobals) {
        QStringList actual = checkpoint.unsafeGlobals;
        QStringList wanted = expected.unsafeGlobals;
        actual.sort();
        wanted.sort();
        QCOMPARE(actual, wanted);
    }
    QCOMPARE(checkpoint.tensors.size(), expected.tensors.size());
    QHash<int, int> groupToStorage;
    for (int i = 0; i < expected.tensors.size(); ++i) {
        const ExpectedTensor& want = expected.tensors[i];
        const TensorInfo& got = checkpoint.tensors[i];
        QCOMPARE(got.name, want.name);
        QCOMPARE(tensorOriginName(got.origin), want.origin);
        QCOMPARE(tensorKindName(got.kind), want.kind);
        QCOMPARE(got.numpyDtype, want.numpyDtype);
        if (!want.values.isEmpty())
            QVERIFY(valuesEqual(checkpoint, got, want.values));
        QCOMPARE(dtypeName(got.dtype), want.dtype);
        QCOMPARE(formatShape(got.shape), formatShape(want.shape));
        QCOMPARE(layoutName(got.layout), want.layout);
        if (want.layout == QLatin1String("strided")) {
            if (want.hasStrides)
                QCOMPARE(formatShape(got.strides), formatShape(want.strides));
            QCOMPARE(got.storageOffset, want.storageOffset);
        }
        if (want.storageGroup >= 0) {
            // Views of one storage in torch are views of one storage here, and only those.
            const int storage = groupToStorage.value(want.storageGroup, got.storage);
            QCOMPARE(got.storage, storage);
            groupToStorage.insert(want.storageGroup, got.storage);
            QCOMPARE(groupToStorage.keys(got.storage).size(), 1);
        }
    }
}

void TestCheckpointReader::testTruncatedCopiesFailCleanly_data()
{
    QTest::addColumn<QString>("path");
    for (const FixtureExpectation& expected : m_expectations) {
        const QFileInfo info(expected.fixturePath);
        if (expected.error.isEmpty() && info.isFile() && info.size() < 400000 && !info.fileName().endsWith(QLatin1String(".json")))
            QTest::addRow("%s", qPrintable(info.fileName())) << expected.fixturePath;
    }
}

void TestCheckpointReader::testTruncatedCopiesFailCleanly()
{
    QFETCH(QString, path);
    QFile source(path);
    QVERIFY(source.open(QIODevice::ReadOnly));
    const QByteArray bytes = source.readAll();
    QTemporaryDir dir;
    const QString copyPath = dir.filePath(QFileInfo(path).fileName());
    // Cut points spread over the file, and just around the start and the end.
    QVector<qsizetype> cuts = {0, 1, 8, 9, 30, 64, bytes.size() - 1, bytes.size() - 22, bytes.size() - 23};
    for (int i = 1; i < 24; ++i)
        cuts.append(bytes.size() * i / 24);
    for (qsizetype cut : cuts) {
        if (cut < 0 || cut >= bytes.size())
            continue;
        QFile copy(copyPath);
        QVERIFY(copy.open(QIODevice::WriteOnly | QIODevice::Truncate));
        copy.write(bytes.left(cut));
        copy.close();
        auto opened = openCheckpoint(copyPath);
        if (!opened) {
            QCOMPARE(opened.error().path, copyPath);
            QVERIFY2(!opened.error().message.isEmpty(), "an error without a message");
        }
    }
}

// 300 mutated copies of real fixtures (bit flips biased to the first and last bytes, where the
// headers and the zip directory live; truncations; zeroed runs; splices of two files): each
// opens or fails with a message naming the file, and nothing crashes.
void TestCheckpointReader::testMutatedCopiesFailCleanly()
{
    QVector<QByteArray> sources;
    for (const FixtureExpectation& expected : m_expectations) {
        const QFileInfo info(expected.fixturePath);
        if (!info.isFile() || info.size() > 300000 || info.fileName().endsWith(QLatin1String(".json")))
            continue;
        QFile file(info.filePath());
        if (file.open(QIODevice::ReadOnly))
            sources.append(file.readAll());
    }
    QVERIFY(sources.size() > 20);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mutated.pt"));
    quint64 state = 0x5eed5eed12345678ull;  // fixed seed: a failure reproduces
    auto next = [&state](quint64 bound) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return bound ? state % bound : 0;
    };
    int opened = 0;
    for (int round = 0; round < 300; ++round) {
        QByteArray bytes = sources[int(next(quint64(sources.size())))];
        if (bytes.isEmpty())
            continue;
        switch (next(4)) {
        case 0:  // flips near either end
            for (int i = 0; i < 4; ++i) {
                const qsizetype window = qMin<qsizetype>(bytes.size(), 600);
                const qsizetype at = next(2) ? qsizetype(next(quint64(window))) : bytes.size() - 1 - qsizetype(next(quint64(window)));
                bytes[at] = char(bytes[at] ^ char(1 << next(8)));
            }
            break;
        case 1:  // flips anywhere
            for (int i = 0; i < 8; ++i) {
                const qsizetype at = qsizetype(next(quint64(bytes.size())));
                bytes[at] = char(bytes[at] ^ char(1 << next(8)));
            }
            break;
        case 2: {  // a zeroed run
            const qsizetype at = qsizetype(next(quint64(bytes.size())));
            bytes.replace(at, qMin<qsizetype>(64, bytes.size() - at), QByteArray(qMin<qsizetype>(64, bytes.size() - at), '\0'));
            break;
        }
        default: {  // head of one file, tail of another
            const QByteArray& other = sources[int(next(quint64(sources.size())))];
            bytes = bytes.left(qsizetype(next(quint64(bytes.size())))) + other.mid(qsizetype(next(quint64(other.size() + 1))));
            break;
        }
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(bytes);
        file.close();
        auto result = openCheckpoint(path);
        if (result) {
            ++opened;
            // What opened must also hand out its bytes, or say why not: never read out of bounds.
            for (const TensorInfo& tensor : (*result)->tensors) {
                if (tensor.storage < 0)
                    continue;
                auto bytes = (*result)->storageBytes(tensor.storage);
                if (bytes)
                    QCOMPARE(bytes->size(), (*result)->storages[tensor.storage].nbytes);
                else
                    QVERIFY(!bytes.error().message.isEmpty());
            }
            continue;
        }
        QCOMPARE(result.error().path, path);
        QVERIFY2(!result.error().message.isEmpty(), "an error without a message");
    }
    qInfo("%d of 300 mutated copies still opened", opened);
}

void TestCheckpointReader::testShardFolderOpensLikeIndex()
{
    for (const char* folder : {"sharded_st", "sharded_bin"}) {
        const QDir dir(QStringLiteral(STATELENS_TEST_DATA "/") + QLatin1String(folder));
        QVERIFY2(dir.exists(), qPrintable(dir.path()));
        auto byFolder = openCheckpoint(dir.path());
        QVERIFY2(byFolder, qPrintable(byFolder ? QString() : byFolder.error().toString()));
        QCOMPARE((*byFolder)->format, Format::Sharded);
        QVERIFY((*byFolder)->tensors.size() > 1);
        QVERIFY((*byFolder)->files.size() >= 2);
    }
}

void TestCheckpointReader::testMissingFileNamesFileAndCause()
{
    const QString path = QStringLiteral(STATELENS_TEST_DATA "/no_such_checkpoint.pt");
    auto opened = openCheckpoint(path);
    QVERIFY(!opened);
    QCOMPARE(opened.error().path, path);
    QVERIFY(opened.error().toString().contains(QLatin1String("no such file")));
}

void TestCheckpointReader::testTensorBytesAreMappedNotRead()
{
    const QString path = QStringLiteral(STATELENS_TEST_DATA "/simple_cnn.pth");
    auto opened = openCheckpoint(path);
    QVERIFY(opened);
    const Checkpoint& checkpoint = **opened;
    // Opening does not locate storage bytes; asking for them resolves the record in place.
    for (const StorageInfo& storage : checkpoint.storages)
        QCOMPARE(storage.fileOffset, qint64(-1));
    auto bytes = checkpoint.storageBytes(checkpoint.tensors.front().storage);
    QVERIFY(bytes);
    QCOMPARE(bytes->size(), checkpoint.storages[checkpoint.tensors.front().storage].nbytes);
    // torch aligns every record's data to 64 bytes in the file: we point straight into the map.
    QCOMPARE((bytes->data() - checkpoint.files[0].map->data()) % 64, 0);
}

QTEST_GUILESS_MAIN(TestCheckpointReader)
#include "tst_checkpoint_reader.moc"
