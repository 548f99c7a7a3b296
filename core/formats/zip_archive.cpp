#include "core/formats/zip_archive.h"

#include <QHashFunctions>
#include <QSet>

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

// Zip layout as in PKWARE's APPNOTE.TXT (sections 4.3.7 local header, 4.3.12 central header,
// 4.3.14-16 ZIP64 end records, 4.5.3 ZIP64 extra field). All integers are little-endian.

namespace statelens {

namespace {

constexpr qint64 kEocdSize = 22;
constexpr qint64 kZip64LocatorSize = 20;
constexpr qint64 kZip64EocdSize = 56;
constexpr quint64 kCentralHeaderSize = 46;
constexpr quint64 kLocalHeaderSize = 30;
constexpr quint32 kSaturated32 = 0xFFFFFFFF;  // "the real value is in the ZIP64 extra field"
constexpr quint16 kZip64ExtraId = 0x0001;
constexpr quint16 kFlagEncrypted = 0x0001;
constexpr int kStored = 0;

quint16 readU16(const char* p)
{
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return quint16(b[0] | b[1] << 8);
}
quint32 readU32(const char* p)
{
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return quint32(b[0]) | quint32(b[1]) << 8 | quint32(b[2]) << 16 | quint32(b[3]) << 24;
}
quint64 readU64(const char* p) { return quint64(readU32(p)) | quint64(readU32(p + 4)) << 32; }

bool hasSignature(const char* p, const char (&signature)[5]) { return std::memcmp(p, signature, 4) == 0; }

// Fields of a central header that may live in the ZIP64 extra field instead.
struct Zip64Fields {
    bool uncompressed = false, compressed = false, offset = false;
    bool any() const { return uncompressed || compressed || offset; }
};

// The ZIP64 extra block (id 0x0001) holds 8-byte values only for the fields saturated at
// 0xFFFFFFFF, in the order uncompressed size, compressed size, local header offset. False when
// the block is missing or too short for what `needed` says is there: the 32-bit values are
// placeholders then, and using them would read the wrong bytes.
bool applyZip64Extra(const char* extra, quint16 length, Zip64Fields needed, ZipEntry* entry)
{
    quint32 at = 0;
    while (at + 4 <= length) {
        const quint16 id = readU16(extra + at);
        const quint16 size = readU16(extra + at + 2);
        if (at + 4 + size > length)
            return false;  // a block running past the extra field: the field is damaged
        if (id == kZip64ExtraId) {
            const char* field = extra + at + 4;
            const char* const end = field + size;
            quint64* targets[] = {needed.uncompressed ? &entry->uncompressedSize : nullptr,
                                  needed.compressed ? &entry->compressedSize : nullptr,
                                  needed.offset ? &entry->localHeaderOffset : nullptr};
            for (quint64* target : targets) {
                if (!target)
                    continue;
                if (end - field < 8)
                    return false;
                *target = readU64(field);
                field += 8;
            }
            return true;
        }
        at += 4 + size;
    }
    return false;
}

// Where the central directory lies, from the end records.
struct Directory {
    quint64 offset = 0;
    quint64 size = 0;
    quint64 entries = 0;
};

// Finds the end records and the central directory they point to. Checked here, before any
// entry is read, so a truncated download gets a message that says so, with the byte offset.
Result<Directory> findCentralDirectory(const MappedFile& file)
{
    const qint64 size = file.size();
    const char* data = file.data();
    if (size < kEocdSize)
        return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip archive: %1 bytes is too short for its directory").arg(size));
    // The end record is the last 22 bytes unless an archive comment (at most 65535 bytes) follows.
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
    const char* end = data + eocd;
    quint32 disk = readU16(end + 4), directoryDisk = readU16(end + 6);
    Directory directory;
    directory.entries = readU16(end + 10);
    directory.size = readU32(end + 12);
    directory.offset = readU32(end + 16);
    qint64 directoryEnd = eocd;
    // ZIP64: torch writes the locator and the 64-bit end record even for tiny files. Its values
    // are the truth whenever it is there.
    if (eocd >= kZip64LocatorSize && hasSignature(end - kZip64LocatorSize, "PK\x06\x07")) {
        const quint64 zip64Eocd = readU64(end - kZip64LocatorSize + 8);
        if (zip64Eocd > quint64(size) - kZip64EocdSize || size < kZip64EocdSize)
            return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip archive: ZIP64 end record at byte %1 lies outside the file").arg(zip64Eocd), eocd - kZip64LocatorSize);
        const char* record = data + zip64Eocd;
        if (!hasSignature(record, "PK\x06\x06"))
            return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: no ZIP64 end record at byte %1").arg(zip64Eocd), qint64(zip64Eocd));
        disk = readU32(record + 16);
        directoryDisk = readU32(record + 20);
        directory.entries = readU64(record + 32);
        directory.size = readU64(record + 40);
        directory.offset = readU64(record + 48);
        directoryEnd = qint64(zip64Eocd);
    }
    // Spanned archives never come from torch, and their offsets are relative to other files.
    if (disk != 0 || directoryDisk != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("zip archive split over several disks"), eocd);
    if (directory.offset > quint64(directoryEnd) || directory.size > quint64(directoryEnd) - directory.offset)
        return makeError(ErrorCode::Truncated, QStringLiteral("truncated zip central directory at byte %1").arg(directory.offset), qint64(directory.offset));
    return directory;
}

// Reads central header number `index` at `at` into `entry`; the directory ends at `end` (checked
// against the file) and should hold `claimed` headers. Returns the position of the next header.
Result<quint64> parseCentralHeader(const char* data, quint64 at, quint64 end, quint64 index, quint64 claimed, ZipEntry* entry)
{
    const auto damaged = [&] {
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip central directory after %1 entries (its end record claims %2)")
                                                 .arg(index).arg(claimed), qint64(at));
    };
    if (end - at < kCentralHeaderSize || !hasSignature(data + at, "PK\x01\x02"))
        return damaged();
    const char* header = data + at;
    const quint16 nameLength = readU16(header + 28);
    const quint16 extraLength = readU16(header + 30);
    const quint16 commentLength = readU16(header + 32);
    const quint64 variable = quint64(nameLength) + extraLength + commentLength;
    if (end - at - kCentralHeaderSize < variable)
        return damaged();

