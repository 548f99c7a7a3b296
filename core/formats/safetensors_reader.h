// safetensors: an 8-byte header length, a JSON header, then packed little-endian tensor bytes.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

// Validates the header of checkpoint.files[fileIndex] fully (as the reference implementation does)
// and appends one storage and one rebuilt tensor per entry. Returns a Dict value (name -> Tensor)
// in name order, as safetensors' load_file returns it. `__metadata__` goes to checkpoint.metadata.
Result<Value*> readSafetensors(Checkpoint& checkpoint, int fileIndex);

}  // namespace statelens
