// The one tar header walker: where each member of a tar archive lies, read as Python's tarfile
// reads headers (ustar and GNU names, PAX path and size records, octal or GNU base-256 numbers,
// checksums summed either way). The torch 0.1.x reader and the weights-only scan both find their
// members through it, so they cannot disagree about a file.
#pragma once

#include "core/base/mapped_file.h"
#include "core/base/result.h"

#include <QHash>
#include <QString>

namespace statelens {

struct TarMember {
    qint64 offset = 0;       // absolute file offset of the first data byte
    qint64 size = 0;         // bytes the header promises
    bool truncated = false;  // the file ends before offset + size
};

struct TarIndex {
    QHash<QString, TarMember> members;
    qint64 truncatedAt = -1;  // where the scan hit the end of the file inside a member, else -1
    qint64 end = 0;           // where the scan stopped
    bool sawEndBlock = false; // an end-of-archive block was seen (the archive is whole)
};

// Walks the headers of `file` and records where each regular file's data lies (nothing is
// copied). A damaged header is an error; an archive that stops early is reported in the index.
Result<TarIndex> indexTar(const MappedFile& file);

}  // namespace statelens
