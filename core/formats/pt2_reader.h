// torch.export .pt2 archives: weights and constants described by JSON configs.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

class ZipArchive;

// Reads a .pt2 archive (record `archive_format` = "pt2"); returns a Dict (name -> Tensor) of the
// model's weights then constants, in the order their configs list them.
Result<Value*> readTorchExport(Checkpoint& checkpoint, int fileIndex, const std::shared_ptr<ZipArchive>& zip,
                               const QString& prefix);

}  // namespace statelens