    entry->flags = readU16(header + 8);
    entry->method = readU16(header + 10);
    entry->crc32 = readU32(header + 16);
    entry->compressedSize = readU32(header + 20);
    entry->uncompressedSize = readU32(header + 24);
    entry->localHeaderOffset = readU32(header + 42);
    const char* name = header + kCentralHeaderSize;
    entry->name = QString::fromUtf8(name, nameLength);
    entry->nameBytes = nameLength;

    Zip64Fields zip64;
    zip64.uncompressed = entry->uncompressedSize == kSaturated32;
    zip64.compressed = entry->compressedSize == kSaturated32;
    zip64.offset = entry->localHeaderOffset == kSaturated32;
    if (zip64.any() && !applyZip64Extra(name + nameLength, extraLength, zip64, entry))
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip central directory entry %1 ('%2'): its sizes or offset are "
                                                            "in a ZIP64 extra field it does not have").arg(index).arg(entry->name), qint64(at));
    return at + kCentralHeaderSize + variable;
}

size_t nameHash(QStringView name)
{
    return qHash(name, QHashSeed::globalSeed());
}

// The entry named exactly `name` (by position in `entries`), npos when none.
size_t findName(const FlatPositionIndex& index, const std::vector<ZipEntry>& entries, const QString& name)
{
    return index.find(nameHash(name), [&](size_t at) { return entries[at].name == name; });
}

