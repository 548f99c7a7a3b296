// The verbs of statelens-cli. Each returns the process exit code of the contract:
// 0 success, 1 the check said no, 2 usage error or unreadable input.
#pragma once

#include "core/match/state_dict_view.h"

#include <QStringList>

#include <cstdio>

namespace statelens::cli {

// Each takes the process's arguments (program, verb, the verb's own); their synopses are in
// verb_table.cpp, as docs/cli.md writes them.
int runList(const QStringList& arguments);
int runInfo(const QStringList& arguments);
int runDevices(const QStringList& arguments);
int runStats(const QStringList& arguments);
int runArchs(const QStringList& arguments);
int runMatch(const QStringList& arguments);
int runLoad(const QStringList& arguments);
int runExport(const QStringList& arguments);
int runScan(const QStringList& arguments);
int runDiff(const QStringList& arguments);

// --rename FROM=TO and --tie FROM=TO, in the order given (renames first, then ties, as the
// one-click fixes apply them). False after printing the error for a value without '='.
bool parseKeyEdits(const QStringList& renames, const QStringList& ties, QVector<KeyEdit>* edits);

// Writes "statelens-cli: MESSAGE" to stderr.
void printError(const QString& message);

// Writes TEXT as UTF-8 to STREAM.
void writeText(FILE* stream, const QString& text);
// Bytes as they are (a JSON document, a report) to stdout.
void writeBytes(const QByteArray& bytes);

}  // namespace statelens::cli
