// The .npy/.npz reader against NumPy's own files and NumPy's own reading of them
// (tests/data/numpy/make_numpy_fixtures.py writes both): every file NumPy loads is listed with its
// shape, dtype and layout, and its values (read element by element through the view) give NumPy's
// min, max and sum; every file NumPy refuses is refused, naming the file. The same for joblib's
// files against joblib.load (tests/data/joblib/make_joblib_fixtures.py), and their globals.
#include "core/formats/checkpoint_reader.h"
#include "core/formats/npy_header.h"
#include "core/stats/value_reader.h"
#include "tests/support/expected_files.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>

using namespace statelens;

class TestNumpyFiles : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testAgreesWithNumpy_data();
    void testAgreesWithNumpy();
    void testAgreesWithJoblib_data();
    void testAgreesWithJoblib();
    void testHeaderBounds_data();
    void testHeaderBounds();
};

namespace {

QString numpyData(const QString& name = QString())
{
    return QStringLiteral(STATELENS_TEST_DATA "/numpy/") + name;
}

double asDouble(const ElementValue& value)
{
    switch (value.kind) {
    case ElementValue::Kind::Signed: case ElementValue::Kind::Bool: return double(value.integer);
    case ElementValue::Kind::Unsigned: return double(value.unsignedInteger);
    case ElementValue::Kind::Complex: return std::hypot(value.real, value.imag);
    case ElementValue::Kind::Real: break;
    }
    return value.real;
}

// Every element of TENSOR through its view, in C order of its shape.
bool forEachElement(const Checkpoint& checkpoint, const TensorInfo& tensor, const std::function<void(const ElementValue&)>& visit, QString* error)
{
    auto reader = ValueReader::create(checkpoint, tensor);
    if (!reader) {
        *error = reader.error().message;
        return false;
    }
    QVector<qint64> coordinate(tensor.shape.size(), 0);
    for (qint64 done = 0; done < tensor.numel(); ++done) {
        auto value = reader->at(coordinate);
        if (!value) {
            *error = value.error().message;
            return false;
        }
        visit(*value);
        for (qsizetype dim = coordinate.size() - 1; dim >= 0; --dim) {
            if (++coordinate[dim] < tensor.shape[dim])
                break;
            coordinate[dim] = 0;
        }
    }
    return true;
}

}  // namespace

namespace {

// Each array EXPECTED lists (name -> dtype, shape, fortran_order, min, max, sum) against what
// CHECKPOINT lists and its values read element by element.
void compareArrays(const Checkpoint& checkpoint, const QJsonObject& arrays)
{
    QCOMPARE(checkpoint.tensors.size(), arrays.size());
    for (auto it = arrays.begin(); it != arrays.end(); ++it) {
        const QJsonObject expected = it.value().toObject();
        const auto found = std::find_if(checkpoint.tensors.cbegin(), checkpoint.tensors.cend(),
                                        [&](const TensorInfo& tensor) { return tensor.name == it.key(); });
        QVERIFY2(found != checkpoint.tensors.cend(), qPrintable(it.key()));
        const TensorInfo& tensor = *found;
        QCOMPARE(tensor.kind, TensorKind::Array);
        QVector<qint64> shape;
        for (const QJsonValue& dim : expected.value(QStringLiteral("shape")).toArray())
            shape.append(dim.toInteger());
        QCOMPARE(tensor.shape, shape);
        const QString dtype = expected.value(QStringLiteral("dtype")).toString();
        if (dtype.startsWith(QLatin1String("|V")))
            QVERIFY2(tensor.numpyDtype.startsWith(u'['), qPrintable(tensor.numpyDtype));  // a record: its fields as written
        else
            QCOMPARE(tensor.numpyDtype, dtype);
        // NumPy's nbytes, records aside (their element size is in the field list).
        if (expected.contains(QStringLiteral("nbytes")) && !dtype.startsWith(QLatin1String("|V")))
            QCOMPARE(tensor.nbytes(), expected.value(QStringLiteral("nbytes")).toInteger());
        if (expected.contains(QStringLiteral("fortran_order")))
            QCOMPARE(!tensor.isContiguous() && tensor.numel() > 1, expected.value(QStringLiteral("fortran_order")).toBool());
        if (!expected.contains(QStringLiteral("sum"))) {
            QVERIFY(tensor.storage < 0 || tensor.numel() == 0);  // strings, records, objects, empty arrays: nothing to read
            continue;
        }
        double minimum = INFINITY, maximum = -INFINITY, sum = 0.0;
        QString error;
        QVERIFY2(forEachElement(checkpoint, tensor, [&](const ElementValue& value) {
                     const double x = asDouble(value);
                     minimum = std::min(minimum, x);
                     maximum = std::max(maximum, x);
                     sum += x;
                 }, &error), qPrintable(error));
        const double tolerance = 1e-5 * std::max(1.0, std::abs(expected.value(QStringLiteral("sum")).toDouble()));
        QVERIFY2(std::abs(sum - expected.value(QStringLiteral("sum")).toDouble()) <= tolerance, qPrintable(QString::number(sum)));
        if (expected.contains(QStringLiteral("min"))) {
            QCOMPARE(minimum, expected.value(QStringLiteral("min")).toDouble());
            QCOMPARE(maximum, expected.value(QStringLiteral("max")).toDouble());
        }
    }
}

}  // namespace

