// A read-only memory map of a whole file (QFile::map: mmap on POSIX, MapViewOfFile on Windows).
// Mapping reads nothing: pages are faulted in only when a reader touches them.
//
// A file truncated while mapped (a training loop re-saving its checkpoint in place) makes reads
// past its new end raise SIGBUS on POSIX systems. Every map is registered with a SIGBUS guard
// (mapped_file_guard.h) that puts zero pages over the vanished part and marks the map
// `changedOnDisk()`: readers check that after reading and report the change instead of using the
// zeros. Windows refuses to truncate a file while it is mapped, so it needs no guard.
#pragma once

#include "core/base/result.h"

#include <QByteArray>
#include <QFile>
#include <QString>

#include <atomic>
#include <memory>

namespace statelens {

class MappedFile {
public:
    static Result<std::shared_ptr<MappedFile>> open(const QString& path);
    // A map over bytes held in memory (tests, nested archives); `bytes` must outlive it.
    static std::shared_ptr<MappedFile> fromMemory(const QString& name, const char* bytes, qint64 size);
    // A map over bytes it keeps itself (a decompressed stream).
    static std::shared_ptr<MappedFile> fromOwnedBytes(const QString& name, QByteArray bytes);
    ~MappedFile();

    const QString& path() const { return m_path; }
    const char* data() const { return m_data; }
    qint64 size() const { return m_size; }
    // True when [offset, offset + length) lies inside the file (overflow-safe).
    // Drops the pages of [data, data + length) from this process's resident set once they have
    // been read (the page cache keeps them; touching them again maps them back). Keeps memory flat
    // while a job streams through a file larger than RAM. No-op for in-memory maps.
    void releasePages(const char* data, qint64 length) const;
    // The file's size on disk now, to notice a file replaced or truncated after it was mapped;
    // -1 for in-memory maps.
    qint64 sizeOnDisk() const;
    // True once a read touched bytes the file no longer has (they read as zeros): whatever was
    // read from this map since may be wrong. Readers turn it into an error (changedError()).
    bool changedOnDisk() const;
    Error changedError() const;
    bool contains(qint64 offset, qint64 length) const
    {
        return offset >= 0 && length >= 0 && offset <= m_size && length <= m_size - offset;
    }

private:
    MappedFile() = default;
    int m_guardSlot = -1;
    std::atomic<bool> m_changed{false};
    QString m_path;
    QFile m_file;
    QByteArray m_owned;  // fromOwnedBytes: the bytes m_data points into
    const char* m_data = nullptr;
    qint64 m_size = 0;
};

}  // namespace statelens