// ASCII letters lower-cased, as miniz compares names; the same string (shared, not copied) when
// it has no capitals.
QString asciiLowerCase(const QString& name)
{
    qsizetype first = 0;
    while (first < name.size() && !(name[first] >= u'A' && name[first] <= u'Z'))
        ++first;
    if (first == name.size())
        return name;
    QString folded = name;
    for (qsizetype i = first; i < folded.size(); ++i) {
        if (folded[i] >= u'A' && folded[i] <= u'Z')
            folded[i] = QChar(folded[i].unicode() + (u'a' - u'A'));
    }
    return folded;
}

// One pass over the headers, straight from the map: nothing is copied but the names.
Status readCentralDirectory(const MappedFile& file, const Directory& directory, std::vector<ZipEntry>* entries,
                            FlatPositionIndex* index, QString* twinProblem)
{
    // A central directory entry takes at least 46 bytes: a count beyond that is a lie, and
    // reserving for it would allocate what the directory never holds.
    if (directory.entries > directory.size / kCentralHeaderSize)
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: it claims %1 entries in a central directory of %2 bytes")
                                                 .arg(directory.entries).arg(directory.size), qint64(directory.offset));
    // Room up front saves regrowing for 100 000 records; beyond a million, growth pays as it goes
    // (a directory of zeros claiming as many entries as its size allows reserves no more).
    const quint64 reserved = qMin<quint64>(directory.entries, quint64(1) << 20);
    entries->reserve(size_t(reserved));
    index->reserve(size_t(reserved));
    // torch finds records ignoring ASCII case (miniz's binary search compares lower-cased names),
    // so "data.pkl" and "Data.pkl" are one name to torch, and which one it reads depends on the
    // sort: such pairs are refused like exact duplicates. Lower-cased forms are kept only for
    // names that have capitals: an all-lower-case name is its own folded form, in `index`.
    QSet<QString> foldedCapitalised;

    const char* data = file.data();
    const quint64 end = directory.offset + directory.size;  // findCentralDirectory kept it inside the file
    quint64 at = directory.offset;
    while (entries->size() < directory.entries) {
        ZipEntry entry;
        auto next = parseCentralHeader(data, at, end, entries->size(), directory.entries, &entry);
        if (!next)
            return next.error();
        at = *next;
        // Refused, not resolved: readers that pick the first or the last of two records named
        // data.pkl see different pickles (a scanner could pass what a loader then runs).
        // A scanner keeps them (twinProblem), the first one findable, and reads every pickle.
        const auto twin = [&](const QString& problem) -> Status {
            if (!twinProblem)
                return makeError(ErrorCode::Corrupt, problem);
            if (twinProblem->isEmpty())
                *twinProblem = problem;
            return Ok{};
        };
        const auto sameName = [&](size_t at) { return (*entries)[at].name == entry.name; };
        if (!index->findOrAdd(nameHash(entry.name), entries->size(), sameName).second) {
            if (Status status = twin(QStringLiteral("corrupt zip archive: record '%1' appears twice").arg(entry.name)); !status)
                return status;
        }
        const QString folded = asciiLowerCase(entry.name);
        const bool capitalised = folded != entry.name;
        if ((capitalised && (findName(*index, *entries, folded) != FlatPositionIndex::npos || foldedCapitalised.contains(folded)))
            || (!capitalised && foldedCapitalised.contains(folded))) {
            if (Status status = twin(QStringLiteral("corrupt zip archive: record '%1' differs from another only in letter case "
                                                    "(torch's reader may take either)").arg(entry.name)); !status)
                return status;
        }
        if (capitalised)
            foldedCapitalised.insert(folded);
        entries->push_back(std::move(entry));
    }
    // More headers than the end record counts: readers that trust either disagree on the contents.
    if (end - at >= 4 && hasSignature(data + at, "PK\x01\x02"))
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt zip archive: its end record claims %1 entries but its central directory holds more")
                                                 .arg(directory.entries), qint64(at));
    return Ok{};
}

