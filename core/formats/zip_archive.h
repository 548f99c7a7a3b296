// The zip container under torch.save, TorchScript and .pt2 archives, read with minizip over a
// memory map (no file I/O of our own, no copies of stored records).
#pragma once

#include "../mapped_file.h"
#include "../result.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <memory>
#include <mutex>
#include <vector>

namespace statelens {

struct ZipEntry {
    QString name;
    quint64 compressedSize = 0;
    quint64 uncompressedSize = 0;
    int method = 0;              // 0 stored, 8 deflated
    quint64 centralPosition = 0; // minizip's position of the entry in the central directory
    quint64 entryNumber = 0;
};

class ZipArchive {
public:
    // Reads the central directory. Fails with a clear message for truncated or non-zip data.
    static Result<std::shared_ptr<ZipArchive>> open(std::shared_ptr<MappedFile> file);
    ~ZipArchive();

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    // Index of the entry with exactly this name, -1 when absent.
    int find(const QString& name) const { return m_index.value(name, -1); }

    // The whole content of an entry (inflated when deflated), refused above maxBytes.
    Result<QByteArray> read(int entry, qint64 maxBytes) const;
    // File offset of a stored entry's first byte (from its local header), checked against the file.
    Result<qint64> dataOffset(int entry) const;

    const MappedFile& file() const { return *m_file; }

private:
    ZipArchive() = default;
    Status selectEntry(int entry) const;

    std::shared_ptr<MappedFile> m_file;
    struct MemoryStream;
    std::unique_ptr<MemoryStream> m_stream;
    void* m_unz = nullptr;  // unzFile
    std::vector<ZipEntry> m_entries;
    QHash<QString, int> m_index;
    mutable std::mutex m_mutex;  // minizip's handle has a single cursor
};

}  // namespace statelens
