// Files compressed as a whole, as joblib.dump(..., compress=...) writes them: a zlib or gzip
// stream around a pickle. The stream is inflated into memory (joblib.load does the same) within a
// bound, and the pickle read from there as a joblib or raw pickle file.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

enum class StreamCompression { Zlib, Gzip };

// The stream of checkpoint.files[fileIndex], inflated, becomes a new in-memory file the pickle
// readers read (storages point into it); the compressed file stays first, as torch.load sees it.
Result<Value*> readCompressedPickle(Checkpoint& checkpoint, int fileIndex, StreamCompression compression, Format* format);

// What a stream may inflate to before it is refused (a zip bomb's ratio is 1032:1).
constexpr qint64 kMaxInflatedPickleBytes = qint64(2) << 30;

}  // namespace statelens