// zlib's raw inflate (no zlib header: zip stores bare deflate data) from the map. zlib counts in
// 32-bit units, so input and output are handed over at most 1 GiB at a time.
class RawInflater {
public:
    RawInflater(const char* input, quint64 size) : m_inputLeft(size)
    {
        m_stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input));
        m_started = inflateInit2(&m_stream, -MAX_WBITS) == Z_OK;
    }
    ~RawInflater()
    {
        if (m_started)
            inflateEnd(&m_stream);
    }
    RawInflater(const RawInflater&) = delete;
    RawInflater& operator=(const RawInflater&) = delete;

    bool started() const { return m_started; }
    QString message() const { return QString::fromUtf8(m_stream.msg ? m_stream.msg : "error"); }

    // Inflates until `size` bytes are out (Z_OK), the stream ends (Z_STREAM_END), the input runs
    // out first (Z_BUF_ERROR) or the data is damaged (another zlib code). `produced`: bytes out.
    int inflateInto(char* output, quint64 size, quint64* produced)
    {
        quint64 outputLeft = size;
        m_stream.next_out = reinterpret_cast<Bytef*>(output);
        m_stream.avail_out = 0;
        int status = Z_OK;
        for (;;) {
            hand(&m_stream.avail_in, &m_inputLeft);
            hand(&m_stream.avail_out, &outputLeft);
            if (m_stream.avail_out == 0)
                break;  // all asked for is out
            status = inflate(&m_stream, Z_NO_FLUSH);
            if (status != Z_OK)
                break;
        }
        *produced = size - outputLeft - m_stream.avail_out;
        return status;
    }

private:
    // Moves the next chunk of what is left into zlib's counter once zlib has used up the last.
    static void hand(uInt* counter, quint64* left)
    {
        constexpr quint64 kChunk = quint64(1) << 30;
        if (*counter == 0 && *left > 0) {
            *counter = uInt(qMin(*left, kChunk));
            *left -= *counter;
        }
    }

    z_stream m_stream{};
    quint64 m_inputLeft = 0;
    bool m_started = false;
};

}  // namespace

Result<std::shared_ptr<ZipArchive>> ZipArchive::open(std::shared_ptr<MappedFile> file, ZipOpenOptions options)
{
    auto directory = findCentralDirectory(*file);
    if (!directory)
        return directory.error();
    std::shared_ptr<ZipArchive> archive(new ZipArchive);
    archive->m_file = std::move(file);
    if (auto status = readCentralDirectory(*archive->m_file, *directory, &archive->m_entries, &archive->m_index,
                                           options.keepTwins ? &archive->m_twinProblem : nullptr); !status)
        return status.error();
    archive->findIrregularities();
    const size_t count = archive->m_entries.size();
    archive->m_dataOffsets.reset(new std::atomic<qint64>[count]);
    for (size_t i = 0; i < count; ++i)
        archive->m_dataOffsets[i].store(-1, std::memory_order_relaxed);  // published with the archive
    return archive;
}

int ZipArchive::find(const QString& name) const
{
    const size_t at = findName(m_index, m_entries, name);
    return at == FlatPositionIndex::npos ? -1 : int(at);
}

// The entry, when it exists and is not encrypted (we hold no keys: its bytes mean nothing).
Result<const ZipEntry*> ZipArchive::readableEntry(int entry) const
{
    if (entry < 0 || size_t(entry) >= m_entries.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("no zip entry %1").arg(entry));
    const ZipEntry& info = m_entries[size_t(entry)];
    if (info.flags & kFlagEncrypted)
        return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' is encrypted").arg(info.name));
    return &info;
}

// Where a record's bytes start: after its local header, whose name and extra lengths may differ
// from the central header's (torch pads the local extra field to align data to 64 bytes). The
// local header's sizes are never used: torch leaves them zero and writes a data descriptor.
Result<qint64> ZipArchive::localDataOffset(const ZipEntry& info) const
{
    const quint64 at = info.localHeaderOffset;
    const qint64 size = m_file->size();
    if (at > quint64(size) || !m_file->contains(qint64(at), kLocalHeaderSize) || !hasSignature(m_file->data() + at, "PK\x03\x04"))
        return makeError(ErrorCode::Corrupt, QStringLiteral("corrupt local header for record '%1'").arg(info.name), at > quint64(size) ? -1 : qint64(at));
    const char* header = m_file->data() + at;
    // At most 30 + 2 * 65535 past a position inside the file: no overflow. The caller checks
    // the data itself against the file.
    return qint64(at + kLocalHeaderSize + readU16(header + 26) + readU16(header + 28));
}

