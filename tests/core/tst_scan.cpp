// statelens-cli scan against torch itself: for every fixture under tests/data (hostile corpus
// included), what torch.load(f, weights_only=True) of torch 1.13 did (recorded by
// tests/data/hostile/make_hostile_fixtures.py in weights_only_expected.json) must be what our
// torch-free emulation says: the verdict, the exception and its message. Plus the contract's JSON
// and exit codes (0 all safe, 1 any unsafe, 2 unreadable), and the opcode walker's bounds.
#include "core/formats/checkpoint_reader.h"
#include "core/pickle/pickle_opcodes.h"
#include "core/report/scan_json.h"
#include "core/scan/weights_only_rules.h"
#include "tests/support/cli_runner.h"
#include "tests/support/expected_files.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

using namespace statelens;

namespace {

QString data(const QString& rel) { return QStringLiteral(STATELENS_TEST_DATA "/") + rel; }

QJsonObject expectedVerdicts()
{
    return expectedFiles(data(QStringLiteral("hostile/weights_only_expected.json")));
}

// torch's C++ messages end in a stack trace or a plea for a better message; function addresses
// differ from run to run.
QString normalised(QString message)
{
    const qsizetype trace = message.indexOf(QLatin1String("\nException raised from"));
    if (trace >= 0)
        message.truncate(trace);
    const qsizetype plea = message.indexOf(QLatin1String("  (Could this error message be improved?"));
    if (plea >= 0)
        message.truncate(plea);
    message.replace(QRegularExpression(QStringLiteral(" at 0x[0-9a-f]+")), QStringLiteral(" at 0x"));
    return message.trimmed();
}

// Files where our emulation knowingly differs from torch, and why. Each is still opened safely.
// None at present: zip64_lying_size.pt was one while minizip reported the 32-bit size field under
// us; our reader takes the ZIP64 size as torch's does and gives torch's allocation error.
// Files whose verdict we know differs from torch's, and why (each one an open bug).
const QHash<QString, QString>& knownDifferences()
{
    static const QHash<QString, QString> table = {
        {QStringLiteral("fuzz/memo_laughs_mutated.pt"),
         QStringLiteral("torch's zip reader refuses record data/0 (\"invalid header or archive is corrupted\") while it "
                        "unpickles; the emulator reads no records and reports the GLOBAL at byte 238 instead (both refuse "
                        "the file; issue 24)")},
    };
    return table;
}

struct Figures {
    int files = 0, unreadable = 0, compared = 0, verdictAgrees = 0, messageCompared = 0, messageAgrees = 0, notApplicable = 0;
} g_figures;

}  // namespace

class TestScan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testWalkerBoundsEveryLength();
    void testAgreesWithTorch_data();
    void testAgreesWithTorch();
    void testCliContract();
    void testPeerSamples_data();
    void testPeerSamples();
    void testPeerNumpySamples_data();
    void testPeerNumpySamples();
    void testPeerCorpus_data();
    void testPeerCorpus();
    void testVerdictsByRelease_data();
    void testVerdictsByRelease();
    void cleanupTestCase();
};

void TestScan::testWalkerBoundsEveryLength()
{
    // BINUNICODE8 of 2^63+ bytes, BINBYTES of 4 GiB, SHORT_BINUNICODE past the end, an unfinished
    // GLOBAL: reported truncated, never read past the end.
    const QByteArray cases[] = {
        QByteArray("\x8d\xff\xff\xff\xff\xff\xff\xff\xff", 9), QByteArray("B\xff\xff\xff\xff" "abc", 8),
        QByteArray("\x8c\x10" "ab", 4), QByteArray("cos\nsys", 7), QByteArray("J\x01", 2), QByteArray("\x8a", 1)};
    for (const QByteArray& bytes : cases) {
        PickleOpWalker walker(bytes.constData(), bytes.size());
        PickleOp op;
        QVERIFY(walker.next(&op));
        QVERIFY(op.truncated());
        QVERIFY(op.argOffset + op.argLength <= bytes.size());
        QCOMPARE(walker.position(), qint64(bytes.size()));
        QVERIFY(!walker.next(&op));
    }
    // A pickle that torch's unpickler rejects at its first opcode
    const QByteArray frame("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00N.", 13);
    WeightsOnlyPickle pickle;
    pickle.data = frame.constData();
    pickle.size = frame.size();
    const WeightsOnlyRun run = runWeightsOnlyPickle(pickle);
    QVERIFY(!run.ok);
    QCOMPARE(run.error, QStringLiteral("Unsupported operand 149"));
}

