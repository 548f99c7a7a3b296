#include "app/statelens-cli/verb_parser.h"

#include "app/statelens-cli/cli_commands.h"

#include <algorithm>
#include <cstdio>

namespace statelens::cli {

namespace {

const Verb& verbNamed(const QString& name)
{
    const Verb* verb = findVerb(name);
    if (!verb)
        qFatal("statelens-cli: '%s' is not in the verb table", qPrintable(name));
    return *verb;
}

// FILE, OUT, A B: the upper-case words right after the verb, up to the first flag or bracket.
QStringList placeholders(const QString& synopsis)
{
    const QStringList words = synopsis.split(u' ', Qt::SkipEmptyParts);
    QStringList found;
    for (qsizetype i = 1; i < words.size(); ++i) {
        const QString& word = words[i];
        if (!word[0].isLetter() || word != word.toUpper())
            break;
        found.append(word);
    }
    return found;
}

// "-h, --help" or "--device DEV".
QString optionNames(const QCommandLineOption& option)
{
    QStringList names;
    for (const QString& name : option.names())
        names.append((name.size() == 1 ? QStringLiteral("-") : QStringLiteral("--")) + name);
    QString text = names.join(QStringLiteral(", "));
    if (!option.valueName().isEmpty())
        text += u' ' + option.valueName();
    return text;
}

}  // namespace

VerbParser::VerbParser(const QString& verb)
    : m_verb(verbNamed(verb)), m_arguments(placeholders(QLatin1String(m_verb.synopsis)))
{
    m_parser.addOption(m_help);
}

void VerbParser::addOption(const QCommandLineOption& option)
{
    m_parser.addOption(option);
    m_options.append(option);
}

void VerbParser::addOptions(const QList<QCommandLineOption>& options)
{
    for (const QCommandLineOption& option : options)
        addOption(option);
}

Stop VerbParser::parse(const QStringList& arguments)
{
    if (!m_parser.parse(arguments))
        return usageError(m_parser.errorText());
    // --help wins over everything else, so `VERB --help` needs none of the verb's arguments.
    if (m_parser.isSet(m_help)) {
        writeText(stdout, help());
        return 0;
    }
    const QStringList given = positional();
    if (given.size() < m_arguments.size())
        return usageError(QStringLiteral("missing %1").arg(m_arguments[given.size()]));
    if (given.size() > m_arguments.size())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(given[m_arguments.size()]));
    return std::nullopt;
}

QStringList VerbParser::positional() const
{
    return m_parser.positionalArguments().mid(1);  // the first is the verb itself
}

int VerbParser::usageError(const QString& message) const
{
    printError(message);
    writeText(stderr, usage() + u'\n');
    return 2;
}

QString VerbParser::usage() const
{
    return QStringLiteral("usage: statelens-cli ") + QLatin1String(m_verb.synopsis);
}

QString VerbParser::help() const
{
    QList<QCommandLineOption> options = m_options;
    options.append(m_help);
    qsizetype width = 0;
    for (const QCommandLineOption& option : options)
        width = std::max(width, optionNames(option).size());
    QString text = usage() + u'\n' + QString::fromUtf8(m_verb.summary) + QStringLiteral("\n\nOptions:\n");
    for (const QCommandLineOption& option : options)
        text += QStringLiteral("  %1  %2\n").arg(optionNames(option).leftJustified(width), option.description());
    const QString glossary = glossaryFor(QLatin1String(m_verb.synopsis));
    if (!glossary.isEmpty())
        text += u'\n' + glossary;
    return text;
}

QCommandLineOption jsonOption()
{
    return QCommandLineOption(QStringLiteral("json"), QStringLiteral("print one JSON document"));
}

Stop parseJsonVerb(const QStringList& arguments, const QString& verb, QStringList* positional, bool* json)
{
    VerbParser parser(verb);
    const QCommandLineOption jsonFlag = jsonOption();
    parser.addOption(jsonFlag);
    if (const Stop stop = parser.parse(arguments))
        return stop;
    *positional = parser.positional();
    *json = parser.isSet(jsonFlag);
    return std::nullopt;
}

}  // namespace statelens::cli