void TestNumpyFiles::testAgreesWithNumpy_data()
{
    addExpectedFileRows(numpyData(QStringLiteral("expected.json")), "numpy", 20);
}

void TestNumpyFiles::testAgreesWithNumpy()
{
    QFETCH(QString, file);
    QFETCH(QJsonObject, numpy);
    const QString path = numpyData(file);
    auto opened = openCheckpoint(path);
    if (!numpy.value(QStringLiteral("loads")).toBool()) {
        QVERIFY2(!opened, qPrintable(QStringLiteral("NumPy refuses it (%1), we read it").arg(numpy.value(QStringLiteral("message")).toString())));
        QCOMPARE(opened.error().path, path);
        return;
    }
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    const Checkpoint& checkpoint = **opened;
    QCOMPARE(formatName(checkpoint.format), file.endsWith(QLatin1String(".npz")) ? QStringLiteral("npz") : QStringLiteral("npy"));
    compareArrays(checkpoint, numpy.value(QStringLiteral("arrays")).toObject());
}

void TestNumpyFiles::testAgreesWithJoblib_data()
{
    addExpectedFileRows(QStringLiteral(STATELENS_TEST_DATA "/joblib/expected.json"), "joblib", 3);
}

// joblib.dump's arrays, their bytes between the pickle's opcodes, read where joblib.load reads
// them; an object array's nested pickle read by the machine, its globals named.
void TestNumpyFiles::testAgreesWithJoblib()
{
    QFETCH(QString, file);
    QFETCH(QJsonObject, joblib);
    auto opened = openCheckpoint(QStringLiteral(STATELENS_TEST_DATA "/joblib/") + file);
    if (joblib.contains(QStringLiteral("refused"))) {
        QVERIFY(!opened);
        QVERIFY2(opened.error().message.contains(joblib.value(QStringLiteral("refused")).toString()), qPrintable(opened.error().message));
        return;
    }
    QVERIFY2(opened, qPrintable(opened ? QString() : opened.error().toString()));
    const Checkpoint& checkpoint = **opened;
    QCOMPARE(formatName(checkpoint.format), joblib.value(QStringLiteral("format")).toString());
    QStringList unsafe;
    for (const QJsonValue& name : joblib.value(QStringLiteral("unsafe")).toArray())
        unsafe.append(name.toString());
    QCOMPARE(checkpoint.unsafeGlobals, unsafe);
    compareArrays(checkpoint, joblib.value(QStringLiteral("arrays")).toObject());
}

// Lengths and nesting a hostile header can claim, checked before anything is allocated or walked.
void TestNumpyFiles::testHeaderBounds_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");
    const QByteArray magic("\x93NUMPY", 6);
    QTest::newRow("magic only") << magic << QStringLiteral("ends inside the magic");
    QTest::newRow("v2 length 4 GiB") << magic + QByteArray("\x02\x00\xff\xff\xff\xff{", 7) << QStringLiteral("the file ends after");
    QByteArray deep = "{'descr': " + QByteArray(100, '[') + QByteArray(100, ']') + ", 'fortran_order': False, 'shape': (), }";
    QByteArray header = magic + QByteArray("\x01\x00", 2);
    header.append(char(deep.size() & 0xff)).append(char(deep.size() >> 8));
    QTest::newRow("nesting 100 deep") << header + deep << QStringLiteral("nesting deeper than");
    QByteArray longHeader(20000, ' ');
    longHeader.prepend("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }");
    QByteArray v2 = magic + QByteArray("\x02\x00", 2);
    v2.append(char(longHeader.size() & 0xff)).append(char((longHeader.size() >> 8) & 0xff)).append('\0').append('\0');
    QTest::newRow("header past NumPy's limit") << v2 + longHeader << QStringLiteral("more than NumPy reads safely");
    QByteArray huge = "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }";
    QByteArray hugeFile = magic + QByteArray("\x01\x00", 2);
    hugeFile.append(char(huge.size() & 0xff)).append(char(huge.size() >> 8));
    QTest::newRow("size beyond 2^63") << hugeFile + huge << QStringLiteral("beyond 2^63");
}

void TestNumpyFiles::testHeaderBounds()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    const auto header = parseNpyHeader(bytes.constData(), bytes.size());
    QVERIFY(!header);
    QVERIFY2(header.error().message.contains(error), qPrintable(header.error().message));
}

QTEST_GUILESS_MAIN(TestNumpyFiles)
#include "tst_numpy_files.moc"