void TestScan::testAgreesWithTorch_data()
{
    QTest::addColumn<QString>("rel");
    QTest::addColumn<bool>("loads");
    QTest::addColumn<QString>("exception");
    QTest::addColumn<QString>("message");
    const QJsonObject files = expectedVerdicts();
    QVERIFY2(files.size() > 100, "tests/data/hostile/weights_only_expected.json is missing or short");
    for (auto it = files.begin(); it != files.end(); ++it) {
        const QJsonObject v = it.value().toObject();
        QTest::addRow("%s", qPrintable(it.key())) << it.key() << v.value(QStringLiteral("loads")).toBool()
                                                  << v.value(QStringLiteral("exception")).toString()
                                                  << v.value(QStringLiteral("message")).toString();
    }
}

void TestScan::testAgreesWithTorch()
{
    QFETCH(QString, rel);
    QFETCH(bool, loads);
    QFETCH(QString, exception);
    QFETCH(QString, message);
    ++g_figures.files;
    // As scan reads it: what was reached before a failure still gets a verdict.
    const PartialCheckpoint opened = openAsFarAsPossible(data(rel));
    if (opened.error && !scanReachedAnything(*opened.checkpoint)) {
        ++g_figures.unreadable;  // scan exits 2: no verdict to compare (the hostile tests check the message)
        return;
    }
    const WeightsOnlyVerdict verdict = weightsOnlyVerdict(*opened.checkpoint);
    if (!verdict.applies) {
        ++g_figures.notApplicable;
        QVERIFY2(!loads, "torch.load read a file we call unreadable by torch");
        QVERIFY(!verdict.note.isEmpty());
        return;
    }
    ++g_figures.compared;
    const QString why = knownDifferences().value(rel);
    if (verdict.loads == loads)
        ++g_figures.verdictAgrees;
    else if (why.isEmpty())
        QFAIL(qPrintable(QStringLiteral("torch %1, we say %2: %3 %4").arg(loads ? QStringLiteral("loads") : message,
                                                                          verdict.loads ? QStringLiteral("loads") : verdict.exception, verdict.message, QString())));
    if (!loads && !verdict.loads) {
        ++g_figures.messageCompared;
        if (verdict.exception == exception && normalised(verdict.message) == normalised(message))
            ++g_figures.messageAgrees;
        else if (why.isEmpty()) {
            QCOMPARE(verdict.exception, exception);
            QCOMPARE(normalised(verdict.message), normalised(message));
        }
    }
    if (!why.isEmpty())
        qInfo("%s: known difference: %s", qPrintable(rel), qPrintable(why));
}

