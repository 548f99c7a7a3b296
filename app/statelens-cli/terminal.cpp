#include "app/statelens-cli/terminal.h"

#include "core/base/display_format.h"

#include <QString>

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace statelens::cli {

bool isTerminal(std::FILE* stream)
{
#if defined(_WIN32)
    return _isatty(_fileno(stream)) != 0;
#else
    return isatty(fileno(stream)) != 0;
#endif
}

void ProgressBar::update(qint64 done, qint64 total)
{
    if (!m_enabled || total <= 0 || m_clock.elapsed() < 200)  // no bar for quick runs
        return;
    constexpr int kWidth = 30;
    const int filled = int(double(done) / double(total) * kWidth);
    const QString bar = QString(filled, u'#') + QString(kWidth - filled, u'-');
    const QByteArray line = QStringLiteral("\r[%1] %2%  %3 of %4 ")
                                .arg(bar)
                                .arg(int(100.0 * double(done) / double(total)), 3)
                                .arg(formatBytes(done), formatBytes(total))
                                .toUtf8();
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
    m_drawn = true;
}

void ProgressBar::clear()
{
    if (m_drawn)
        std::fputs("\r\033[K", stderr);
}

}  // namespace statelens::cli
