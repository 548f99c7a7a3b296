// The legacy torch.save format (_use_new_zipfile_serialization=False): five pickles, then raw
// storages. A file whose first pickle is no torch magic number is a raw pickle (pickle.dump):
// read as pickle.load reads it, *format set to Format::Pickle.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

Result<Value*> readTorchLegacy(Checkpoint& checkpoint, int fileIndex, Format* format);

}  // namespace statelens
