// What a TorchScript archive declares about each of its classes: which attributes are parameters
// and which are buffers (the pickle alone does not tell them from plain tensor attributes). Part
// of the checkpoint model, so it names no format: formats/torchscript_classes.h fills it from an
// archive's code/ records, and tensor naming reads it.
#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

namespace statelens {

struct ScriptClass {
    QStringList parameters;  // __parameters__
    QStringList buffers;     // __buffers__
    bool isModule = false;   // derives from Module
};

// Qualified class name ("__torch__.torch.nn.modules.conv.Conv2d") -> its declaration.
using ScriptClasses = QHash<QString, ScriptClass>;

}  // namespace statelens
