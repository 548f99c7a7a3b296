#include "core/formats/format_sniffer.h"

#include "core/pickle/pickle_opcodes.h"

#include <QRegularExpression>
#include <QString>
#include <QStringDecoder>

#include <cstring>

namespace statelens {

namespace {

bool startsWith(QByteArrayView head, const char* prefix)
{
    const size_t length = std::strlen(prefix);
    return size_t(head.size()) >= length && std::memcmp(head.data(), prefix, length) == 0;
}

QByteArrayView skipWhitespace(QByteArrayView head)
{
    qsizetype i = 0;
    // Also skip a UTF-8 byte order mark: some servers send one before the HTML.
    if (head.size() >= 3 && uchar(head[0]) == 0xEF && uchar(head[1]) == 0xBB && uchar(head[2]) == 0xBF)
        i = 3;
    while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        ++i;
    return head.sliced(i);
}

bool looksLikeText(QByteArrayView head)
{
    if (head.isEmpty())
        return false;
    for (char c : head) {
        const uchar u = uchar(c);
        if (u < 0x09 || (u > 0x0D && u < 0x20 && u != 0x1B))
            return false;
    }
    return true;
}

QString describeLfsPointer(QByteArrayView head)
{
    const QString text = QString::fromUtf8(head);
    static const QRegularExpression sizeLine(QStringLiteral(R"(\nsize (\d+))"));
    const auto match = sizeLine.match(text);
    const QString size = match.hasMatch() ? QStringLiteral(" for a %1-byte file").arg(match.captured(1)) : QString();
    return QStringLiteral("a Git LFS pointer%1, not the checkpoint itself: fetch the real file with `git lfs pull`").arg(size);
}

bool isJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

constexpr quint64 kMaxSafetensorsHeader = 100'000'000;  // the reference's MAX_HEADER_SIZE

quint64 littleEndian64(QByteArrayView head)
{
    quint64 value = 0;
    for (int i = 7; i >= 0; --i)
        value = value << 8 | uchar(head[i]);
    return value;
}

// The first byte of a safetensors header that is not JSON whitespace (the reference's serde_json
// skips it: safetensors#686, test_whitespace_leading_padded_header), -1 when the head ends first.
qsizetype firstHeaderByte(QByteArrayView head, quint64 length)
{
    const qsizetype end = qsizetype(qMin<quint64>(quint64(head.size()), 8 + length));
    for (qsizetype i = 8; i < end; ++i) {
        if (!isJsonSpace(head[i]))
            return i;
    }
    return -1;
}

// For content nothing recognised whose first 8 bytes could be a safetensors header length: what
// the reference reader would refuse it for, so that a broken .safetensors file is named by its
// cause rather than "unrecognised". Empty when the bytes say nothing of the kind.
QString safetensorsDiagnosis(QByteArrayView head, qint64 fileSize)
{
    if (head.size() < 8 || head[5] != 0 || head[6] != 0 || head[7] != 0)
        return {};  // a length of 2^40 or more: no safetensors file
    const quint64 length = littleEndian64(head);
    if (length > kMaxSafetensorsHeader)
        return QStringLiteral("its header length (%1 bytes) exceeds the 100000000 bytes the format allows").arg(length);
    if (8 + length > quint64(fileSize))
        return QStringLiteral("its header of %1 bytes runs past the end of the file (%2 bytes)").arg(length).arg(fileSize);
    const QByteArrayView header = head.sliced(8, qsizetype(qMin<quint64>(length, quint64(head.size() - 8))));
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = utf8(header);
    if (utf8.hasError() && quint64(header.size()) == length)
        return QStringLiteral("its header is not valid UTF-8");
    if (length == 0 || firstHeaderByte(head, length) < 0)
        return QStringLiteral("its header holds no JSON object");
    return QStringLiteral("its header is not a JSON object");
}

// A pickle of protocol 0 or 1 has no PROTO opcode: it is text-like (GLOBAL 'c', MARK '(', STRING
// 'S', ...), and a malicious one ("cos\nsystem\n(S'...'\ntR.") would otherwise pass for a text file
// that nothing scans. CPython takes any opcode after it (picklescan's malicious11.pkl puts a
// protocol 4 STACK_GLOBAL in a protocol 0 stream). Taken for a pickle when its opcodes walk cleanly
// through the first bytes: to a STOP, or over the whole head with several opcodes, or to where the
// data ends after a GLOBAL or INST (a cut pickle whose import CPython runs before it fails:
// picklescan's broken_model.pkl). Prose, paths and tables meet a byte that is no opcode at once.
bool looksLikeTextPickle(QByteArrayView head)
{
    PickleOpWalker walker(head.data(), head.size());
    PickleOp op;
    int count = 0;
    bool named = false;
    while (walker.next(&op)) {
        if (op.problem == PickleArgProblem::UnknownOpcode || op.problem == PickleArgProblem::NegativeLength)
            return false;
        if (op.problem != PickleArgProblem::None)
            return count >= 8 || (named && count >= 1);  // cut by the end of the data
        ++count;
        named = named || ((op.opcode == Opcode::Global || op.opcode == Opcode::Inst) && op.lineBreak >= 0);
        if (op.opcode == Opcode::Stop)
            return count >= 2;
    }
    return count >= 8;
}

QString describeHtml(QByteArrayView head)
{
    const QString text = QString::fromUtf8(head);
    static const QRegularExpression title(QStringLiteral(R"(<title[^>]*>([^<]{1,120})</title>)"), QRegularExpression::CaseInsensitiveOption);
    const auto match = title.match(text);
    const QString quoted = match.hasMatch() ? QStringLiteral(" (\"%1\")").arg(match.captured(1).simplified()) : QString();
    return QStringLiteral("an HTML page%1, not a checkpoint: the download probably failed or needs a login").arg(quoted);
}

}  // namespace

SniffResult sniffFormat(QByteArrayView head, qint64 fileSize)
{
    SniffResult result;
    if (fileSize == 0) {
        result.notACheckpoint = QStringLiteral("the file is empty");
        return result;
    }
    if (startsWith(head, "PK\x03\x04")) {
        result.format = SniffedFormat::Zip;
        return result;
    }
    if (startsWith(head, "PYTORCH1")) {
        result.notACheckpoint = QStringLiteral("a TorchScript archive from the pre-1.0 preview release, which is not supported");
        return result;
    }
    if (startsWith(head, "\x93NUMPY")) {
        result.format = SniffedFormat::NumpyArray;
        return result;
    }
    // safetensors before pickles: a header length such as 0x0580 starts with the bytes of PROTO 5.
    // The header may start with JSON whitespace (the reference accepts it); a plausible length is
    // asked for then, so that a text file is not taken for one.
    if (head.size() >= 9
        && (head[8] == '{'
            || (littleEndian64(head) <= kMaxSafetensorsHeader && firstHeaderByte(head, littleEndian64(head)) > 8
                && head[firstHeaderByte(head, littleEndian64(head))] == '{'))) {
        result.format = SniffedFormat::Safetensors;
        return result;
    }
    // Pickle streams: PROTO n (protocol 2+), or the protocol 0/1 text LONG of torch's magic number.
    if ((head.size() >= 2 && uchar(head[0]) == 0x80 && uchar(head[1]) <= 5) || startsWith(head, "L119547037146038801333356")) {
        result.format = SniffedFormat::LegacyPickle;
        return result;
    }
    if (head.size() >= 263 && std::memcmp(head.data() + 257, "ustar", 5) == 0) {
        result.format = SniffedFormat::Tar;
        return result;
    }
    const QByteArrayView text = skipWhitespace(head);
    if (startsWith(head, "version https://git-lfs.github.com/spec/")) {
        result.notACheckpoint = describeLfsPointer(head);
        return result;
    }
    const QByteArray lower = text.first(qMin<qsizetype>(64, text.size())).toByteArray().toLower();
    if (lower.startsWith("<!doctype html") || lower.startsWith("<html") || lower.startsWith("<?xml") || lower.startsWith("<head")) {
        result.notACheckpoint = describeHtml(head);
        return result;
    }
    if (text.startsWith("{")) {
        result.format = SniffedFormat::JsonText;
        return result;
    }
    if (looksLikeTextPickle(head)) {
        result.format = SniffedFormat::LegacyPickle;
        return result;
    }
    // joblib.dump(..., compress=...) compresses the whole pickle stream (zlib, gzip): a scanner
    // must not call such a file unreadable garbage without saying what it is.
    const bool zlibHeader = head.size() >= 2 && uchar(head[0]) == 0x78 && ((uchar(head[0]) << 8) | uchar(head[1])) % 31 == 0;
    const bool gzipHeader = head.size() >= 3 && uchar(head[0]) == 0x1f && uchar(head[1]) == 0x8b && uchar(head[2]) == 0x08;
    if (zlibHeader || gzipHeader) {
        result.format = zlibHeader ? SniffedFormat::ZlibStream : SniffedFormat::GzipStream;
        return result;
    }
    if (looksLikeText(head.first(qMin<qsizetype>(512, head.size())))) {
        result.notACheckpoint = QStringLiteral("a text file (perhaps a Python .pth path file), not a checkpoint");
        return result;
    }
    QString hex;
    for (int i = 0; i < qMin<qsizetype>(8, head.size()); ++i)
        hex += QStringLiteral("%1 ").arg(uchar(head[i]), 2, 16, QLatin1Char('0'));
    result.notACheckpoint = QStringLiteral("not a PyTorch checkpoint: unrecognised content (first bytes %1)").arg(hex.trimmed());
    if (const QString cause = safetensorsDiagnosis(head, fileSize); !cause.isEmpty())
        result.notACheckpoint += QStringLiteral("; if it is a safetensors file, %1").arg(cause);
    return result;
}

}  // namespace statelens
