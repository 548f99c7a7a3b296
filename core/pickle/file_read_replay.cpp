#include "core/pickle/file_read_replay.h"

#include "core/pickle/pickle_opcodes.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace statelens {

namespace {

// Names follow Modules/_pickle.c (3.11): the input buffer holds bytes [m_bufferStart, m_bufferEnd)
// of the file, m_next is next_read_idx (as a file offset), m_file the file's position.
class FileReader {
public:
    FileReader(const char* data, qint64 size) : m_data(data), m_size(size) {}

    // _Unpickler_Read: from the buffer when it holds n more bytes, else n fresh bytes from the file.
    std::optional<qint64> read(quint64 n)
    {
        if (n <= quint64(m_bufferEnd - m_next)) {
            const qint64 at = m_next;
            m_next += qint64(n);
            return at;
        }
        if (n > quint64(m_size - m_file))
            return std::nullopt;  // "pickle data was truncated"
        const qint64 at = m_file;
        m_bufferStart = at;
        m_bufferEnd = m_next = at + qint64(n);
        m_file = m_bufferEnd;
        return at;
    }

    // _Unpickler_Readline: a line from the buffer when it holds a newline, else a whole line from
    // the file (the part left in the buffer is dropped). Returns [start, end) including '\n'.
    std::optional<std::pair<qint64, qint64>> readLine()
    {
        if (const void* nl = std::memchr(m_data + m_next, '\n', size_t(m_bufferEnd - m_next))) {
            const qint64 at = m_next;
            m_next = qint64(static_cast<const char*>(nl) - m_data) + 1;
            return std::make_pair(at, m_next);
        }
        const void* nl = std::memchr(m_data + m_file, '\n', size_t(m_size - m_file));
        if (!nl)
            return std::nullopt;  // bad_readline
        const qint64 at = m_file;
        m_bufferStart = at;
        m_bufferEnd = m_next = m_file = qint64(static_cast<const char*>(nl) - m_data) + 1;
        return std::make_pair(at, m_bufferEnd);
    }

    // _Unpickler_ReadInto: what the buffer holds, then the rest straight from the file. The
    // payload's own bytes are never opcodes, so only whether they are there matters.
    bool readInto(quint64 n)
    {
        const quint64 inBuffer = std::min<quint64>(n, quint64(m_bufferEnd - m_next));
        m_next += qint64(inBuffer);
        const quint64 rest = n - inBuffer;
        if (rest > quint64(m_size - m_file))
            return false;
        m_file += qint64(rest);
        return true;
    }

    // load_frame: reads the frame (from the buffer or the file) and rewinds to its start.
    bool frame(quint64 length)
    {
        if (!read(length))
            return false;
        m_next -= qint64(length);
        return true;
    }

private:
    const char* m_data;
    qint64 m_size;
    qint64 m_bufferStart = 0, m_bufferEnd = 0, m_next = 0, m_file = 0;
};

quint64 littleEndian(const char* p, int width)
{
    quint64 value = 0;
    for (int i = width - 1; i >= 0; --i)
        value = value << 8 | quint8(p[i]);
    return value;
}

bool readsInto(PickleArgKind kind)
{
    return kind == PickleArgKind::Bytes1 || kind == PickleArgKind::Bytes4 || kind == PickleArgKind::Bytes8
        || kind == PickleArgKind::Bytearray8;
}

}  // namespace

qint64 FileReadReplay::inputOffset(qint64 offset) const
{
    const auto it = std::lower_bound(opcodes.begin(), opcodes.end(), std::make_pair(offset, qint64(-1)));
    return it != opcodes.end() && it->first == offset ? it->second : -1;
}

FileReadReplay replayAsFileUnpickler(const char* data, qint64 size)
{
    FileReadReplay replay;
    if (!data || size <= 0)
        return replay;
    FileReader reader(data, size);
    const auto copy = [&](qint64 at, qint64 length) { replay.bytes.append(data + at, qsizetype(length)); };
    for (;;) {
        const std::optional<qint64> at = reader.read(1);
        if (!at)
            return replay;
        const quint8 code = quint8(data[*at]);
        const OpcodeInfo& info = opcodeInfo(code);
        if (!info.name)
            return replay;
        const Opcode opcode = Opcode(code);
        const qint64 start = replay.bytes.size();
        if (opcode != Opcode::Frame) {
            replay.opcodes.emplace_back(start, *at);
            replay.bytes.append(char(code));
        }
        switch (info.layout) {
        case PickleArgLayout::None:
            break;
        case PickleArgLayout::Fixed: {
            const std::optional<qint64> field = reader.read(info.width);
            if (!field)
                return replay;
            if (opcode == Opcode::Frame) {
                if (!reader.frame(littleEndian(data + *field, info.width)))
                    return replay;
                continue;
            }
            copy(*field, info.width);
            break;
        }
        case PickleArgLayout::Length: {
            const std::optional<qint64> field = reader.read(info.width);
            if (!field)
                return replay;
            const quint64 length = littleEndian(data + *field, info.width);
            if (info.signedLength && info.width == 4 && (length & 0x80000000u))
                return replay;  // a negative length is an error
            copy(*field, info.width);
            if (readsInto(info.arg)) {
                if (!reader.readInto(length))
                    return replay;
                replay.bytes.append(QByteArray(qsizetype(length), '\0'));  // payload bytes are inert here
            } else {
                const std::optional<qint64> payload = reader.read(length);
                if (!payload)
                    return replay;
                copy(*payload, qint64(length));
            }
            break;
        }
        case PickleArgLayout::Line:
        case PickleArgLayout::TwoLines: {
            for (int line = 0; line < (info.layout == PickleArgLayout::TwoLines ? 2 : 1); ++line) {
                const auto read = reader.readLine();
                if (!read)
                    return replay;
                copy(read->first, read->second - read->first);
            }
            break;
        }
        }
        if (opcode == Opcode::Stop) {
            replay.reachedStop = true;
            return replay;
        }
    }
}

}  // namespace statelens
