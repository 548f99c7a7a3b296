// A minimal ZIP writer for torch.save archives: stored (uncompressed) entries whose data start
// on 64-byte boundaries, as torch writes them (so they can be memory-mapped), with ZIP64 records
// when sizes or offsets pass 4 GiB. Writes to any QIODevice (a QSaveFile for atomic output).
#pragma once

#include "core/base/result.h"

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <QVector>

#include <functional>

namespace statelens {

class ZipWriter {
public:
    explicit ZipWriter(QIODevice* device) : m_device(device) {}

    // One entry, its bytes supplied in pieces by `produce(write)` (so large tensors are streamed,
    // not copied whole); `size` must equal what is written.
    using Producer = std::function<Status(const std::function<Status(const char*, qint64)>& write)>;
    Status addEntry(const QString& name, qint64 size, const Producer& produce);
    Status addEntry(const QString& name, const QByteArray& bytes);
    // The central directory and end records. Nothing may be added after.
    Status finish();

private:
    struct Entry {
        QByteArray name;
        quint32 crc = 0;
        qint64 size = 0;
        qint64 headerOffset = 0;
    };
    Status write(const QByteArray& bytes);
    QIODevice* m_device;
    qint64 m_offset = 0;
    QVector<Entry> m_entries;
};

}  // namespace statelens