void TestScan::testCliContract()
{
    const QJsonObject files = expectedVerdicts();
    int runs = 0;
    for (auto it = files.begin(); it != files.end(); ++it) {
        const QString path = data(it.key());
        const CliRun run = runCli({QStringLiteral("scan"), path, QStringLiteral("--json")});
        ++runs;
        QVERIFY2(run.exitCode >= 0, qPrintable(it.key() + QStringLiteral(": crashed or hung")));
        if (run.exitCode == 2) {
            QVERIFY(run.out.isEmpty());
            const QString err = QString::fromUtf8(run.err);
            QVERIFY2(err.startsWith(QStringLiteral("statelens-cli: ") + path + QStringLiteral(": ")), qPrintable(err));
            QCOMPARE(err.count(u'\n'), 1);
            continue;
        }
        QJsonParseError parseError;
        const QJsonObject root = QJsonDocument::fromJson(run.out, &parseError).object();
        QVERIFY2(parseError.error == QJsonParseError::NoError, qPrintable(it.key()));
        QCOMPARE(root.value(QStringLiteral("file")).toString(), path);
        const QJsonArray unsafe = root.value(QStringLiteral("unsafe")).toArray();
        const QJsonArray globals = root.value(QStringLiteral("globals")).toArray();
        QVERIFY2(root.value(QStringLiteral("reads_differently")).isArray(), qPrintable(it.key()));
        // A file read part-way names what it reached before the error, and is never safe.
        const bool complete = root.value(QStringLiteral("complete")).toBool();
        QCOMPARE(root.value(QStringLiteral("error")).isNull(), complete);
        if (!complete) {
            QVERIFY2(root.value(QStringLiteral("error")).toString().startsWith(path + QStringLiteral(": ")), qPrintable(it.key()));
            QVERIFY2(!globals.isEmpty() || !root.value(QStringLiteral("reads_differently")).toArray().isEmpty()
                         || !root.value(QStringLiteral("other_readings")).toArray().isEmpty(), qPrintable(it.key()));
        }
        const bool safe = complete && unsafe.isEmpty() && root.value(QStringLiteral("reads_differently")).toArray().isEmpty();
        QCOMPARE(root.value(QStringLiteral("safe")).toBool(), safe);
        QCOMPARE(run.exitCode, safe ? 0 : 1);
        // Every unsafe name is a global of our reading or of another one (other_readings).
        QJsonArray reached = globals;
        for (const QJsonValue& reading : root.value(QStringLiteral("other_readings")).toArray())
            reached.append(reading.toObject().value(QStringLiteral("global")));
        for (const QJsonValue& name : unsafe)
            QVERIFY2(reached.contains(name), qPrintable(name.toString()));
        const QJsonValue weightsOnly = root.value(QStringLiteral("weights_only"));
        if (weightsOnly.isNull()) {
            QVERIFY(!root.value(QStringLiteral("weights_only_note")).toString().isEmpty());
        } else {
            const QJsonObject w = weightsOnly.toObject();
            QCOMPARE(w.value(QStringLiteral("torch")).toString(), QStringLiteral("1.13"));
            QVERIFY(w.value(QStringLiteral("loads")).isBool());
            QVERIFY(w.value(QStringLiteral("rejected")).isArray());
            QCOMPARE(w.value(QStringLiteral("error")).isNull(), w.value(QStringLiteral("loads")).toBool());
        }
    }
    QVERIFY(runs > 100);
    // The text form says the same and exits the same way.
    const CliRun text = runCli({QStringLiteral("scan"), data(QStringLiteral("hostile/global_os_system.pt"))});
    QCOMPARE(text.exitCode, 1);
    QVERIFY(text.out.contains("os.system   UNSAFE"));
    QVERIFY(text.out.contains("refuses: UnpicklingError: Unsupported class os.system"));
    // A pickle that reads differently names no unsafe global and is still not safe.
    const CliRun straddle = runCli({QStringLiteral("scan"), data(QStringLiteral("hostile/frame_straddle_system.pt"))});
    QCOMPARE(straddle.exitCode, 1);
    QVERIFY2(straddle.out.contains("Safe:    NO, a pickle reads differently in different unpicklers"), straddle.out.constData());
    QVERIFY2(straddle.out.contains("BINBYTES at byte"), straddle.out.constData());
    QVERIFY(!straddle.out.contains("Safe:    yes"));
    // ... and names the call CPython's file unpickler reads there (the fixture script asserts that
    // Python 3.11's _pickle reaches posix.system reading data.pkl from io.BytesIO).
    QVERIFY2(straddle.out.contains("posix.system   UNSAFE   (as CPython's C Unpickler reads it from a file"), straddle.out.constData());
    const CliRun straddleJson = runCli({QStringLiteral("scan"), data(QStringLiteral("hostile/frame_straddle_system.pt")), QStringLiteral("--json")});
    const QJsonArray readings = QJsonDocument::fromJson(straddleJson.out).object().value(QStringLiteral("other_readings")).toArray();
    QCOMPARE(readings.size(), 1);
    const QJsonObject reading = readings.first().toObject();
    QCOMPARE(reading.value(QStringLiteral("reading")).toString(), QStringLiteral("file_unpickler"));
    QCOMPARE(reading.value(QStringLiteral("global")).toString(), QStringLiteral("posix.system"));
    QCOMPARE(reading.value(QStringLiteral("pickle")).toString(), QStringLiteral("data.pkl"));
    QVERIFY(reading.value(QStringLiteral("unsafe")).toBool());
    QVERIFY(reading.value(QStringLiteral("byte")).toInteger() > 0);
    const CliRun usage = runCli({QStringLiteral("scan")});
    QCOMPARE(usage.exitCode, 2);
}

