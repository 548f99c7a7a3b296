#include "core/formats/format_sniffer.h"

#include <QRegularExpression>
#include <QString>

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
    // safetensors before pickles: a header length such as 0x0580 starts with the bytes of PROTO 5.
    if (head.size() >= 9 && head[8] == '{') {
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
    if (looksLikeText(head.first(qMin<qsizetype>(512, head.size())))) {
        result.notACheckpoint = QStringLiteral("a text file (perhaps a Python .pth path file), not a checkpoint");
        return result;
    }
    QString hex;
    for (int i = 0; i < qMin<qsizetype>(8, head.size()); ++i)
        hex += QStringLiteral("%1 ").arg(uchar(head[i]), 2, 16, QLatin1Char('0'));
    result.notACheckpoint = QStringLiteral("not a PyTorch checkpoint: unrecognised content (first bytes %1)").arg(hex.trimmed());
    return result;
}

}  // namespace statelens
