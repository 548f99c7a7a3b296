// The persistent id torch.save pickles in place of each storage:
//   zip:    ('storage', <Name>Storage, key, location, numel)
//   legacy: ('storage', <Name>Storage, key, location, numel, view_metadata)
#pragma once

#include "core/base/result.h"
#include "core/model/value.h"

namespace statelens {

struct StoragePid {
    DType dtype = DType::Unknown;  // element type of the storage class
    QString storageClass;          // "torch.FloatStorage"
    QString key;
    QString location;
    qint64 numel = 0;              // elements of `dtype` (bytes for UntypedStorage)
    qint64 nbytes = 0;             // numel * element size, checked for overflow
    Value* viewMetadata = nullptr; // legacy only: (view_key, offset, view_size) or None
};

// Parses a storage persistent id; a clear error for anything else (module ids included:
// callers that accept those check for them first), or for a byte size that overflows.
Result<StoragePid> parseStoragePid(const Value* pid);

// Text of a str or bytes value (Python 2 pickles give bytes); empty optional otherwise.
bool textOf(const Value* value, QString* text);

}  // namespace statelens
