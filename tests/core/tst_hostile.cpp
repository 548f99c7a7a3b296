// The hostile corpus (tests/data/hostile, made by make_hostile_fixtures.py, described in its
// README): each file opened through core and through statelens-cli ls, info, stats and scan.
// Each gives a safe listing (exit 0, scan 1 when it names unsafe globals) or a one-line error
// naming the file (exit 2); never a crash or a hang; and no canary file appears.
// tests/data/fuzz holds what the fuzzers (fuzz/) found: each must now open or fail with a message,
// and ls/info/stats/scan must neither crash nor hang on it (run under ASan + UBSan in CI).
#include "core/formats/checkpoint_reader.h"
#include "tests/support/cli_runner.h"

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

QString hostile(const QString& name) { return QStringLiteral(STATELENS_TEST_DATA "/hostile/") + name; }

QStringList canaries()
{
    return QDir(QStringLiteral("/tmp")).entryList({QStringLiteral("statelens-canary-*")}, QDir::Files | QDir::System | QDir::Hidden);
}

void removeCanaries()
{
    for (const QString& name : canaries())
        QFile::remove(QStringLiteral("/tmp/") + name);
}

QStringList sorted(QStringList list)
{
    list.removeDuplicates();
    list.sort();
    return list;
}

}  // namespace

class TestHostile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void testFile_data();
    void testFile();
    void testFuzzFinding_data();
    void testFuzzFinding();
    void cleanupTestCase();
};

void TestHostile::initTestCase()
{
    removeCanaries();
}

void TestHostile::testFile_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("opens");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QStringList>("unsafe");
    QTest::addColumn<bool>("readsDifferently");
    QFile file(hostile(QStringLiteral("manifest.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject manifest = QJsonDocument::fromJson(file.readAll()).object();
    QVERIFY(manifest.size() >= 40);
    for (auto it = manifest.begin(); it != manifest.end(); ++it) {
        const QJsonObject entry = it.value().toObject();
        QStringList unsafe;
        for (const QJsonValue& name : entry.value(QStringLiteral("unsafe")).toArray())
            unsafe.append(name.toString());
        QTest::addRow("%s", qPrintable(it.key())) << it.key() << (entry.value(QStringLiteral("open")).toString() == QLatin1String("ok"))
                                                  << entry.value(QStringLiteral("error")).toString() << unsafe
                                                  << entry.value(QStringLiteral("reads_differently")).toBool();
    }
}

void TestHostile::testFile()
{
    QFETCH(QString, name);
    QFETCH(bool, opens);
    QFETCH(QString, error);
    QFETCH(QStringList, unsafe);
    QFETCH(bool, readsDifferently);
    const QString path = hostile(name);
    QVERIFY(QFileInfo::exists(path));

    // Through core. A hang is caught by the test's ctest timeout, not a clock here.
    auto opened = openCheckpoint(path);
    if (opens) {
        QVERIFY2(opened.ok(), qPrintable(opened ? QString() : opened.error().toString()));
        QCOMPARE(sorted((*opened)->unsafeGlobals), sorted(unsafe));
        QCOMPARE(!(*opened)->readingDifferences.isEmpty(), readsDifferently);
        QCOMPARE((*opened)->looksSafe(), unsafe.isEmpty() && !readsDifferently);
    } else {
        QVERIFY2(!opened.ok(), "a file that must be refused opened");
        QVERIFY2(opened.error().toString().contains(error, Qt::CaseInsensitive), qPrintable(opened.error().toString()));
        QCOMPARE(opened.error().path, path);
    }

    // Through the CLI: ls, info, stats, scan.
    for (const char* verb : {"ls", "info", "stats", "scan"}) {
        const CliRun run = runCli({QLatin1String(verb), path, QStringLiteral("--json")});
        QVERIFY2(run.exitCode >= 0, qPrintable(QStringLiteral("%1 crashed or hung").arg(QLatin1String(verb))));
        const QString err = QString::fromUtf8(run.err);
        if (run.exitCode == 2) {
            // stats may refuse what listing accepts (a compressed or lying tensor record)
            QVERIFY2(!opens || qstrcmp(verb, "stats") == 0, qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(verb), err)));
            // scan refuses only what it could not read at all: nothing reached before the error.
            if (qstrcmp(verb, "scan") == 0 && !opens)
                QVERIFY2(opened.error().toString() == err.mid(15).trimmed(), qPrintable(err));
            QVERIFY2(err.startsWith(QStringLiteral("statelens-cli: ") + path + QStringLiteral(": ")), qPrintable(err));
            QCOMPARE(err.count(u'\n'), 1);
            QVERIFY(run.out.isEmpty());
            continue;
        }
        const QJsonObject root = QJsonDocument::fromJson(run.out).object();
        QVERIFY2(!root.isEmpty(), qPrintable(QLatin1String(verb)));
        if (!opens) {
            // Only scan reports a file it could read part-way: what it reached, and where it stopped.
            QVERIFY2(qstrcmp(verb, "scan") == 0, qPrintable(QStringLiteral("%1 accepted a file that must be refused").arg(QLatin1String(verb))));
            QCOMPARE(run.exitCode, 1);
            QCOMPARE(root.value(QStringLiteral("safe")).toBool(true), false);
            // A raw pickle refused only for holding no tensor is read whole: complete, no error.
            const bool readWhole = opened.error().code == ErrorCode::NotACheckpoint && error.contains(QLatin1String("holding no tensors"));
            QCOMPARE(root.value(QStringLiteral("complete")).toBool(!readWhole), readWhole);
            QCOMPARE(root.value(QStringLiteral("error")).toString(), readWhole ? QString() : opened.error().toString());
            // Something was read: globals our reading reached, another reading's (the records of a
            // zip torch refuses, swept), or a reading difference.
            QVERIFY(!root.value(QStringLiteral("globals")).toArray().isEmpty() || !root.value(QStringLiteral("other_readings")).toArray().isEmpty()
                    || !root.value(QStringLiteral("reads_differently")).toArray().isEmpty());
            // A refused file still names every dangerous global a reading of it reaches.
            QStringList named;
            for (const QJsonValue& value : root.value(QStringLiteral("unsafe")).toArray())
                named.append(value.toString());
            for (const QString& global : unsafe)
                QVERIFY2(named.contains(global), qPrintable(global + QStringLiteral(" not in ") + named.join(u' ')));
            continue;
        }
        if (qstrcmp(verb, "scan") == 0) {
            const bool safe = unsafe.isEmpty() && !readsDifferently;
            QCOMPARE(run.exitCode, safe ? 0 : 1);
            QCOMPARE(root.value(QStringLiteral("safe")).toBool(), safe);
            QVERIFY(root.value(QStringLiteral("complete")).toBool());
            QStringList listed;
            for (const QJsonValue& value : root.value(QStringLiteral("unsafe")).toArray())
                listed.append(value.toString());
            QCOMPARE(sorted(listed), sorted(unsafe));
            QCOMPARE(root.value(QStringLiteral("reads_differently")).toArray().isEmpty(), !readsDifferently);
        } else {
            QCOMPARE(run.exitCode, 0);
        }
        if (qstrcmp(verb, "ls") == 0) {
            QStringList listed;
            for (const QJsonValue& value : root.value(QStringLiteral("unsafe_globals")).toArray())
                listed.append(value.toString());
            QCOMPARE(sorted(listed), sorted(unsafe));
        }
    }
    QVERIFY2(canaries().isEmpty(), qPrintable(QStringLiteral("a payload ran: ") + canaries().join(u' ')));
}

