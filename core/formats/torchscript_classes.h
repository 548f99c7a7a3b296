// What TorchScript's code/ records say about each class: which attributes are parameters and
// buffers. The pickle alone does not distinguish them from plain tensor attributes.
#pragma once

#include "../result.h"

#include <QHash>
#include <QString>
#include <QStringList>

#include <memory>

namespace statelens {

class ZipArchive;

struct ScriptClass {
    QStringList parameters;  // __parameters__
    QStringList buffers;     // __buffers__
    bool isModule = false;   // derives from Module
};

// Qualified class name ("__torch__.torch.nn.modules.conv.Conv2d") -> its declaration.
using ScriptClasses = QHash<QString, ScriptClass>;

// Parses every `PREFIX/code/**.py` record (deflated Python-like source; bounded in total size).
Result<ScriptClasses> readScriptClasses(const ZipArchive& zip, const QString& prefix);

// Parses one source file whose module is `moduleName` ("__torch__.torch.nn.modules.conv").
void parseScriptSource(const QString& moduleName, const QString& source, ScriptClasses* classes);

}  // namespace statelens
