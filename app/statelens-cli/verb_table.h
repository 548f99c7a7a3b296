// The verbs of statelens-cli in one table. main() dispatches from it, the top-level --help lists
// it and each verb's --help and usage errors print its synopsis, so a verb's usage line is written
// once here and once in docs/cli.md, which tst_cli_contract holds the two to.
#pragma once

#include <QString>
#include <QStringList>

#include <vector>

namespace statelens::cli {

struct Verb {
    const char* name;
    const char* synopsis;  // its line of docs/cli.md's verb block, after "statelens-cli "
    const char* summary;   // what it does, in lines ('\n')
    int (*run)(const QStringList& arguments);  // program, verb, the verb's own; returns the exit code
};

// In the order of docs/cli.md.
const std::vector<Verb>& verbs();
const Verb* findVerb(const QString& name);

// "FILE: ...", "ARCH: ..." lines for the placeholders SYNOPSIS names (all of them for an empty one).
QString glossaryFor(const QString& synopsis);

}  // namespace statelens::cli