// The attack samples of picklescan and modelscan (tests/data/peers/SOURCES.md): each stops a strict reader
// part-way, after CPython would already have run its payload. The scan names the dangerous
// globals picklescan's own tests assert, says where reading stopped, and never calls them safe.
void TestScan::testPeerSamples_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("dangerous");  // picklescan's Dangerous globals, as torch 1.13 names them
    QTest::addColumn<QString>("stop");           // where our reading stops; for a raw pickle read whole, its format

    // What other readings name that ours did not reach, as "reading:global@byte" (picklescan's
    // "unknown" and "42" are our "?": a part of the name that is no string literal).
    QTest::addColumn<QStringList>("readings");
    QTest::newRow("memo entry missing") << QStringLiteral("keyerror-exploit.pkl") << QStringList{QStringLiteral("os.system")}
                                        << QStringLiteral("BINGET at byte 52: memo entry 3 is missing")
                                        << QStringList{QStringLiteral("after_error:?.os@56")};
    QTest::newRow("STACK_GLOBAL of an int") << QStringLiteral("type-confusion-exploit.pkl") << QStringList{QStringLiteral("os.system")}
                                            << QStringLiteral("STACK_GLOBAL at byte 62: module and name must be strings")
                                            << QStringList{QStringLiteral("after_error:?.os@62")};
    // CPython goes on past the BUILD and rebinds _rebuild_tensor; picklescan: "_rebuild_tensor.unknown".
    QTest::newRow("BUILD on a module") << QStringLiteral("sys_module_override_sploit.pkl") << QStringList{QStringLiteral("torch._utils")}
                                       << QStringLiteral("BUILD at byte 72: cannot apply state to a global")
                                       << QStringList{QStringLiteral("after_error:_rebuild_tensor.?@98")};
    // __builtin__.eval is builtins.eval under Python 3's name mapping (protocol 2 fix_imports);
    // torch.load reads on after the eval returns the magic number, to os.system in the fifth pickle.
    QTest::newRow("legacy magic number made by eval") << QStringLiteral("pytorch_magic_bypass.pt")
                                                      << QStringList{QStringLiteral("builtins.eval"), QStringLiteral("posix.system")}
                                                      << QStringLiteral("magic number is computed by a call torch.load would run (builtins.eval(")
                                                      << QStringList{};
    // Protocol 0/1 streams read like text; each one's import is reached before it ends or fails.
    // Raw pickles (pickle.dump) are read whole, as pickle.load reads them: complete, and unsafe;
    // so is one that makes a call and is followed by bytes that start no pickle (pickle.load
    // stops at STOP; torch.load would read on only if the call returned its magic number).
    const QString rawPickle = QStringLiteral("format:pickle");
    QTest::newRow("protocol 0 with STACK_GLOBAL") << QStringLiteral("malicious23.pkl") << QStringList{QStringLiteral("os.system")}
                                                  << rawPickle << QStringList{};
    QTest::newRow("protocol 0 with memo GETs") << QStringLiteral("malicious11.pkl") << QStringList{QStringLiteral("os.system")}
                                               << rawPickle << QStringList{};
    QTest::newRow("protocol 0, bytes after STOP") << QStringLiteral("malicious-invalid-bytes.pkl") << QStringList{QStringLiteral("os.system")}
                                                  << rawPickle << QStringList{};
    QTest::newRow("GLOBAL, then a string past the end") << QStringLiteral("broken_model.pkl") << QStringList{QStringLiteral("builtins.exec")}
                                                        << QStringLiteral("string of 543558206 bytes at byte 16 runs past the end") << QStringList{};
    // Plain zips (no torch layout) carrying a pickle another loader unpickles.
    for (const char* zip : {"malicious1.zip", "malicious1_central_directory.zip", "malicious1_crc.zip"}) {
        QTest::addRow("%s", zip) << QString::fromLatin1(zip) << QStringList{QStringLiteral("builtins.eval")}
                                 << QStringLiteral("its first record 'data.pkl' is not in a folder")
                                 << QStringList{QStringLiteral("zip_record:builtins.eval@29")};
    }
    QTest::newRow("malicious1_0x1.zip") << QStringLiteral("malicious1_0x1.zip") << QStringList{QStringLiteral("builtins.eval")}
                                        << QStringLiteral("zip archive has no data.pkl record")
                                        << QStringList{QStringLiteral("zip_record:builtins.eval@29")};
    QTest::newRow("malicious1_wrong_ext.zip") << QStringLiteral("malicious1_wrong_ext.zip") << QStringList{QStringLiteral("builtins.eval")}
                                              << QStringLiteral("its first record 'data.txt' is not in a folder")
                                              << QStringList{QStringLiteral("zip_record:builtins.eval@29")};
    // A second pickle after a benign one: a loader calling pickle.load twice runs it.
    QTest::newRow("a second pickle") << QStringLiteral("malicious6.pkl") << QStringList{QStringLiteral("requests.api.get")}
                                     << rawPickle << QStringList{QStringLiteral("after_stop:requests.api.get@60")};
    // modelscan's malicious12: pickle.loads of a bytes literal that is a pickle calling os.system
    // (modelscan asserts pickle.loads; CPython runs both).
    QTest::newRow("a pickle inside a pickle") << QStringLiteral("modelscan/malicious12.pkl")
                                              << QStringList{QStringLiteral("pickle.loads"), QStringLiteral("os.system")}
                                              << rawPickle << QStringList{QStringLiteral("nested_pickle:os.system@23")};
}

