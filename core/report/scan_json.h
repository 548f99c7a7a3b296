// `scan --json` of the CLI contract (docs/cli.md): the globals a pickle names, which of them are
// unsafe, where unpicklers would read it differently, and torch.load(weights_only=True)'s verdict
// as emulated by core/scan.
#pragma once

#include "core/model/checkpoint.h"
#include "core/scan/safe_globals_advice.h"

#include <QByteArray>

namespace statelens {

// The scan's verdict: read to its end, no global outside the allow list (in any reading), no
// pickle that reads differently in different unpicklers.
inline bool scanSaysSafe(const Checkpoint& checkpoint, bool complete) { return complete && checkpoint.looksSafe(); }
// Whether reading reached anything a verdict can be given on before it stopped (a global, in any
// reading, or a place where readers differ). Nothing reached: the file is unreadable (exit 2).
inline bool scanReachedAnything(const Checkpoint& checkpoint)
{
    return !checkpoint.globals.isEmpty() || !checkpoint.otherReadings.isEmpty() || !checkpoint.readingDifferences.isEmpty();
}

// error: empty for a complete scan; otherwise why reading stopped (the checkpoint holds what came before).
// answers: weights_only (torch 1.13, the contract's field), weights_only_by_version, add_safe_globals.
QByteArray scanJsonText(const Checkpoint& checkpoint, const QString& file, const WeightsOnlyAnswers& answers,
                        const QString& error = QString());

}  // namespace statelens