// A stored record's two sizes are one number, and it fits in the file: dataOffset (tensor
// records, data.pkl for the viewer) and read (the scanner) refuse the same records.
Status ZipArchive::checkStoredSizes(const ZipEntry& info) const
{
    if (info.uncompressedSize != info.compressedSize || info.uncompressedSize > quint64(m_file->size()))
        return makeError(ErrorCode::Corrupt, QStringLiteral("stored record '%1' claims %2 bytes but holds %3 in a file of %4")
                                                 .arg(info.name).arg(info.uncompressedSize).arg(info.compressedSize).arg(m_file->size()));
    return Ok{};
}

Result<qint64> ZipArchive::dataOffset(int entry) const
{
    auto readable = readableEntry(entry);
    if (!readable)
        return readable.error();
    // Relaxed is enough: the offset is a function of bytes that never change after open (the map,
    // m_entries), and no other data is published through it. The atomic only makes a first use
    // from two threads at once well-defined; whichever store a reader sees holds the one value.
    // Errors are not cached: asking again re-derives the same one.
    std::atomic<qint64>& cached = m_dataOffsets[size_t(entry)];
    if (const qint64 known = cached.load(std::memory_order_relaxed); known >= 0)
        return known;  // every check below passed when it was stored
    const ZipEntry& info = **readable;
    if (info.method != kStored)
        return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' is compressed; tensor records must be stored").arg(info.name));
    if (auto status = checkStoredSizes(info); !status)  // as read(): the viewer and the scanner agree
        return status.error();
    auto offset = localDataOffset(info);
    if (!offset)
        return offset.error();
    if (info.uncompressedSize > quint64(m_file->size()) || !m_file->contains(*offset, qint64(info.uncompressedSize)))
        return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' (%2 bytes at byte %3) runs past the end of the file").arg(info.name).arg(info.uncompressedSize).arg(*offset), *offset);
    cached.store(*offset, std::memory_order_relaxed);
    return *offset;
}

Result<QByteArrayView> ZipArchive::inflatedContent(int entry) const
{
    // One lock for the whole inflation: two threads asking for one array (statistics and the
    // value preview) wait for one copy instead of making two.
    std::lock_guard<std::mutex> lock(m_inflatedMutex);
    if (const auto known = m_inflated.find(entry); known != m_inflated.end())
        return QByteArrayView(known->second);
    auto bytes = read(entry, std::numeric_limits<qint64>::max());  // the ratio check bounds it by the file
    if (!bytes)
        return bytes.error();
    return QByteArrayView(m_inflated.emplace(entry, std::move(*bytes)).first->second);
}

Result<QByteArray> ZipArchive::readHead(int entry, qint64 bytes) const
{
    auto readable = readableEntry(entry);
    if (!readable)
        return readable.error();
    const ZipEntry& info = **readable;
    if (info.method == kStored) {
        if (auto status = checkStoredSizes(info); !status)
            return status.error();
    } else if (info.method != Z_DEFLATED) {
        return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' uses zip compression method %2").arg(info.name).arg(info.method));
    }
    auto offset = localDataOffset(info);
    if (!offset)
        return offset.error();
    const qint64 inRecord = qint64(qMin<quint64>(info.uncompressedSize, quint64(qMax<qint64>(bytes, 0))));
    if (info.method == kStored) {
        if (!m_file->contains(*offset, inRecord))
            return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' runs past the end of the file").arg(info.name), *offset);
        return QByteArray(m_file->data() + *offset, inRecord);
    }
    if (info.compressedSize > quint64(m_file->size()) || !m_file->contains(*offset, qint64(info.compressedSize)))
        return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' (%2 compressed bytes at byte %3) runs past the end of the file")
                                                   .arg(info.name).arg(info.compressedSize).arg(*offset), *offset);
    RawInflater inflater(m_file->data() + *offset, info.compressedSize);
    if (!inflater.started())
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("record '%1' cannot be inflated: zlib is out of memory").arg(info.name));
    QByteArray head;
    head.resize(inRecord);
    quint64 done = 0;
    const int status = inflater.inflateInto(head.data(), quint64(head.size()), &done);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' is not valid deflate data after %2 bytes: %3").arg(info.name).arg(done).arg(inflater.message()), *offset);
    head.resize(qsizetype(done));  // a short record: the caller's parser says what is missing
    return head;
}

