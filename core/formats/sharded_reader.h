// Sharded checkpoints: a Hugging Face index (`*.safetensors.index.json`,
// `pytorch_model.bin.index.json`) whose weight_map names the shard holding each tensor.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

// If `path` is a folder, the index file inside it; else `path`. Empty when the folder has none.
QString findShardIndex(const QString& path);

// Reads the index at `indexPath`, maps and reads every shard it names (each appended to
// checkpoint.files), and returns a Dict value (name -> Tensor) in weight_map order.
Result<Value*> readSharded(Checkpoint& checkpoint, const QString& indexPath);

}  // namespace statelens