void TestScan::testPeerSamples()
{
    QFETCH(QString, file);
    QFETCH(QStringList, dangerous);
    QFETCH(QString, stop);
    QFETCH(QStringList, readings);
    const QString path = data(QStringLiteral("peers/") + (file.contains(u'/') ? file : QStringLiteral("picklescan/") + file));
    const CliRun run = runCli({QStringLiteral("scan"), path, QStringLiteral("--json")});
    QCOMPARE(run.exitCode, 1);
    const QJsonObject root = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(root.value(QStringLiteral("safe")).toBool(true), false);
    if (stop.startsWith(QLatin1String("format:"))) {
        QCOMPARE(root.value(QStringLiteral("format")).toString(), stop.mid(7));
        QCOMPARE(root.value(QStringLiteral("complete")).toBool(false), true);
    } else {
        QCOMPARE(root.value(QStringLiteral("complete")).toBool(true), false);
        const QString error = root.value(QStringLiteral("error")).toString();
        QVERIFY2(error.startsWith(path + QStringLiteral(": ")) && error.contains(stop), qPrintable(error));
    }
    QStringList unsafe;
    for (const QJsonValue& name : root.value(QStringLiteral("unsafe")).toArray())
        unsafe.append(name.toString());
    for (const QString& name : dangerous)
        QVERIFY2(unsafe.contains(name), qPrintable(name + QStringLiteral(" not in ") + unsafe.join(u' ')));
    QStringList swept;
    for (const QJsonValue& value : root.value(QStringLiteral("other_readings")).toArray()) {
        const QJsonObject reading = value.toObject();
        QVERIFY(reading.value(QStringLiteral("unsafe")).toBool());  // none of these is on the allow list
        QVERIFY(unsafe.contains(reading.value(QStringLiteral("global")).toString()));
        swept.append(reading.value(QStringLiteral("reading")).toString() + u':' + reading.value(QStringLiteral("global")).toString() + u'@'
                     + QString::number(reading.value(QStringLiteral("byte")).toInteger()));
    }
    QCOMPARE(swept, readings);
    // The text form says the same.
    const CliRun text = runCli({QStringLiteral("scan"), path});
    QCOMPARE(text.exitCode, 1);
    QCOMPARE(text.out.contains("Complete: NO, reading stopped"), !stop.startsWith(QLatin1String("format:")));
    QVERIFY(!text.out.contains("Safe:    yes"));
}

// picklescan's NumPy samples (tests/data/peers/SOURCES.md), made by its tests/init_data_files.py:
// the globals its test_scanner.py asserts, the verdict it asserts, and the arrays that script
// saved, as `ls` lists them and `stats` computes on them.
void TestScan::testPeerNumpySamples_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("format");
    QTest::addColumn<QStringList>("globals");   // picklescan's asserted globals, each once
    QTest::addColumn<QStringList>("dangerous");
    QTest::addColumn<QStringList>("arrays");    // name dtype shape [min max sum] as listed and computed
    const QStringList numpyObject{QStringLiteral("numpy.core.multiarray._reconstruct"), QStringLiteral("numpy.ndarray"), QStringLiteral("numpy.dtype")};
    // np.empty((2, 2), dtype=int) filled with (1, 2), (3, 4); the samples were made where NumPy's
    // int is 32 bits (Windows, NumPy 1): their headers say '<i4', and numpy.load gives int32.
    QTest::newRow("int_array.npy") << QStringLiteral("int_array.npy") << QStringLiteral("npy") << QStringList{} << QStringList{}
                                   << QStringList{QStringLiteral("<root> int32 [2, 2] 1 4 10")};
    QTest::newRow("object_array.npy") << QStringLiteral("object_array.npy") << QStringLiteral("npy") << numpyObject << QStringList{}
                                      << QStringList{QStringLiteral("<root> unknown [2, 2]")};
    for (const char* name : {"int_arrays.npz", "int_arrays_compressed.npz"}) {
        QTest::addRow("%s", name) << QString::fromLatin1(name) << QStringLiteral("npz") << QStringList{} << QStringList{}
                                  << QStringList{QStringLiteral("a int32 [3] 0 2 3"), QStringLiteral("b int32 [3] 3 5 12")};
    }
    for (const char* name : {"object_arrays.npz", "object_arrays_compressed.npz"}) {
        QTest::addRow("%s", name) << QString::fromLatin1(name) << QStringLiteral("npz") << numpyObject << QStringList{}
                                  << QStringList{QStringLiteral("a unknown [3]"), QStringLiteral("b unknown [3]")};
    }
    // np.array([DNSLogPayload()], dtype=object): the payload's reduce calls ssl.get_server_certificate
    // when numpy.load(allow_pickle=True) unpickles the array. NumPy 2 names its module numpy._core.
    QTest::newRow("dns_exfiltration.npy") << QStringLiteral("dns_exfiltration.npy") << QStringLiteral("npy")
                                          << QStringList{QStringLiteral("numpy._core.multiarray._reconstruct"), QStringLiteral("numpy.ndarray"),
                                                         QStringLiteral("numpy.dtype"), QStringLiteral("ssl.get_server_certificate")}
                                          << QStringList{QStringLiteral("ssl.get_server_certificate")}
                                          << QStringList{QStringLiteral("<root> unknown [1]")};
}