void ZipArchive::findIrregularities()
{
    constexpr quint16 kFlagPatched = 0x0020, kFlagStrongEncryption = 0x0040;
    for (const ZipEntry& entry : m_entries) {
        if (entry.flags & (kFlagPatched | kFlagStrongEncryption)) {
            m_irregularities.append(QStringLiteral("zip record '%1' has general-purpose flag 0x%2 (%3): torch's reader and "
                                                   "Python's zipfile refuse it, other readers may not")
                                        .arg(entry.name)
                                        .arg(entry.flags & (kFlagPatched | kFlagStrongEncryption), 2, 16, QLatin1Char('0'))
                                        .arg((entry.flags & kFlagPatched) ? QStringLiteral("patched data") : QStringLiteral("strong encryption")));
        }
        if (m_irregularities.size() >= 10)
            return;
    }
    // Each record takes at least its local header, its name and its compressed bytes from where
    // its local header starts (local extra fields only add to that). A record starting before the
    // previous one ends hides inside it: readers of the central directory and readers walking
    // local headers see different archives.
    std::vector<size_t> order(m_entries.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return m_entries[a].localHeaderOffset < m_entries[b].localHeaderOffset; });
    for (size_t i = 1; i < order.size() && m_irregularities.size() < 10; ++i) {
        const ZipEntry& before = m_entries[order[i - 1]];
        const ZipEntry& after = m_entries[order[i]];
        const quint64 least = kLocalHeaderSize + before.nameBytes;
        const bool overflows = before.compressedSize > std::numeric_limits<quint64>::max() - least - before.localHeaderOffset;
        if (overflows || before.localHeaderOffset + least + before.compressedSize > after.localHeaderOffset) {
            m_irregularities.append(QStringLiteral("zip records '%1' and '%2' overlap (the second starts at byte %3, inside the "
                                                   "first): readers that walk local headers see other records than the directory lists")
                                        .arg(before.name, after.name)
                                        .arg(after.localHeaderOffset));
        }
    }
}

Result<QByteArray> ZipArchive::read(int entry, qint64 maxBytes) const
{
    return readChecked(entry, maxBytes, nullptr);
}

Result<QByteArray> ZipArchive::readIgnoringCrc(int entry, qint64 maxBytes, bool* crcFailed) const
{
    *crcFailed = false;
    return readChecked(entry, maxBytes, crcFailed);
}

Result<QByteArray> ZipArchive::readForSweep(int entry, qint64 maxBytes) const
{
    bool crcFailed = false;
    return readChecked(entry, maxBytes, &crcFailed, true);
}

