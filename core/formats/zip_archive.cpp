#include "zip_archive.h"

#include <minizip/unzip.h>

#include <cstring>

namespace statelens {

// minizip reads through these callbacks from the memory map: no file handles, no copies of
// stored records, and every read is bounded by the mapped size.
struct ZipArchive::MemoryStream {
    const char* data = nullptr;
    quint64 size = 0;
    quint64 position = 0;
    bool failed = false;

    static voidpf open(voidpf opaque, const void*, int) { return opaque; }
    static uLong read(voidpf, voidpf stream, void* buffer, uLong length)
    {
        auto* self = static_cast<MemoryStream*>(stream);
        if (self->position >= self->size)
            return 0;
        const quint64 available = self->size - self->position;
        const uLong count = length < available ? length : static_cast<uLong>(available);
        std::memcpy(buffer, self->data + self->position, count);
        self->position += count;
        return count;
    }
    static uLong write(voidpf, voidpf stream, const void*, uLong)
    {
        static_cast<MemoryStream*>(stream)->failed = true;  // read-only
        return 0;
    }
    static ZPOS64_T tell(voidpf, voidpf stream) { return static_cast<MemoryStream*>(stream)->position; }
    static long seek(voidpf, voidpf stream, ZPOS64_T offset, int origin)
    {
        auto* self = static_cast<MemoryStream*>(stream);
        quint64 base = 0;
        switch (origin) {
        case ZLIB_FILEFUNC_SEEK_SET: base = 0; break;
        case ZLIB_FILEFUNC_SEEK_CUR: base = self->position; break;
        case ZLIB_FILEFUNC_SEEK_END: base = self->size; break;
        default: return -1;
        }
        if (offset > self->size || base > self->size - offset)
            return -1;  // never position past the end: minizip then reports a bad archive
        self->position = base + offset;
        return 0;
    }
    static int close(voidpf, voidpf) { return 0; }
    static int error(voidpf, voidpf stream) { return static_cast<MemoryStream*>(stream)->failed ? 1 : 0; }
};

namespace {

quint32 readU32(const char* p)
{
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return quint32(b[0]) | quint32(b[1]) << 8 | quint32(b[2]) << 16 | quint32(b[3]) << 24;
}
quint64 readU64(const char* p) { return quint64(readU32(p)) | quint64(readU32(p + 4)) << 32; }

// minizip answers "bad zip file" for every kind of damage. Look at the end records ourselves
// first so a truncated download gets a message that says so, with the byte offset.
Status checkEndRecords(const MappedFile& file)
{
    const qint64 size = file.size();
    const char* data = file.data();
    constexpr qint64 kEocdSize = 22;
    if (size < kEocdSize)
        return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip archive: %1 bytes is too short for its directory").arg(size));
    const qint64 lowest = qMax<qint64>(0, size - kEocdSize - 0xFFFF);
    qint64 eocd = -1;
    for (qint64 at = size - kEocdSize; at >= lowest; --at) {
        if (data[at] == 'P' && data[at + 1] == 'K' && data[at + 2] == 5 && data[at + 3] == 6) {
            eocd = at;
            break;
        }
    }
    if (eocd < 0)
        return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip archive: no end-of-central-directory record"));
    quint64 cdSize = readU32(data + eocd + 12);
    quint64 cdOffset = readU32(data + eocd + 16);
    qint64 cdEnd = eocd;
    // ZIP64: torch writes the locator and the 64-bit end record even for tiny files.
    if (eocd >= 20 && std::memcmp(data + eocd - 20, "PK\x06\x07", 4) == 0) {
        const quint64 zip64Eocd = readU64(data + eocd - 20 + 8);
        if (zip64Eocd > quint64(size) - 56 || size < 56)
            return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip archive: ZIP64 end record at byte %1 lies outside the file").arg(zip64Eocd), eocd - 20);
        const char* record = data + zip64Eocd;
        if (std::memcmp(record, "PK\x06\x06", 4) != 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: no ZIP64 end record at byte %1").arg(zip64Eocd), qint64(zip64Eocd));
        cdSize = readU64(record + 40);
        cdOffset = readU64(record + 48);
        cdEnd = qint64(zip64Eocd);
    }
    if (cdOffset > quint64(cdEnd) || cdSize > quint64(cdEnd) - cdOffset)
        return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip central directory at byte %1").arg(cdOffset), qint64(cdOffset));
    return Ok{};
}

}  // namespace

Result<std::shared_ptr<ZipArchive>> ZipArchive::open(std::shared_ptr<MappedFile> file)
{
    if (auto status = checkEndRecords(*file); !status)
        return status.error();

    std::shared_ptr<ZipArchive> archive(new ZipArchive);
    archive->m_file = std::move(file);
    archive->m_stream = std::make_unique<MemoryStream>();
    archive->m_stream->data = archive->m_file->data();
    archive->m_stream->size = quint64(archive->m_file->size());

    zlib_filefunc64_def functions{};
    functions.zopen64_file = &MemoryStream::open;
    functions.zread_file = &MemoryStream::read;
    functions.zwrite_file = &MemoryStream::write;
    functions.ztell64_file = &MemoryStream::tell;
    functions.zseek64_file = &MemoryStream::seek;
    functions.zclose_file = &MemoryStream::close;
    functions.zerror_file = &MemoryStream::error;
    functions.opaque = archive->m_stream.get();

    unzFile unz = unzOpen2_64("memory", &functions);
    if (!unz)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: its central directory cannot be read"));
    archive->m_unz = unz;

    unz_global_info64 global{};
    if (unzGetGlobalInfo64(unz, &global) != UNZ_OK)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: bad end-of-central-directory record"));
    // A central directory entry takes at least 46 bytes: a count beyond that is a lie.
    if (global.number_entry > quint64(archive->m_file->size()) / 46)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: it claims %1 entries in %2 bytes").arg(global.number_entry).arg(archive->m_file->size()));
    archive->m_entries.reserve(size_t(global.number_entry));
    archive->m_index.reserve(qsizetype(global.number_entry));  // the same bound, and no rehashing

    char name[65536];
    int status = unzGoToFirstFile(unz);
    while (status == UNZ_OK) {
        unz_file_info64 info{};
        if (unzGetCurrentFileInfo64(unz, &info, name, sizeof(name) - 1, nullptr, 0, nullptr, 0) != UNZ_OK)
            return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip central directory entry %1").arg(archive->m_entries.size()));
        name[qMin<uLong>(info.size_filename, sizeof(name) - 1)] = '\0';
        unz64_file_pos position{};
        unzGetFilePos64(unz, &position);
        ZipEntry entry;
        entry.name = QString::fromUtf8(name, int(qMin<uLong>(info.size_filename, sizeof(name) - 1)));
        entry.compressedSize = info.compressed_size;
        entry.uncompressedSize = info.uncompressed_size;
        entry.method = int(info.compression_method);
        entry.centralPosition = position.pos_in_zip_directory;
        entry.entryNumber = position.num_of_file;
        if (archive->m_index.contains(entry.name))
            return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: record '%1' appears twice").arg(entry.name));
        archive->m_index.insert(entry.name, int(archive->m_entries.size()));
        archive->m_entries.push_back(std::move(entry));
        status = unzGoToNextFile(unz);
    }
    if (status != UNZ_END_OF_LIST_OF_FILE)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip central directory after %1 entries").arg(archive->m_entries.size()));
    return archive;
}

ZipArchive::~ZipArchive()
{
    if (m_unz)
        unzClose(static_cast<unzFile>(m_unz));
}

Status ZipArchive::selectEntry(int entry) const
{
    if (entry < 0 || size_t(entry) >= m_entries.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("no zip entry %1").arg(entry));
    unz64_file_pos position{m_entries[size_t(entry)].centralPosition, m_entries[size_t(entry)].entryNumber};
    if (unzGoToFilePos64(static_cast<unzFile>(m_unz), &position) != UNZ_OK)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip entry '%1'").arg(m_entries[size_t(entry)].name));
    return Ok{};
}

Result<QByteArray> ZipArchive::read(int entry, qint64 maxBytes) const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (auto status = selectEntry(entry); !status)
        return status.error();
    const ZipEntry& info = m_entries[size_t(entry)];
    if (info.uncompressedSize > quint64(maxBytes))
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("record '%1' is %2 bytes, more than the %3 allowed").arg(info.name).arg(info.uncompressedSize).arg(maxBytes));
    if (info.method != 0 && info.method != Z_DEFLATED)
        return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' uses zip compression method %2").arg(info.name).arg(info.method));
    // The buffer below is sized by the directory's claim. Deflate cannot expand more than 1032:1,
    // so a larger claim is a zip bomb's lie: refuse it before allocating (a few hundred bytes
    // claiming 4 GiB would otherwise allocate 4 GiB).
    constexpr quint64 kMaxDeflateRatio = 1032;
    if (info.method == Z_DEFLATED && info.uncompressedSize > info.compressedSize * kMaxDeflateRatio + 1024)
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' claims %2 bytes from %3 compressed bytes, more than deflate can produce (a zip bomb?)")
                                                 .arg(info.name).arg(info.uncompressedSize).arg(info.compressedSize));
    if (info.method == 0 && (info.uncompressedSize != info.compressedSize || info.uncompressedSize > quint64(m_file->size())))
        return makeError(ErrorCode::Corrupt, QStringLiteral("stored record '%1' claims %2 bytes but holds %3 in a file of %4")
                                                 .arg(info.name).arg(info.uncompressedSize).arg(info.compressedSize).arg(m_file->size()));
    auto* unz = static_cast<unzFile>(m_unz);
    if (unzOpenCurrentFile(unz) != UNZ_OK)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt local header for record '%1'").arg(info.name));
    QByteArray bytes;
    bytes.resize(qsizetype(info.uncompressedSize));
    qint64 done = 0;
    while (done < bytes.size()) {
        const unsigned chunk = unsigned(qMin<qint64>(bytes.size() - done, 1 << 20));
        const int got = unzReadCurrentFile(unz, bytes.data() + done, chunk);
        if (got <= 0)
            break;
        done += got;
    }
    // A zip bomb's directory understates what inflating yields: one probe byte past the claim.
    char probe = 0;
    const int extra = done == bytes.size() ? unzReadCurrentFile(unz, &probe, 1) : 0;
    const int closeStatus = unzCloseCurrentFile(unz);
    if (done != bytes.size())
        return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' is truncated: %2 of %3 bytes").arg(info.name).arg(done).arg(bytes.size()));
    if (extra != 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' inflates to more than its directory size").arg(info.name));
    if (closeStatus == UNZ_CRCERROR && info.method != 0)
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' fails its CRC check").arg(info.name));
    return bytes;
}

Result<qint64> ZipArchive::dataOffset(int entry) const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (auto status = selectEntry(entry); !status)
        return status.error();
    const ZipEntry& info = m_entries[size_t(entry)];
    if (info.method != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' is compressed; tensor records must be stored").arg(info.name));
    auto* unz = static_cast<unzFile>(m_unz);
    if (unzOpenCurrentFile(unz) != UNZ_OK)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt local header for record '%1'").arg(info.name));
    const ZPOS64_T offset = unzGetCurrentFileZStreamPos64(unz);
    unzCloseCurrentFile(unz);
    if (!m_file->contains(qint64(offset), qint64(info.uncompressedSize)) || info.uncompressedSize > quint64(m_file->size()))
        return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' (%2 bytes at byte %3) runs past the end of the file").arg(info.name).arg(info.uncompressedSize).arg(offset), qint64(offset));
    return qint64(offset);
}

}  // namespace statelens
