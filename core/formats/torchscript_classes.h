// Reading what TorchScript's code/ records say about each class (which attributes are parameters
// and buffers) into the model's ScriptClasses (core/model/script_classes.h).
#pragma once

#include "core/base/result.h"
#include "core/model/script_classes.h"

#include <QString>

namespace statelens {

class ZipArchive;

// Parses every `PREFIX/code/**.py` record (deflated Python-like source; bounded in total size).
Result<ScriptClasses> readScriptClasses(const ZipArchive& zip, const QString& prefix);

// Parses one source file whose module is `moduleName` ("__torch__.torch.nn.modules.conv").
void parseScriptSource(const QString& moduleName, const QString& source, ScriptClasses* classes);

}  // namespace statelens