Result<QByteArray> ZipArchive::readChecked(int entry, qint64 maxBytes, bool* crcFailed, bool storedEncrypted) const
{
    const bool asItLies = storedEncrypted && entry >= 0 && size_t(entry) < m_entries.size() && m_entries[size_t(entry)].method == kStored;
    auto readable = asItLies ? Result<const ZipEntry*>(&m_entries[size_t(entry)]) : readableEntry(entry);
    if (!readable)
        return readable.error();
    const ZipEntry& info = **readable;
    if (info.uncompressedSize > quint64(qMax<qint64>(maxBytes, 0)))
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("record '%1' is %2 bytes, more than the %3 allowed").arg(info.name).arg(info.uncompressedSize).arg(maxBytes));
    if (info.method != kStored && info.method != Z_DEFLATED)
        return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' uses zip compression method %2").arg(info.name).arg(info.method));
    // The buffer is sized by the directory's claim. Deflate cannot expand more than 1032:1, so a
    // larger claim is a zip bomb's lie: refuse it before allocating (a few hundred bytes claiming
    // 4 GiB would otherwise allocate 4 GiB). The first test keeps the product from overflowing.
    constexpr quint64 kMaxDeflateRatio = 1032;
    constexpr quint64 kSlack = 1024;
    const bool ratioPossible = info.compressedSize <= (std::numeric_limits<quint64>::max() - kSlack) / kMaxDeflateRatio;
    if (info.method == Z_DEFLATED && ratioPossible && info.uncompressedSize > info.compressedSize * kMaxDeflateRatio + kSlack)
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' claims %2 bytes from %3 compressed bytes, more than deflate can produce (a zip bomb?)")
                                                 .arg(info.name).arg(info.uncompressedSize).arg(info.compressedSize));
    if (info.method == kStored) {
        if (auto status = checkStoredSizes(info); !status)
            return status.error();
    }
    auto offset = localDataOffset(info);
    if (!offset)
        return offset.error();
    if (info.method == Z_DEFLATED) {
        // The compressed bytes must lie in the file (torch's reader refuses the archive
        // otherwise): then the ratio check above bounds the buffer by bytes actually present,
        // not by a claimed compressed size (0xFFFFFFFE of them in a 200-byte file).
        if (info.compressedSize > quint64(m_file->size()) || !m_file->contains(*offset, qint64(info.compressedSize)))
            return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' (%2 compressed bytes at byte %3) runs past the end of the file")
                                                       .arg(info.name).arg(info.compressedSize).arg(*offset), *offset);
        return inflateRecord(info, *offset, crcFailed);
    }

    const qint64 size = qint64(info.uncompressedSize);
    if (!m_file->contains(*offset, size)) {
        const qint64 available = qBound<qint64>(0, m_file->size() - *offset, size);
        return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' is truncated: %2 of %3 bytes").arg(info.name).arg(available).arg(size), *offset);
    }
    return QByteArray(m_file->data() + *offset, size);
}

// A deflated record in a buffer of its directory size, refused when the stream is damaged, ends
// short of the size, goes on past it or fails its CRC.
Result<QByteArray> ZipArchive::inflateRecord(const ZipEntry& info, qint64 offset, bool* crcFailed) const
{
    // read() checked that the compressed bytes lie inside the file.
    RawInflater inflater(m_file->data() + offset, info.compressedSize);
    if (!inflater.started())
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("record '%1' cannot be inflated: zlib is out of memory").arg(info.name));
    QByteArray bytes;
    bytes.resize(qsizetype(info.uncompressedSize));
    quint64 done = 0;
    const int status = inflater.inflateInto(bytes.data(), quint64(bytes.size()), &done);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' is not valid deflate data after %2 bytes: %3").arg(info.name).arg(done).arg(inflater.message()), offset);
    if (done != quint64(bytes.size()))
        return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' is truncated: %2 of %3 bytes").arg(info.name).arg(done).arg(bytes.size()), offset);
    // A zip bomb's directory understates what inflating yields: ask for one byte past the claim.
    // (A stream that stops short of its end marker but gave every claimed byte is accepted: the
    // CRC below still vouches for the bytes.)
    char probe = 0;
    quint64 extra = 0;
    if (status != Z_STREAM_END && (inflater.inflateInto(&probe, 1, &extra), extra != 0))
        return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' inflates to more than its directory size").arg(info.name));
    if (crc32_z(0, reinterpret_cast<const Bytef*>(bytes.constData()), z_size_t(bytes.size())) != info.crc32) {
        if (!crcFailed)
            return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' fails its CRC check").arg(info.name));
        *crcFailed = true;
    }
    return bytes;
}

}  // namespace statelens
