// `scan --json` of the CLI contract (docs/cli.md): the globals a pickle names, which of them are
// unsafe, where unpicklers would read it differently, and torch.load(weights_only=True)'s verdict
// as emulated by core/scan.
#pragma once

#include "core/model/checkpoint.h"
#include "core/scan/weights_only_rules.h"

#include <QByteArray>

namespace statelens {

// error: empty for a complete scan; otherwise why reading stopped (the checkpoint holds what came before).
QByteArray scanJsonText(const Checkpoint& checkpoint, const QString& file, const WeightsOnlyVerdict& verdict,
                        const QString& error = QString());

}  // namespace statelens
