// statelens-cli: list, inspect and check PyTorch checkpoints from scripts.
#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/verb_table.h"

#include <QCoreApplication>

#include <cstdio>

using namespace statelens::cli;

namespace {

constexpr int kSummaryColumn = 28;
constexpr int kWidth = 110;

// A synopsis in indented lines of about kWidth columns, broken between its bracketed groups only.
QStringList wrapSynopsis(const QString& synopsis)
{
    QStringList pieces{QString()};
    int depth = 0;
    for (const QChar c : synopsis) {
        depth += c == u'[' ? 1 : c == u']' ? -1 : 0;
        if (c == u' ' && depth == 0)
            pieces.append(QString());
        else
            pieces.last() += c;
    }
    QStringList lines{QStringLiteral("  ") + pieces.takeFirst()};
    for (const QString& piece : pieces) {
        if (lines.last().size() + 1 + piece.size() > kWidth)
            lines.append(QString(16, u' ') + piece);
        else
            lines.last() += u' ' + piece;
    }
    return lines;
}

// The synopsis, and its summary beside it when the synopsis is short, else below it.
QString entry(const QString& synopsis, const QString& summary)
{
    const QStringList lines = wrapSynopsis(synopsis);
    QStringList summaryLines = summary.split(u'\n');
    QString text;
    if (lines.size() == 1 && lines[0].size() < kSummaryColumn)
        text = lines[0].leftJustified(kSummaryColumn) + summaryLines.takeFirst() + u'\n';
    else
        text = lines.join(u'\n') + u'\n';
    for (const QString& line : summaryLines)
        text += QString(kSummaryColumn, u' ') + line + u'\n';
    return text;
}

QString usage()
{
    QString text = QStringLiteral("usage: statelens-cli VERB [ARGS]   (statelens-cli VERB --help: its usage and flags)\n");
    text += entry(QStringLiteral("--version"), QStringLiteral("print the version"));
    for (const Verb& verb : verbs())
        text += entry(QLatin1String(verb.synopsis), QString::fromUtf8(verb.summary));
    return text + glossaryFor(QString());
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("statelens-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STATELENS_VERSION));
    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2) {
        writeText(stderr, usage());
        return 2;
    }
    const QString verb = arguments[1];
    if (verb == QLatin1String("--help") || verb == QLatin1String("-h")) {
        writeText(stdout, usage());
        return 0;
    }
    if (verb == QLatin1String("--version")) {
        std::printf("statelens-cli %s (Qt %s; libtorch is loaded only by the verbs that compute)\n", STATELENS_VERSION, qVersion());
        return 0;
    }
    if (const Verb* found = findVerb(verb))
        return found->run(arguments);
    printError(QStringLiteral("unknown verb '%1'").arg(verb));
    writeText(stderr, usage());
    return 2;
}
