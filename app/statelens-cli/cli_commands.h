// The verbs of statelens-cli. Each returns the process exit code of the contract:
// 0 success, 1 the check said no, 2 usage error or unreadable input.
#pragma once

#include "core/match/state_dict_view.h"

#include <QStringList>

namespace statelens::cli {

int runList(const QStringList& arguments);     // ls FILE [--json]
int runInfo(const QStringList& arguments);     // info FILE [--json]
int runDevices(const QStringList& arguments);  // devices [--json]
int runStats(const QStringList& arguments);
int runArchs(const QStringList& arguments);    // archs [--json]
int runMatch(const QStringList& arguments);    // match FILE --arch ARCH [--strict | --lenient] ...
int runLoad(const QStringList& arguments);     // load FILE --arch ARCH [--device DEV] ...
int runExport(const QStringList& arguments);   // export FILE OUT [--format pt|safetensors] ...
int runScan(const QStringList& arguments);     // scan FILE [--json]: globals, unsafe ones, torch's weights_only verdict
int runDiff(const QStringList& arguments);     // diff A B [--json] [--device DEV] [--key-a PATH] ...

// --rename FROM=TO and --tie FROM=TO, in the order given (renames first, then ties, as the
// one-click fixes apply them). False after printing the error for a value without '='.
bool parseKeyEdits(const QStringList& renames, const QStringList& ties, QVector<KeyEdit>* edits);

// Writes "statelens-cli: MESSAGE" to stderr.
void printError(const QString& message);

}  // namespace statelens::cli
