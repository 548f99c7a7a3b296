// The answer to "torch.load refuses my file, what do I do?": the verdict of each torch release
// (weights_only_releases.h) and, for the newest, the exact torch.serialization.add_safe_globals
// line that names every global its allow list lacks, what each of them can do, and whether the
// file would then load (the newest release's rules run again with those globals allowed).
#pragma once

#include "core/scan/weights_only_rules.h"

#include <QList>
#include <QStringList>

namespace statelens {

struct SafeGlobalsAdvice {
    bool applies = false;   // the newest release refuses the file for globals outside its allow list
    QString torchVersion;   // the release the advice is for ("2.6")
    QStringList globals;    // what add_safe_globals must name, in file order
    QStringList imports;    // the modules to import for that line
    QString line;           // torch.serialization.add_safe_globals([...])
    QStringList dangerous;  // of the globals, those known to run code or reach the system
    QStringList blocked;    // globals of modules torch refuses whatever is allowed (sys, os, posix, nt)
    QStringList unnamed;    // globals with a part known only at run time: no line can name them
    bool loadsAfter = false;
    QString stillFails;     // otherwise what the release refuses next, with the globals allowed
};

struct WeightsOnlyAnswers {
    QList<WeightsOnlyVerdict> byRelease;  // weightsOnlyReleases() order: oldest first
    SafeGlobalsAdvice advice;
};

WeightsOnlyAnswers weightsOnlyAnswers(const Checkpoint& checkpoint);

}  // namespace statelens
