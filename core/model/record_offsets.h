// Where a record of an archive file starts, as the checkpoint model asks for it: the model holds
// storages as (file, record) pairs and reaches their bytes through this, so it includes no format
// header. The zip reader (formats/zip_archive.h) implements it.
#pragma once

#include "core/base/result.h"

#include <QByteArrayView>

namespace statelens {

class RecordOffsets {
public:
    virtual ~RecordOffsets() = default;

    // File offset of the first byte of record `record`'s data, checked to lie in the file with
    // all of the record's bytes; an error (the same one every time) when it does not.
    // Called from any number of threads at once (the statistics job and the value preview read
    // one storage together), so implementations must be safe for that without the caller locking.
    virtual Result<qint64> dataOffset(int record) const = 0;

    // The whole content of a compressed record (a NumPy .npz written by savez_compressed),
    // inflated on first use and kept for the archive's lifetime: views into it stay valid. Same
    // threading rule as dataOffset.
    virtual Result<QByteArrayView> inflatedContent(int record) const = 0;
};

}  // namespace statelens
