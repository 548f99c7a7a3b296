// `scan --json` of the CLI contract (docs/cli.md): the globals a pickle names, which of them are
// unsafe, where unpicklers would read it differently, and torch.load(weights_only=True)'s verdict
// as emulated by core/scan.
#pragma once

#include "core/model/checkpoint.h"
#include "core/scan/weights_only_rules.h"

#include <QByteArray>

namespace statelens {

QByteArray scanJsonText(const Checkpoint& checkpoint, const QString& file, const WeightsOnlyVerdict& verdict);

}  // namespace statelens
