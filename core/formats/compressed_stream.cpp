#include "core/formats/compressed_stream.h"

#include "core/formats/format_sniffer.h"
#include "core/formats/legacy_reader.h"

#include <zlib.h>

#include <algorithm>

namespace statelens {

namespace {

QString compressionName(StreamCompression compression)
{
    return compression == StreamCompression::Zlib ? QStringLiteral("zlib") : QStringLiteral("gzip");
}

// zlib's inflate with header detection (zlib or gzip), growing the output as it comes, in
// chunks zlib's 32-bit counters can take, up to `maxBytes`. On a cut or damaged stream what
// came out before the damage is left in *partial: joblib.load unpickles it as it comes, so a
// payload in it runs before the error.
Result<QByteArray> inflateWhole(const char* data, qint64 size, qint64 maxBytes, const QString& what, QByteArray* partial)
{
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 32) != Z_OK)
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("%1: zlib is out of memory").arg(what));
    QByteArray out;
    qint64 inputLeft = size;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    int status = Z_OK;
    constexpr qint64 kChunk = qint64(1) << 20;
    while (status != Z_STREAM_END) {
        if (stream.avail_in == 0 && inputLeft > 0) {
            stream.avail_in = uInt(std::min<qint64>(inputLeft, qint64(1) << 30));
            inputLeft -= stream.avail_in;
        }
        if (out.size() >= maxBytes) {
            inflateEnd(&stream);
            return makeError(ErrorCode::LimitExceeded, QStringLiteral("%1 inflates to more than %2 bytes").arg(what).arg(maxBytes));
        }
        const qint64 before = out.size();
        const qint64 grow = std::min(kChunk, maxBytes - before);
        out.resize(before + grow);
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + before);
        stream.avail_out = uInt(grow);
        status = inflate(&stream, Z_NO_FLUSH);
        out.resize(before + grow - qint64(stream.avail_out));
        if (status == Z_BUF_ERROR && stream.avail_in == 0 && inputLeft == 0) {
            inflateEnd(&stream);
            *partial = out;
            return makeError(ErrorCode::Truncated, QStringLiteral("%1 ends after %2 inflated bytes, before its end marker").arg(what).arg(out.size()));
        }
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
            const QString message = QString::fromUtf8(stream.msg ? stream.msg : "damaged data");
            inflateEnd(&stream);
            *partial = out;
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1 is not valid after %2 inflated bytes: %3").arg(what).arg(out.size()).arg(message));
        }
    }
    inflateEnd(&stream);
    return out;
}

}  // namespace

Result<Value*> readCompressedPickle(Checkpoint& checkpoint, int fileIndex, StreamCompression compression, Format* format)
{
    const MappedFile& file = *checkpoint.files[size_t(fileIndex)].map;
    const QString what = QStringLiteral("the %1 stream").arg(compressionName(compression));
    *format = Format::Pickle;  // until the pickle inside says it is joblib's
    QByteArray partial;
    auto inflated = inflateWhole(file.data(), file.size(), kMaxInflatedPickleBytes, what, &partial);
    if (!inflated) {
        // What was inflated before the damage is read for the globals it names (the scan keeps
        // them beside the error), then the damage is the error.
        if (!partial.isEmpty() && sniffFormat(QByteArrayView(partial.constData(), qMin<qint64>(partial.size(), 4096)), partial.size()).format
                                      == SniffedFormat::LegacyPickle) {
            checkpoint.files.push_back(SourceFile{MappedFile::fromOwnedBytes(file.path() + QStringLiteral(" (inflated, cut)"), std::move(partial)), nullptr});
            Format ignored = Format::Pickle;
            (void)readTorchLegacy(checkpoint, int(checkpoint.files.size() - 1), &ignored);
        }
        return inflated.error();
    }
    const qint64 inflatedSize = inflated->size();
    const SniffResult inner = sniffFormat(QByteArrayView(inflated->constData(), qMin<qint64>(inflated->size(), 4096)), inflated->size());
    if (inner.format != SniffedFormat::LegacyPickle)
        return makeError(ErrorCode::NotACheckpoint, QStringLiteral("a %1-compressed stream that holds no pickle").arg(compressionName(compression)));
    checkpoint.files.push_back(SourceFile{MappedFile::fromOwnedBytes(file.path() + QStringLiteral(" (inflated)"), std::move(*inflated)), nullptr});
    const int inflatedIndex = int(checkpoint.files.size() - 1);
    auto root = readTorchLegacy(checkpoint, inflatedIndex, format);
    if (root && (*format == Format::Pickle || *format == Format::Joblib)) {
        checkpoint.formatDetail = QStringLiteral("%1, %2-compressed (%3 bytes inflated)").arg(checkpoint.formatDetail, compressionName(compression)).arg(inflatedSize);
    } else if (root) {
        return makeError(ErrorCode::Unsupported, QStringLiteral("a %1-compressed legacy torch.save file: torch.load cannot read it either")
                                                     .arg(compressionName(compression)));
    }
    return root;
}

}  // namespace statelens
