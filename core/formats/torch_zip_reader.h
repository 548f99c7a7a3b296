// torch.save zip archives (1.6 - 2.x) and TorchScript archives (torch.jit.save).
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

// Reads the archive in checkpoint.files[fileIndex]; sets *format to TorchZip or TorchScript.
Result<Value*> readTorchZip(Checkpoint& checkpoint, int fileIndex, Format* format);

}  // namespace statelens
