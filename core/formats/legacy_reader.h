// The legacy torch.save format (_use_new_zipfile_serialization=False): five pickles, then raw storages.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

Result<Value*> readTorchLegacy(Checkpoint& checkpoint, int fileIndex);

}  // namespace statelens
