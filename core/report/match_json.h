// `match --json` and `load --json` of the CLI contract (docs/cli.md): the verdict, its causes and
// the suggested fixes, streamed with JsonWriter.
#pragma once

#include "core/match/match_report.h"

#include <QByteArray>

#include <functional>

namespace statelens {

class JsonWriter;
// `extra` writes more fields into the same object (the load verb adds device and forward pass).
QByteArray matchJsonText(const MatchReport& report, const std::function<void(JsonWriter&)>& extra = {});

}  // namespace statelens