void TestScan::testPeerNumpySamples()
{
    QFETCH(QString, file);
    QFETCH(QString, format);
    QFETCH(QStringList, globals);
    QFETCH(QStringList, dangerous);
    QFETCH(QStringList, arrays);
    const QString path = data(QStringLiteral("peers/picklescan/") + file);
    const CliRun scan = runCli({QStringLiteral("scan"), path, QStringLiteral("--json")});
    QCOMPARE(scan.exitCode, dangerous.isEmpty() ? 0 : 1);
    const QJsonObject report = QJsonDocument::fromJson(scan.out).object();
    QCOMPARE(report.value(QStringLiteral("format")).toString(), format);
    QCOMPARE(report.value(QStringLiteral("complete")).toBool(false), true);
    QCOMPARE(report.value(QStringLiteral("safe")).toBool(), dangerous.isEmpty());
    QStringList named, unsafe;
    for (const QJsonValue& name : report.value(QStringLiteral("globals")).toArray())
        named.append(name.toString());
    for (const QJsonValue& name : report.value(QStringLiteral("unsafe")).toArray())
        unsafe.append(name.toString());
    QCOMPARE(named, globals);
    QCOMPARE(unsafe, dangerous);

    // What the file holds, listed and computed on without running anything.
    const CliRun ls = runCli({QStringLiteral("ls"), path, QStringLiteral("--json")});
    QCOMPARE(ls.exitCode, 0);
    QStringList listed;
    for (const QJsonValue& value : QJsonDocument::fromJson(ls.out).object().value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject tensor = value.toObject();
        QStringList shape;
        for (const QJsonValue& dim : tensor.value(QStringLiteral("shape")).toArray())
            shape.append(QString::number(dim.toInteger()));
        QCOMPARE(tensor.value(QStringLiteral("kind")).toString(), QStringLiteral("array"));
        const QString name = tensor.value(QStringLiteral("name")).toString();
        listed.append(QStringLiteral("%1 %2 [%3]").arg(name.isEmpty() ? QStringLiteral("<root>") : name,
                                                          tensor.value(QStringLiteral("dtype")).toString(), shape.join(QStringLiteral(", "))));
    }
    const CliRun stats = runCli({QStringLiteral("stats"), path, QStringLiteral("--json")});
    QHash<QString, QString> computed;
    for (const QJsonValue& value : QJsonDocument::fromJson(stats.out).object().value(QStringLiteral("tensors")).toArray()) {
        const QJsonObject tensor = value.toObject();
        const QString name = tensor.value(QStringLiteral("name")).toString();
        if (tensor.contains(QStringLiteral("skipped")))
            continue;  // an object array: nothing to compute on
        const double sum = tensor.value(QStringLiteral("mean")).toDouble() * tensor.value(QStringLiteral("numel")).toDouble();
        computed.insert(name.isEmpty() ? QStringLiteral("<root>") : name, QStringLiteral(" %1 %2 %3")
                                                                              .arg(tensor.value(QStringLiteral("min")).toDouble())
                                                                              .arg(tensor.value(QStringLiteral("max")).toDouble())
                                                                              .arg(qRound64(sum)));
    }
    for (QString& entry : listed)
        entry += computed.value(entry.section(u' ', 0, 0));
    QCOMPARE(listed, arrays);
}

