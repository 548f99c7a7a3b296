// The oldest torch.save format (torch 0.1.x): a tar archive with sys_info, pickle, tensors, storages.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

Result<Value*> readTorchTar(Checkpoint& checkpoint, int fileIndex);

}  // namespace statelens
