// One command-line set-up for every verb, so that they all answer alike: `VERB --help` (or -h)
// prints the verb's usage line (its synopsis from verb_table.h), what it does and its flags on
// stdout and exits 0; a usage error prints "statelens-cli: ERROR" and the usage line on stderr and
// exits 2, as docs/cli.md says. A verb's positional arguments are the upper-case words that follow
// it in its synopsis (FILE; FILE OUT; A B), so their count is written only there.
#pragma once

#include "app/statelens-cli/verb_table.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <optional>

namespace statelens::cli {

// What a verb does after parsing: nothing set, run; set, stop with that exit code (the message,
// help or error, is already printed).
using Stop = std::optional<int>;

class VerbParser {
public:
    explicit VerbParser(const QString& verb);  // a name from verbs()

    void addOption(const QCommandLineOption& option);
    void addOptions(const QList<QCommandLineOption>& options);

    // Parses the process's arguments (program, verb, the verb's own).
    Stop parse(const QStringList& arguments);

    QStringList positional() const;  // after the verb
    bool isSet(const QCommandLineOption& option) const { return m_parser.isSet(option); }
    QString value(const QCommandLineOption& option) const { return m_parser.value(option); }
    QStringList values(const QCommandLineOption& option) const { return m_parser.values(option); }

    // "statelens-cli: MESSAGE" and the usage line on stderr; returns 2, a usage error's exit code.
    int usageError(const QString& message) const;

private:
    QString usage() const;
    QString help() const;

    const Verb& m_verb;
    QStringList m_arguments;  // the synopsis's positional placeholders
    QCommandLineParser m_parser;
    QList<QCommandLineOption> m_options;  // in the order added, for --help
    QCommandLineOption m_help{{QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("print this help")};
};

QCommandLineOption jsonOption();

// The verbs whose only flag is --json (ls, info, scan, devices, archs): their positional
// arguments and whether --json was given.
Stop parseJsonVerb(const QStringList& arguments, const QString& verb, QStringList* positional, bool* json);

}  // namespace statelens::cli