// Every sample of the peer scanners' tests against the peer's own verdict: picklescan's from its
// scanner (picklescan/picklescan_verdicts.json, made by tests/data/peers/picklescan_verdicts.py),
// modelscan's from its tests' asserts (modelscan/modelscan_expected.json, written with the samples
// by make_modelscan_samples.py), fickling's from its tests' asserts and CPython's own readings of
// the bytes (fickling/fickling_expected.json, by make_fickling_samples.py). Each file the peer calls infected is flagged here, naming every
// dangerous global the peer names; none it calls clean is flagged; a file modelscan scanned and
// found clean is safe here too, and one it skipped is refused with its cause.
void TestScan::testPeerCorpus_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QJsonObject>("verdict");
    appendExpectedFileRows(data(QStringLiteral("peers/picklescan/picklescan_verdicts.json")), QStringLiteral("picklescan/"), 100);
    appendExpectedFileRows(data(QStringLiteral("peers/modelscan/modelscan_expected.json")), QStringLiteral("modelscan/"), 35);
    appendExpectedFileRows(data(QStringLiteral("peers/fickling/fickling_expected.json")), QStringLiteral("fickling/"), 130);
}

void TestScan::testPeerCorpus()
{
    QFETCH(QString, file);
    QFETCH(QJsonObject, verdict);
    const QString path = data(QStringLiteral("peers/") + file);
    const CliRun run = runCli({QStringLiteral("scan"), path, QStringLiteral("--json")});
    const bool modelscan = file.startsWith(QLatin1String("modelscan/"));
    if (!verdict.value(QStringLiteral("infected")).toBool() && file.startsWith(QLatin1String("fickling/"))) {
        // fickling's benign samples: nothing dangerous flagged. Globals fickling deems harmless
        // but that are on no torch allow list (builtins.len, decimal.Decimal, module classes) may
        // be; so may a pickle that reads differently in different unpicklers (a FRAME straddle).
        QStringList harmless;
        for (const QJsonValue& name : verdict.value(QStringLiteral("other_globals")).toArray())
            harmless.append(name.toString());
        const QJsonObject report = QJsonDocument::fromJson(run.out).object();
        for (const QJsonValue& name : report.value(QStringLiteral("unsafe")).toArray())
            QVERIFY2(harmless.contains(name.toString()), qPrintable(name.toString()));
        QVERIFY2(run.exitCode == 0 || run.exitCode == 2 || !report.value(QStringLiteral("unsafe")).toArray().isEmpty()
                     || !report.value(QStringLiteral("reads_differently")).toArray().isEmpty(),
                 qPrintable(QString::fromUtf8(run.out)));
        return;
    }
    if (!verdict.value(QStringLiteral("infected")).toBool()) {
        QVERIFY2(run.exitCode == 0 || run.exitCode == 2, qPrintable(QString::fromUtf8(run.out)));
        if (!modelscan)
            return;
        const QString skipped = verdict.value(QStringLiteral("skipped")).toString();
        if (skipped.isEmpty()) {  // scanned by modelscan and found clean
            QCOMPARE(run.exitCode, 0);
            QCOMPARE(QJsonDocument::fromJson(run.out).object().value(QStringLiteral("complete")).toBool(), true);
            return;
        }
        // Skipped by modelscan: refused here, naming the file and why.
        QCOMPARE(run.exitCode, 2);
        const QString error = QString::fromUtf8(run.err);
        QVERIFY2(error.startsWith(QStringLiteral("statelens-cli: ") + path + QStringLiteral(": ")), qPrintable(error));
        const QString cause = skipped.contains(QLatin1String("encrypted")) ? QStringLiteral("record 'test.txt' is encrypted")
                                                                           : QStringLiteral("not a PyTorch checkpoint: unrecognised content");
        QVERIFY2(error.contains(cause), qPrintable(error));
        return;
    }
    QCOMPARE(run.exitCode, 1);
    const QJsonObject report = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(report.value(QStringLiteral("safe")).toBool(true), false);
    QStringList unsafe;
    for (const QJsonValue& name : report.value(QStringLiteral("unsafe")).toArray())
        unsafe.append(name.toString());
    for (const QJsonValue& name : verdict.value(QStringLiteral("dangerous")).toArray())
        QVERIFY2(unsafe.contains(name.toString()), qPrintable(name.toString() + QStringLiteral(" not in ") + unsafe.join(u' ')));
}

// Files whose verdict changed between torch releases (tests/data/weights_only/
// make_weights_only_fixtures.py): the 1.13 column checked there with torch 1.13 itself, the 2.4
// and 2.6 columns from those releases' sources; and the add_safe_globals advice for 2.6.
void TestScan::testVerdictsByRelease_data()
{
    addExpectedFileRows(data(QStringLiteral("weights_only/expected_by_release.json")), "expected", 10);
}

