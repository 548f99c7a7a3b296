#include "mapped_file.h"

#include <QFileInfo>

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

MappedFile::~MappedFile()
{
    if (m_file.isOpen() && m_data)
        m_file.unmap(reinterpret_cast<uchar*>(const_cast<char*>(m_data)));
}

}  // namespace statelens
