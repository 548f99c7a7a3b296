// `export --json` of the CLI contract (docs/cli.md): what was written where, and the torch snippet
// that applies the same key map when one was asked for.
#pragma once

#include "core/export/state_dict_export.h"

#include <QByteArray>

namespace statelens {

// formatName: the --format value as the user gave it; snippet: empty when none was asked for.
QByteArray exportJsonText(const QString& file, const ExportSummary& summary, const QString& formatName,
                          const QString& snippet);

}  // namespace statelens