void TestScan::testVerdictsByRelease()
{
    QFETCH(QString, file);
    QFETCH(QJsonObject, expected);
    const CliRun run = runCli({QStringLiteral("scan"), data(QStringLiteral("weights_only/") + file), QStringLiteral("--json")});
    const QJsonObject report = QJsonDocument::fromJson(run.out).object();
    const QJsonObject releases = expected.value(QStringLiteral("releases")).toObject();
    const QJsonArray byVersion = report.value(QStringLiteral("weights_only_by_version")).toArray();
    QStringList versions;
    for (const QJsonValue& value : byVersion) {
        const QJsonObject verdict = value.toObject();
        const QString version = verdict.value(QStringLiteral("torch")).toString();
        versions.append(version);
        const QJsonObject want = releases.value(version).toObject();
        QVERIFY2(!want.isEmpty(), qPrintable(version));
        QCOMPARE(verdict.value(QStringLiteral("applies")).toBool(), want.value(QStringLiteral("applies")).toBool(true));
        if (!want.value(QStringLiteral("applies")).toBool(true))
            continue;
        QCOMPARE(verdict.value(QStringLiteral("loads")).toBool(), want.value(QStringLiteral("loads")).toBool());
        if (want.value(QStringLiteral("loads")).toBool())
            continue;
        QCOMPARE(verdict.value(QStringLiteral("exception")).toString(), want.value(QStringLiteral("exception")).toString());
        QCOMPARE(verdict.value(QStringLiteral("error")).toString(), want.value(QStringLiteral("error")).toString());
        const QString message = verdict.value(QStringLiteral("message")).toString();
        if ((version == QLatin1String("2.6") || version == QLatin1String("2.14")) && want.value(QStringLiteral("error")).toString().contains(QLatin1String("not an allowed global"))) {
            // serialization.py (2.6) _get_wo_message, the "two options" form.
            QVERIFY2(message.startsWith(QLatin1String("Weights only load failed. This file can still be loaded, to do so you have two options")), qPrintable(message));
            QVERIFY(message.endsWith(QLatin1String("https://pytorch.org/docs/stable/generated/torch.load.html.")));
        }
    }
    QCOMPARE(versions, (QStringList{QStringLiteral("1.13"), QStringLiteral("2.4"), QStringLiteral("2.6"), QStringLiteral("2.14")}));
    // The contract's weights_only stays torch 1.13's (null where torch.load does not apply).
    if (releases.value(QStringLiteral("1.13")).toObject().value(QStringLiteral("applies")).toBool(true))
        QCOMPARE(report.value(QStringLiteral("weights_only")).toObject().value(QStringLiteral("torch")).toString(), QStringLiteral("1.13"));

    const QJsonValue advice = report.value(QStringLiteral("add_safe_globals"));
    const QJsonValue wantAdvice = expected.value(QStringLiteral("add_safe_globals"));
    QCOMPARE(advice.isNull(), wantAdvice.isNull());
    if (wantAdvice.isNull())
        return;
    const QJsonObject got = advice.toObject();
    const QJsonObject want = wantAdvice.toObject();
    QCOMPARE(got.value(QStringLiteral("line")), want.value(QStringLiteral("line")));
    QCOMPARE(got.value(QStringLiteral("loads_after")).toBool(), want.value(QStringLiteral("loads_after")).toBool());
    QCOMPARE(got.value(QStringLiteral("dangerous")).toArray(), want.value(QStringLiteral("dangerous")).toArray());
    if (want.contains(QStringLiteral("blocked")))
        QCOMPARE(got.value(QStringLiteral("blocked")).toArray(), want.value(QStringLiteral("blocked")).toArray());
    // The text form gives the same line to copy.
    const CliRun text = runCli({QStringLiteral("scan"), data(QStringLiteral("weights_only/") + file)});
    if (!want.value(QStringLiteral("line")).isNull())
        QVERIFY2(text.out.contains(want.value(QStringLiteral("line")).toString().toUtf8()), text.out.constData());
}

void TestScan::cleanupTestCase()
{
    qInfo("scan vs torch 1.13 weights_only: %d files; %d unreadable by us (exit 2); %d where torch.load does not apply; "
          "verdict agrees on %d of %d; exception and message agree on %d of %d refusals",
          g_figures.files, g_figures.unreadable, g_figures.notApplicable, g_figures.verdictAgrees, g_figures.compared,
          g_figures.messageAgrees, g_figures.messageCompared);
}

QTEST_GUILESS_MAIN(TestScan)
#include "tst_scan.moc"
