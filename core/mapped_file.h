// A read-only memory map of a whole file (QFile::map: mmap on POSIX, MapViewOfFile on Windows).
// Mapping reads nothing: pages are faulted in only when a reader touches them.
#pragma once

#include "result.h"

#include <QFile>
#include <QString>

#include <memory>

namespace statelens {

class MappedFile {
public:
    static Result<std::shared_ptr<MappedFile>> open(const QString& path);
    // A map over bytes held in memory (tests, nested archives); `bytes` must outlive it.
    static std::shared_ptr<MappedFile> fromMemory(const QString& name, const char* bytes, qint64 size);
    ~MappedFile();

    const QString& path() const { return m_path; }
    const char* data() const { return m_data; }
    qint64 size() const { return m_size; }
    // True when [offset, offset + length) lies inside the file (overflow-safe).
    bool contains(qint64 offset, qint64 length) const
    {
        return offset >= 0 && length >= 0 && offset <= m_size && length <= m_size - offset;
    }

private:
    MappedFile() = default;
    QString m_path;
    QFile m_file;
    const char* m_data = nullptr;
    qint64 m_size = 0;
};

}  // namespace statelens
