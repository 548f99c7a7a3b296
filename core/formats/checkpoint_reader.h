// Opening a checkpoint: recognise the format by content and run its reader.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"

#include <optional>

namespace statelens {

struct OpenOptions {
    // Hooks for tests and the benchmark; defaults are what the product uses.
    bool nameTensors = true;  // build the dotted-name listing and candidate state dicts
    // A raw pickle holding no tensor or array (pickle.dump of a config dict) is "not a checkpoint"
    // to the commands that work on tensors; the GUI opens it all the same, to show what it holds.
    bool acceptWithoutTensors = false;
};

// Opens FILE (any single-file format) or a sharded index / a folder holding one.
// Errors name the file (Error::path) and the problem.
Result<CheckpointPtr> openCheckpoint(const QString& path, const OpenOptions& options = {});

// For the security scan: opens PATH like openCheckpoint, but when reading fails part-way the
// checkpoint keeps what the readers saw before the failure (its format, the files, every global
// the pickles named up to the failing byte) beside the error. A verdict must not forget a payload
// that CPython would have run before it reached the same error.
struct PartialCheckpoint {
    CheckpointPtr checkpoint;    // never null
    std::optional<Error> error;  // set when reading stopped early
};
PartialCheckpoint openAsFarAsPossible(const QString& path);

// Reads checkpoint.files[fileIndex] (already mapped) with the reader its content calls for and
// returns the root value it describes. Sets *format. Used by openCheckpoint and the shard reader.
Result<Value*> readFileInto(Checkpoint& checkpoint, int fileIndex, Format* format);

}  // namespace statelens
