// docs/cli.md is the CLI's contract: the verb block under "## Verbs" must name exactly the verbs
// `statelens-cli --help` lists, each verb's --help must print the block's line as its usage line
// and take exactly the flags the line names, and a usage error must show the same line. A verb or
// flag added to one side only fails here.
#include "tests/support/cli_runner.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

namespace {

const QString kPrefix = QStringLiteral("statelens-cli ");

// The fenced block after "## Verbs": one `statelens-cli ...` line a verb or top-level option.
QStringList contractBlock()
{
    QFile file(QStringLiteral(STATELENS_SOURCE_DIR "/docs/cli.md"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    const qsizetype heading = lines.indexOf(QStringLiteral("## Verbs"));
    if (heading < 0)
        return {};
    qsizetype open = heading + 1;
    while (open < lines.size() && !lines[open].startsWith(QLatin1String("```")))
        ++open;
    QStringList block;
    for (qsizetype i = open + 1; i < lines.size() && !lines[i].startsWith(QLatin1String("```")); ++i)
        block.append(lines[i]);
    return block;
}

QString wordAfterPrefix(const QString& line)
{
    return line.mid(kPrefix.size()).section(u' ', 0, 0);
}

// Every --flag named in TEXT.
QSet<QString> flagsIn(const QString& text)
{
    static const QRegularExpression flag(QStringLiteral("(?<![\\w-])--[a-z][a-z0-9-]*"));
    QSet<QString> flags;
    for (const QRegularExpressionMatch& match : flag.globalMatch(text))
        flags.insert(match.captured());
    return flags;
}

// The flags a verb's --help lists under "Options:" (names only, not the descriptions).
QSet<QString> helpFlags(const QString& help)
{
    QSet<QString> flags;
    bool inOptions = false;
    for (const QString& line : help.split(u'\n')) {
        if (line == QLatin1String("Options:")) {
            inOptions = true;
            continue;
        }
        if (!inOptions)
            continue;
        if (!line.startsWith(QLatin1String("  -")))
            break;
        const QString trimmed = line.trimmed();
        flags += flagsIn(trimmed.left(trimmed.indexOf(QLatin1String("  "))));
    }
    return flags;
}

QString sorted(const QSet<QString>& set)
{
    QStringList list(set.begin(), set.end());
    list.sort();
    return list.join(u' ');
}

}  // namespace

class TestCliContract : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void testVerbsAreTheCliVerbs();
    void testTopLevelOptions();
    void testVerbHelp_data();
    void testVerbHelp();
    void testUsageErrorShowsUsage_data();
    void testUsageErrorShowsUsage();
    void testShortHelp();

private:
    QStringList m_verbLines;      // "statelens-cli ls FILE [--json]", ...
    QStringList m_topLevelLines;  // "statelens-cli --version", ...
};

void TestCliContract::initTestCase()
{
    const QStringList block = contractBlock();
    QVERIFY2(!block.isEmpty(), "docs/cli.md has no ``` block under '## Verbs'");
    for (const QString& line : block) {
        QVERIFY2(line.startsWith(kPrefix), qPrintable(QStringLiteral("not a 'statelens-cli ...' line: ") + line));
        (wordAfterPrefix(line).startsWith(u'-') ? m_topLevelLines : m_verbLines).append(line);
    }
    QVERIFY(!m_verbLines.isEmpty());
}

void TestCliContract::testVerbsAreTheCliVerbs()
{
    const CliRun run = runCli({QStringLiteral("--help")});
    QCOMPARE(run.exitCode, 0);
    // The top-level help lists a verb a line, two spaces in: "  ls FILE [--json]   list ...".
    static const QRegularExpression entry(QStringLiteral("^  ([a-z][a-z0-9-]*)(?: |$)"));
    QStringList cliVerbs;
    for (const QString& line : QString::fromUtf8(run.out).split(u'\n')) {
        if (const QRegularExpressionMatch match = entry.match(line); match.hasMatch())
            cliVerbs.append(match.captured(1));
    }
    QStringList docVerbs;
    for (const QString& line : m_verbLines)
        docVerbs.append(wordAfterPrefix(line));
    QCOMPARE(cliVerbs, docVerbs);
}

void TestCliContract::testTopLevelOptions()
{
    for (const QString& line : m_topLevelLines) {
        const CliRun run = runCli({wordAfterPrefix(line)});
        QVERIFY2(run.exitCode == 0, qPrintable(line));
        QVERIFY2(!run.out.isEmpty(), qPrintable(line));
    }
}

void TestCliContract::testVerbHelp_data()
{
    QTest::addColumn<QString>("verb");
    QTest::addColumn<QString>("synopsis");
    for (const QString& line : m_verbLines)
        QTest::newRow(qPrintable(wordAfterPrefix(line))) << wordAfterPrefix(line) << line.mid(kPrefix.size());
}

void TestCliContract::testVerbHelp()
{
    QFETCH(QString, verb);
    QFETCH(QString, synopsis);
    const CliRun run = runCli({verb, QStringLiteral("--help")});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY(run.err.isEmpty());
    const QString help = QString::fromUtf8(run.out);
    // The flags the verb's parser really takes, then the usage line the table says it takes.
    QSet<QString> listed = helpFlags(help);
    QVERIFY2(listed.remove(QStringLiteral("--help")), qPrintable(help));
    const QSet<QString> documented = flagsIn(synopsis);
    QVERIFY2(listed == documented, qPrintable(QStringLiteral("%1 --help lists: %2\ndocs/cli.md names: %3")
                                                  .arg(verb, sorted(listed), sorted(documented))));
    QCOMPARE(help.section(u'\n', 0, 0), QStringLiteral("usage: ") + kPrefix + synopsis);
}

void TestCliContract::testUsageErrorShowsUsage_data()
{
    testVerbHelp_data();
}

void TestCliContract::testUsageErrorShowsUsage()
{
    QFETCH(QString, verb);
    QFETCH(QString, synopsis);
    const CliRun run = runCli({verb, QStringLiteral("--no-such-flag")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY(run.out.isEmpty());
    const QStringList lines = QString::fromUtf8(run.err).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines[0].startsWith(kPrefix.trimmed() + u':') && lines[0].contains(QLatin1String("no-such-flag")), qPrintable(lines[0]));
    QCOMPARE(lines[1], QStringLiteral("usage: ") + kPrefix + synopsis);
}

void TestCliContract::testShortHelp()
{
    const CliRun shortHelp = runCli({QStringLiteral("ls"), QStringLiteral("-h")});
    QCOMPARE(shortHelp.exitCode, 0);
    QCOMPARE(shortHelp.out, runCli({QStringLiteral("ls"), QStringLiteral("--help")}).out);
    // --help needs none of the verb's arguments and wins over the others.
    const CliRun withArguments = runCli({QStringLiteral("match"), QStringLiteral("/nonexistent.pth"), QStringLiteral("--help")});
    QCOMPARE(withArguments.exitCode, 0);
    QVERIFY(withArguments.out.startsWith("usage: statelens-cli match "));
}

QTEST_GUILESS_MAIN(TestCliContract)
#include "tst_cli_contract.moc"
