#include "core/export/zip_writer.h"

#include <QtEndian>

#include <zlib.h>

namespace statelens {

namespace {

constexpr qint64 kAlignment = 64;
constexpr quint32 kMax32 = 0xFFFFFFFFu;

void put16(QByteArray& out, quint16 value)
{
    char bytes[2];
    qToLittleEndian(value, bytes);
    out.append(bytes, 2);
}

void put32(QByteArray& out, quint32 value)
{
    char bytes[4];
    qToLittleEndian(value, bytes);
    out.append(bytes, 4);
}

void put64(QByteArray& out, quint64 value)
{
    char bytes[8];
    qToLittleEndian(value, bytes);
    out.append(bytes, 8);
}

// The ZIP64 extended-information extra field (0x0001) with the given 64-bit values.
QByteArray zip64Extra(const QVector<quint64>& values)
{
    QByteArray extra;
    put16(extra, 0x0001);
    put16(extra, quint16(values.size() * 8));
    for (quint64 value : values)
        put64(extra, value);
    return extra;
}

}  // namespace

Status ZipWriter::write(const QByteArray& bytes)
{
    if (m_device->write(bytes) != bytes.size())
        return makeError(ErrorCode::Io, QStringLiteral("cannot write: %1").arg(m_device->errorString()));
    m_offset += bytes.size();
    return Ok{};
}

Status ZipWriter::addEntry(const QString& name, const QByteArray& bytes)
{
    return addEntry(name, bytes.size(), [&](const auto& sink) { return sink(bytes.constData(), bytes.size()); });
}

Status ZipWriter::addEntry(const QString& name, qint64 size, const Producer& produce)
{
    Entry entry;
    entry.name = name.toUtf8();
    entry.size = size;
    entry.headerOffset = m_offset;
    const bool large = size >= qint64(kMax32);
    // Local header, with 0xFFFFFFFF sizes and a ZIP64 field when large. The CRC is computed while
    // the data are streamed out and patched into the header afterwards (the device seeks).
    QByteArray extra = large ? zip64Extra({quint64(size), quint64(size)}) : QByteArray();
    const qint64 fixed = 30 + entry.name.size() + extra.size();
    // Pad the extra field so the data start on a 64-byte boundary, as torch's writer does.
    const qint64 padding = (kAlignment - (m_offset + fixed + 4) % kAlignment) % kAlignment;
    QByteArray pad;
    put16(pad, 0x4246);  // "FB": torch's padding extra-field id
    put16(pad, quint16(padding));
    pad.append(QByteArray(int(padding), 'Z'));
    extra += pad;
    QByteArray header;
    put32(header, 0x04034b50);
    put16(header, large ? 45 : 20);  // version needed
    put16(header, 0x0800);           // bit 11: UTF-8 names; no data descriptor
    put16(header, 0);                // stored
    put16(header, 0);                // time
    put16(header, 0x21);             // date: 1980-01-01
    const int crcPosition = header.size();
    put32(header, 0);                // CRC, patched below
    put32(header, large ? kMax32 : quint32(size));
    put32(header, large ? kMax32 : quint32(size));
    put16(header, quint16(entry.name.size()));
    put16(header, quint16(extra.size()));
    header += entry.name;
    header += extra;
    const qint64 headerStart = m_offset;
    if (auto status = write(header); !status)
        return status;
    uLong crc = crc32(0L, Z_NULL, 0);
    qint64 written = 0;
    auto sink = [&](const char* data, qint64 length) -> Status {
        for (qint64 done = 0; done < length;) {
            const uInt chunk = uInt(std::min<qint64>(length - done, qint64(1) << 30));
            crc = crc32(crc, reinterpret_cast<const Bytef*>(data + done), chunk);
            done += chunk;
        }
        if (m_device->write(data, length) != length)
            return makeError(ErrorCode::Io, QStringLiteral("cannot write: %1").arg(m_device->errorString()));
        m_offset += length;
        written += length;
        return Ok{};
    };
    if (auto status = produce(sink); !status)
        return status;
    if (written != size)
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: wrote %2 bytes, expected %3").arg(name).arg(written).arg(size));
    entry.crc = quint32(crc);
    // Patch the CRC into the local header.
    QByteArray crcBytes;
    put32(crcBytes, entry.crc);
    if (!m_device->seek(headerStart + crcPosition) || m_device->write(crcBytes) != 4 || !m_device->seek(m_offset))
        return makeError(ErrorCode::Io, QStringLiteral("cannot write: %1").arg(m_device->errorString()));
    m_entries.append(entry);
    return Ok{};
}

Status ZipWriter::finish()
{
    const qint64 directoryStart = m_offset;
    QByteArray directory;
    for (const Entry& entry : m_entries) {
        QVector<quint64> large;
        const bool bigSize = entry.size >= qint64(kMax32);
        const bool bigOffset = entry.headerOffset >= qint64(kMax32);
        if (bigSize) {
            large.append(quint64(entry.size));
            large.append(quint64(entry.size));
        }
        if (bigOffset)
            large.append(quint64(entry.headerOffset));
        const QByteArray extra = large.isEmpty() ? QByteArray() : zip64Extra(large);
        put32(directory, 0x02014b50);
        put16(directory, 45);  // made by
        put16(directory, large.isEmpty() ? 20 : 45);
        put16(directory, 0x0800);
        put16(directory, 0);
        put16(directory, 0);
        put16(directory, 0x21);
        put32(directory, entry.crc);
        put32(directory, bigSize ? kMax32 : quint32(entry.size));
        put32(directory, bigSize ? kMax32 : quint32(entry.size));
        put16(directory, quint16(entry.name.size()));
        put16(directory, quint16(extra.size()));
        put16(directory, 0);  // comment
        put16(directory, 0);  // disk
        put16(directory, 0);  // internal attributes
        put32(directory, 0);  // external attributes
        put32(directory, bigOffset ? kMax32 : quint32(entry.headerOffset));
        directory += entry.name;
        directory += extra;
    }
    if (auto status = write(directory); !status)
        return status;
    const qint64 directorySize = directory.size();
    const bool zip64 = m_entries.size() >= 0xFFFF || directoryStart >= qint64(kMax32) || directorySize >= qint64(kMax32);
    QByteArray end;
    if (zip64) {
        const qint64 zip64EndOffset = m_offset;
        put32(end, 0x06064b50);
        put64(end, 44);
        put16(end, 45);
        put16(end, 45);
        put32(end, 0);
        put32(end, 0);
        put64(end, quint64(m_entries.size()));
        put64(end, quint64(m_entries.size()));
        put64(end, quint64(directorySize));
        put64(end, quint64(directoryStart));
        put32(end, 0x07064b50);  // locator
        put32(end, 0);
        put64(end, quint64(zip64EndOffset));
        put32(end, 1);
    }
    put32(end, 0x06054b50);
    put16(end, 0);
    put16(end, 0);
    put16(end, quint16(std::min<qint64>(m_entries.size(), 0xFFFF)));
    put16(end, quint16(std::min<qint64>(m_entries.size(), 0xFFFF)));
    put32(end, zip64 ? kMax32 : quint32(directorySize));
    put32(end, zip64 ? kMax32 : quint32(directoryStart));
    put16(end, 0);
    return write(end);
}

}  // namespace statelens