void TestHostile::testFuzzFinding_data()
{
    QTest::addColumn<QString>("path");
    const QDir folder(QStringLiteral(STATELENS_TEST_DATA "/fuzz"));
    const QStringList names = folder.entryList(QDir::Files, QDir::Name).filter(QRegularExpression(QStringLiteral("^(?!README)")));
    QVERIFY(!names.isEmpty());
    for (const QString& name : names)
        QTest::addRow("%s", qPrintable(name)) << folder.filePath(name);
}

void TestHostile::testFuzzFinding()
{
    QFETCH(QString, path);
    auto opened = openCheckpoint(path);
    if (!opened) {
        QVERIFY(!opened.error().message.isEmpty());
        QCOMPARE(opened.error().path, path);
    }
    for (const char* verb : {"ls", "info", "stats", "scan"}) {
        const CliRun run = runCli({QLatin1String(verb), path, QStringLiteral("--json")});
        QVERIFY2(run.exitCode >= 0, qPrintable(QStringLiteral("%1 crashed or hung").arg(QLatin1String(verb))));
        QVERIFY2(run.exitCode <= 2, qPrintable(QStringLiteral("%1 exited with %2").arg(QLatin1String(verb)).arg(run.exitCode)));
        if (run.exitCode == 2) {
            const QString err = QString::fromUtf8(run.err);
            QVERIFY2(err.startsWith(QStringLiteral("statelens-cli: ") + path + QStringLiteral(": ")), qPrintable(err));
            QCOMPARE(err.count(u'\n'), 1);
        } else {
            QVERIFY2(!QJsonDocument::fromJson(run.out).object().isEmpty(), qPrintable(QLatin1String(verb)));
        }
    }
}

void TestHostile::cleanupTestCase()
{
    QVERIFY2(canaries().isEmpty(), qPrintable(canaries().join(u' ')));
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
