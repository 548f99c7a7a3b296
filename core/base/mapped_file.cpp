#include "core/base/mapped_file.h"

#include "core/base/mapped_file_guard.h"

#include <QFileInfo>

#if defined(Q_OS_WIN)
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace statelens {

Result<std::shared_ptr<MappedFile>> MappedFile::open(const QString& path)
{
    std::shared_ptr<MappedFile> file(new MappedFile);
    file->m_path = path;
    const QFileInfo info(path);
    if (!info.exists())
        return makeError(ErrorCode::Io, QStringLiteral("no such file"));
    if (info.isDir())
        return makeError(ErrorCode::Io, QStringLiteral("is a folder without a checkpoint index"));
    file->m_file.setFileName(path);
    if (!file->m_file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, QStringLiteral("cannot open: %1").arg(file->m_file.errorString()));
    file->m_size = file->m_file.size();
    if (file->m_size == 0)
        return file;  // mapping zero bytes fails everywhere; an empty file is reported by the sniffer
    uchar* mapped = file->m_file.map(0, file->m_size);
    if (!mapped)
        return makeError(ErrorCode::Io, QStringLiteral("cannot map the file: %1").arg(file->m_file.errorString()));
    file->m_data = reinterpret_cast<const char*>(mapped);
    file->m_guardSlot = mapguard::registerRange(file->m_data, file->m_size, &file->m_changed);
    return file;
}

std::shared_ptr<MappedFile> MappedFile::fromMemory(const QString& name, const char* bytes, qint64 size)
{
    std::shared_ptr<MappedFile> file(new MappedFile);
    file->m_path = name;
    file->m_data = bytes;
    file->m_size = size;
    return file;
}

std::shared_ptr<MappedFile> MappedFile::fromOwnedBytes(const QString& name, QByteArray bytes)
{
    std::shared_ptr<MappedFile> file(new MappedFile);
    file->m_path = name;
    file->m_owned = std::move(bytes);
    file->m_data = file->m_owned.constData();
    file->m_size = file->m_owned.size();
    return file;
}

namespace {

qint64 pageSize()
{
#if defined(Q_OS_WIN)
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return qint64(info.dwPageSize);
#else
    return qint64(sysconf(_SC_PAGESIZE));
#endif
}

}  // namespace

void MappedFile::releasePages(const char* data, qint64 length) const
{
    if (!m_file.isOpen() || !m_data || data < m_data || length <= 0 || !contains(data - m_data, length))
        return;
    static const qint64 page = pageSize();
    // Only whole pages inside the range: a neighbour's bytes may share the edge pages.
    const quintptr start = (quintptr(data) + quintptr(page) - 1) & ~quintptr(page - 1);
    const quintptr end = (quintptr(data) + quintptr(length)) & ~quintptr(page - 1);
    if (end <= start)
        return;
#if defined(Q_OS_WIN)
    // Unlocking pages that are not locked removes them from the working set (documented).
    VirtualUnlock(reinterpret_cast<void*>(start), SIZE_T(end - start));
#else
    // Read-only file pages: dropping them loses nothing; the next touch re-reads the page cache.
    madvise(reinterpret_cast<void*>(start), size_t(end - start), MADV_DONTNEED);
#endif
}

qint64 MappedFile::sizeOnDisk() const
{
    if (!m_file.isOpen())
        return -1;
    // The open file's own size (fstat), not the path's: a file replaced by rename leaves the
    // mapped one intact.
    return m_file.size();
}

bool MappedFile::changedOnDisk() const
{
    return m_changed.load(std::memory_order_acquire);
}

Error MappedFile::changedError() const
{
    Error error;
    error.code = ErrorCode::Io;
    error.path = m_path;
    error.message = QStringLiteral("the file changed on disk since it was opened (it was %1 bytes, it is %2 now): reload it")
                        .arg(m_size)
                        .arg(sizeOnDisk());
    return error;
}

MappedFile::~MappedFile()
{
    mapguard::unregisterRange(m_guardSlot);
    if (m_file.isOpen() && m_data)
        m_file.unmap(reinterpret_cast<uchar*>(const_cast<char*>(m_data)));
}

}  // namespace statelens
