#include "core/formats/tar_index.h"

#include "core/base/checked_math.h"

#include <cstring>
#include <limits>

namespace statelens {

namespace {

constexpr qint64 kBlock = 512;

// A NUL-terminated (or full-width) header field as text.
QString fieldText(const char* field, int width)
{
    const void* nul = std::memchr(field, 0, size_t(width));
    const int length = nul ? int(static_cast<const char*>(nul) - field) : width;
    return QString::fromUtf8(field, length);
}

// Numeric header field: octal text (padded with spaces/NULs), or GNU base-256 when the first
// byte has its high bit set (0x80 positive, 0xFF negative), as Python's tarfile.nti reads it.
bool parseNumber(const char* field, int width, qint64* value)
{
    const auto* bytes = reinterpret_cast<const unsigned char*>(field);
    qint64 result = 0;
    if (bytes[0] == 0x80 || bytes[0] == 0xFF) {
        if (bytes[0] == 0xFF)
            return false;  // negative: never a valid size
        for (int i = 1; i < width; ++i) {
            if (result > (std::numeric_limits<qint64>::max() >> 8))
                return false;
            result = (result << 8) | bytes[i];
        }
        *value = result;
        return true;
    }
    int i = 0;
    while (i < width && (field[i] == ' ' || field[i] == 0))
        ++i;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
        if (result > (std::numeric_limits<qint64>::max() >> 3))
            return false;
        result = (result << 3) | (field[i] - '0');
    }
    // Only padding may follow the digits.
    for (; i < width; ++i) {
        if (field[i] != ' ' && field[i] != 0)
            return false;
    }
    *value = result;
    return true;
}

// The checksum treats its own 8 bytes as spaces; old writers summed signed chars, so accept both.
bool checksumMatches(const char* header)
{
    qint64 stored = 0;
    if (!parseNumber(header + 148, 8, &stored))
        return false;
    qint64 unsignedSum = 8 * ' ';
    qint64 signedSum = 8 * ' ';
    for (int i = 0; i < kBlock; ++i) {
        if (i >= 148 && i < 156)
            continue;
        unsignedSum += static_cast<unsigned char>(header[i]);
        signedSum += static_cast<signed char>(header[i]);
    }
    return stored == unsignedSum || stored == signedSum;
}

bool isZeroBlock(const char* header)
{
    for (int i = 0; i < kBlock; ++i) {
        if (header[i] != 0)
            return false;
    }
    return true;
}

// "./storages/" -> "storages": torch looks members up through os.path.normpath.
QString normaliseMemberName(QString name)
{
    while (name.startsWith(QLatin1String("./")))
        name.remove(0, 2);
    while (name.endsWith(u'/'))
        name.chop(1);
    return name;
}

// PAX extended header records: "<length> <key>=<value>\n", length counting the whole record.
Status applyPaxRecords(const char* data, qint64 size, QString* path, qint64* memberSize, qint64 offset)
{
    qint64 pos = 0;
    while (pos < size) {
        if (data[pos] == 0)
            break;  // NUL padding after the last record
        qint64 length = 0;
        qint64 digitsEnd = pos;
        while (digitsEnd < size && data[digitsEnd] >= '0' && data[digitsEnd] <= '9') {
            if (length > (std::numeric_limits<qint64>::max() - 9) / 10)
                return makeError(ErrorCode::Corrupt, QStringLiteral("tar PAX record length overflows"), offset + pos);
            length = length * 10 + (data[digitsEnd] - '0');
            ++digitsEnd;
        }
        if (digitsEnd == pos || digitsEnd >= size || data[digitsEnd] != ' ' || length <= digitsEnd - pos + 1
            || length > size - pos || data[pos + length - 1] != '\n')
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar PAX header has a malformed record"), offset + pos);
        const QByteArrayView record(data + digitsEnd + 1, pos + length - 1 - (digitsEnd + 1));
        const qsizetype equals = record.indexOf('=');
        if (equals <= 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar PAX record has no key"), offset + pos);
        const QByteArrayView key = record.first(equals);
        const QByteArrayView value = record.sliced(equals + 1);
        if (key == "path") {
            *path = QString::fromUtf8(value);
        } else if (key == "size") {
            bool ok = false;
            const qint64 parsed = value.toByteArray().toLongLong(&ok);
            if (!ok || parsed < 0)
                return makeError(ErrorCode::Corrupt, QStringLiteral("tar PAX size '%1' is not a size").arg(QString::fromLatin1(value.first(qMin<qsizetype>(40, value.size())))), offset + pos);
            *memberSize = parsed;
        }
        pos += length;
    }
    return Ok{};
}

// The member's name: a pending PAX/GNU long name, else the header's (with the ustar prefix).
QString headerName(const char* header, const QString& pendingPath)
{
    if (!pendingPath.isEmpty())
        return normaliseMemberName(pendingPath);
    QString name = fieldText(header, 100);
    // POSIX ustar splits long names into prefix/name; GNU ("ustar  ") uses that room otherwise.
    if (std::memcmp(header + 257, "ustar\0", 6) == 0 && header[345] != 0)
        name = fieldText(header + 345, 155) + u'/' + name;
    return normaliseMemberName(name);
}

}  // namespace

Result<TarIndex> indexTar(const MappedFile& file)
{
    TarIndex index;
    QString pendingPath;       // from a PAX 'x' header or a GNU 'L' long name
    qint64 pendingSize = -1;   // from a PAX 'x' header
    qint64 pos = 0;
    while (true) {
        if (pos == file.size())
            break;  // no end-of-archive blocks: tolerated, as Python's tarfile does
        if (!file.contains(pos, kBlock)) {
            index.truncatedAt = pos;
            break;
        }
        const char* header = file.data() + pos;
        if (isZeroBlock(header)) {
            index.sawEndBlock = true;
            break;
        }
        if (!checksumMatches(header)) {
            return makeError(ErrorCode::Corrupt, pos == 0 ? QStringLiteral("not a tar archive: the first header's checksum is wrong")
                                                          : QStringLiteral("tar header at byte %1 has a wrong checksum").arg(pos), pos);
        }
        qint64 size = 0;
        if (!parseNumber(header + 124, 12, &size))
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar header at byte %1 has an unreadable size").arg(pos), pos);
        const char type = header[156];
        const bool extension = type == 'x' || type == 'L' || type == 'g';  // describe the next member
        if (pendingSize >= 0 && !extension)
            size = pendingSize;
        const qint64 dataOffset = pos + kBlock;
        qint64 padded = 0;
        if (!checkedAdd(size, kBlock - 1, &padded))
            return makeError(ErrorCode::Corrupt, QStringLiteral("tar member size %1 overflows").arg(size), pos);
        padded -= padded % kBlock;
        const bool hasData = !(type >= '1' && type <= '6');  // links, devices, folders, FIFOs: none
        const bool fits = file.contains(dataOffset, size);

        if (extension) {
            if (!fits) {
                index.truncatedAt = pos;
                break;
            }
            if (type == 'x') {
                if (auto status = applyPaxRecords(file.data() + dataOffset, size, &pendingPath, &pendingSize, dataOffset); !status)
                    return status.error();
            } else if (type == 'L') {
                pendingPath = fieldText(file.data() + dataOffset, int(qMin<qint64>(size, 4096)));
            }  // 'g' (global PAX) sets nothing torch's members use
        } else {
            if (type == '0' || type == 0 || type == '7')  // regular (and contiguous) files
                index.members.insert(headerName(header, pendingPath), TarMember{dataOffset, size, !fits});
            pendingPath.clear();
            pendingSize = -1;
        }
        if (hasData && !fits) {
            index.truncatedAt = pos;
            break;
        }
        pos = dataOffset + (hasData ? padded : 0);
        if (pos > file.size())
            pos = file.size();  // the last member's padding may be cut; its data is whole
    }
    index.end = pos;
    return index;
}

}  // namespace statelens
