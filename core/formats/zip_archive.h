// The zip container under torch.save, TorchScript and .pt2 archives, read straight from a memory
// map: one pass over the central directory at open, local headers read on demand, stored records
// never copied (dataOffset), deflated ones inflated with zlib (read).
//
// Every length and offset in the file is checked before use: hostile archives are normal input.
#pragma once

#include "core/base/flat_position_index.h"
#include "core/base/mapped_file.h"
#include "core/base/result.h"
#include "core/model/record_offsets.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace statelens {

struct ZipEntry {
    QString name;
    quint64 compressedSize = 0;     // from the central directory (ZIP64 extra when saturated)
    quint64 uncompressedSize = 0;
    quint64 localHeaderOffset = 0;  // where the record's local header starts (unchecked until used)
    quint32 crc32 = 0;
    quint16 flags = 0;              // general purpose bits; bit 0: encrypted
    quint16 nameBytes = 0;          // the name's length in the central header
    int method = 0;                 // 0 stored, 8 deflated
};

struct ZipOpenOptions {
    // Two records with one name, or names that differ only in letter case (one name to torch's
    // miniz), make readers disagree on which one they read. Refused at open unless kept for a
    // scanner that reads them all (twinProblem() then says what is wrong; find() gives the first).
    bool keepTwins = false;
};

class ZipArchive final : public RecordOffsets {
public:
    // Reads the central directory. Fails with a clear message for truncated or non-zip data.
    static Result<std::shared_ptr<ZipArchive>> open(std::shared_ptr<MappedFile> file, ZipOpenOptions options = {});

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    // Index of the entry with exactly this name, -1 when absent.
    int find(const QString& name) const;

    // The whole content of an entry (inflated when deflated), refused above maxBytes.
    // Thread-safe: it only reads the map.
    Result<QByteArray> read(int entry, qint64 maxBytes) const;
    // File offset of a stored entry's first byte (from its local header), checked against the file.
    // Thread-safe and lock-free: it reads the map and the per-entry cache below.
    Result<qint64> dataOffset(int entry) const override;

    Result<QByteArrayView> inflatedContent(int entry) const override;
    // The first `bytes` bytes of an entry (all of it when shorter), inflated when deflated: the
    // header of a record without inflating the rest. Thread-safe.
    Result<QByteArray> readHead(int entry, qint64 bytes) const;

    const MappedFile& file() const { return *m_file; }

    // Kept twins (ZipOpenOptions::keepTwins): the refusal open() would have given, empty when none.
    const QString& twinProblem() const { return m_twinProblem; }
    // Places where zip readers disagree without refusing the archive, one sentence each: records
    // whose bytes overlap another record's (a reader that walks local headers sees other records
    // than the central directory lists), general-purpose flags 0x20 / 0x40 (patched data, strong
    // encryption) that miniz and Python's zipfile refuse and we read.
    const QStringList& irregularities() const { return m_irregularities; }

    // As read(), but a deflated record that fails its CRC check is returned with *crcFailed set:
    // torch's miniz is built with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS and reads such a record,
    // Python's zipfile refuses it. For the pickles, whose verdict must follow what torch runs.
    Result<QByteArray> readIgnoringCrc(int entry, qint64 maxBytes, bool* crcFailed) const;
    // For a scanner sweeping records no loader of ours reads: as readIgnoringCrc, and a stored
    // record flagged encrypted is read as it lies (picklescan's malicious1_0x1.zip keeps a pickle in
    // the clear under the flag, which other readers ignore; real ciphertext reads as no pickle).
    Result<QByteArray> readForSweep(int entry, qint64 maxBytes) const;

private:
    ZipArchive() = default;
    Result<const ZipEntry*> readableEntry(int entry) const;
    Result<qint64> localDataOffset(const ZipEntry& info) const;
    Result<QByteArray> readChecked(int entry, qint64 maxBytes, bool* crcFailed, bool storedEncrypted = false) const;
    Result<QByteArray> inflateRecord(const ZipEntry& info, qint64 offset, bool* crcFailed) const;
    void findIrregularities();
    Status checkStoredSizes(const ZipEntry& info) const;

    std::shared_ptr<MappedFile> m_file;
    std::vector<ZipEntry> m_entries;
    QString m_twinProblem;
    QStringList m_irregularities;
    FlatPositionIndex m_index;  // entry names, by position in m_entries
    // Per entry: its data offset once dataOffset() has resolved it, -1 before. Resolved on first
    // use, not at open: opening reads the directory only (a local header per record would fault a
    // page per tensor of a 100 000-tensor file, and once files can be remote, cost a request
    // each). Threads that miss together each read the same local header and store the same
    // value, so a plain atomic store suffices: no lock, no compare-and-swap.
    std::unique_ptr<std::atomic<qint64>[]> m_dataOffsets;
    // inflatedContent's records, inflated once each; never erased, so views stay valid.
    mutable std::mutex m_inflatedMutex;
    mutable std::map<int, QByteArray> m_inflated;
};

}  // namespace statelens
