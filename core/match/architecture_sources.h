// Where an architecture comes from, by what the user typed: "ref:FILE" (any checkpoint's layout),
// a JSON spec, a TorchScript or .pt2 file (read by our own reader, so no libtorch is needed to
// match against one), or a built-in name.
#pragma once

#include "core/base/result.h"
#include "core/match/architecture.h"

namespace statelens {

Result<Architecture> loadArchitecture(const QString& spec);

// A JSON architecture spec, as the README's three-line snippet writes it:
// {"model": "ResNet", "modules": ["", "conv1", ...], "tensors": [["conv1.weight", [64, 3, 7, 7], "float32"], ...]}
// Errors say where ("line 3, column 9", "tensors[4]: ...").
Result<Architecture> parseArchitectureSpec(const QByteArray& json, const QString& id);

}  // namespace statelens
