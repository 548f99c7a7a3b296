// The file-dialog filter for checkpoints, shared by Open, Compare and the model chooser so they
// all offer the same extensions.
#pragma once

#include <QCoreApplication>
#include <QString>

namespace statelens::ui {

inline QString checkpointFileFilter()
{
    return QCoreApplication::translate("statelens", "Checkpoints (*.pt *.pth *.bin *.ckpt *.pt2 *.safetensors *.json *.jit);;All files (*)");
}

}  // namespace statelens::ui
