// Opening a checkpoint: recognise the format by content and run its reader.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"

namespace statelens {

struct OpenOptions {
    // Hooks for tests and the benchmark; defaults are what the product uses.
    bool nameTensors = true;  // build the dotted-name listing and candidate state dicts
};

// Opens FILE (any single-file format) or a sharded index / a folder holding one.
// Errors name the file (Error::path) and the problem.
Result<CheckpointPtr> openCheckpoint(const QString& path, const OpenOptions& options = {});

// Reads checkpoint.files[fileIndex] (already mapped) with the reader its content calls for and
// returns the root value it describes. Sets *format. Used by openCheckpoint and the shard reader.
Result<Value*> readFileInto(Checkpoint& checkpoint, int fileIndex, Format* format);

}  // namespace statelens
