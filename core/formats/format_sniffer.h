// Recognising a checkpoint format from its first bytes, never from the file name.
#pragma once

#include "core/base/result.h"

#include <QByteArrayView>

namespace statelens {

enum class SniffedFormat { Zip, LegacyPickle, Tar, Safetensors, NumpyArray, ZlibStream, GzipStream, JsonText, Unknown };

struct SniffResult {
    SniffedFormat format = SniffedFormat::Unknown;
    // For files that are clearly something else (Git LFS pointer, HTML page, empty file, text):
    // why they are not a checkpoint, as a sentence for the user.
    QString notACheckpoint;
};

// `head` holds the file's first bytes (at least 512 when the file is that long); `fileSize` its size.
SniffResult sniffFormat(QByteArrayView head, qint64 fileSize);

}  // namespace statelens
