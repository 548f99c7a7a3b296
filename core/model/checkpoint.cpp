#include "core/model/checkpoint.h"

#include <vector>

namespace statelens {

QString formatName(Format format)
{
    switch (format) {
    case Format::TorchZip: return QStringLiteral("torch-zip");
    case Format::TorchLegacy: return QStringLiteral("torch-legacy");
    case Format::TorchTar: return QStringLiteral("torch-tar");
    case Format::TorchScript: return QStringLiteral("torchscript");
    case Format::TorchExport: return QStringLiteral("pt2");
    case Format::Safetensors: return QStringLiteral("safetensors");
    case Format::Sharded: return QStringLiteral("sharded");
    case Format::Pickle: return QStringLiteral("pickle");
    case Format::Joblib: return QStringLiteral("joblib");
    case Format::NumpyArray: return QStringLiteral("npy");
    case Format::NumpyArchive: return QStringLiteral("npz");
    }
    return QStringLiteral("unknown");
}

QString otherReadingKindName(OtherReading::Kind kind)
{
    switch (kind) {
    case OtherReading::Kind::AfterError: return QStringLiteral("after_error");
    case OtherReading::Kind::FileUnpickler: return QStringLiteral("file_unpickler");
    case OtherReading::Kind::AfterStop: return QStringLiteral("after_stop");
    case OtherReading::Kind::TwinRecord: return QStringLiteral("twin_record");
    case OtherReading::Kind::ZipRecord: return QStringLiteral("zip_record");
    case OtherReading::Kind::NestedPickle: return QStringLiteral("nested_pickle");
    }
    return QStringLiteral("unknown");
}

Checkpoint::~Checkpoint() = default;

qint64 Checkpoint::totalNumel() const
{
    qint64 total = 0;
    for (const TensorInfo& tensor : tensors)
        total += tensor.numel();
    return total;
}

qint64 Checkpoint::totalNbytes() const
{
    qint64 total = 0;
    for (const TensorInfo& tensor : tensors)
        total += tensor.nbytes();
    return total;
}

qint64 Checkpoint::distinctStorageBytes() const
{
    // Storage indexes are dense: a flag per storage instead of a hash set of 100 000 ints.
    std::vector<char> seen(size_t(storages.size()), 0);
    qint64 total = 0;
    for (const TensorInfo& tensor : tensors) {
        if (tensor.storage >= 0 && tensor.storage < storages.size() && !seen[size_t(tensor.storage)]) {
            seen[size_t(tensor.storage)] = 1;
            total += storages[tensor.storage].nbytes;
        }
    }
    return total;
}

Result<QByteArrayView> Checkpoint::storageBytes(int storage) const
{
    if (storage < 0 || storage >= storages.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("no storage %1").arg(storage));
    const StorageInfo& info = storages[storage];
    if (info.isInline)
        return QByteArrayView(info.inlineBytes);
    if (info.file < 0 || size_t(info.file) >= files.size())
        return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' refers to a missing file").arg(info.key));
    const SourceFile& source = files[size_t(info.file)];
    if (info.deflated) {
        if (!source.records || info.zipEntry < 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("storage '%1' names no compressed record").arg(info.key));
        auto content = source.records->inflatedContent(int(info.zipEntry));
        if (!content)
            return content.error();
        if (info.recordOffset < 0 || info.nbytes < 0 || info.recordOffset > content->size() || info.nbytes > content->size() - info.recordOffset)
            return makeError(ErrorCode::Truncated, QStringLiteral("storage '%1' (%2 bytes at byte %3 of its record) lies outside the record")
                                                       .arg(info.key).arg(info.nbytes).arg(info.recordOffset));
        return content->sliced(info.recordOffset, info.nbytes);
    }
    qint64 offset = info.fileOffset;
    if (offset < 0 && info.zipEntry >= 0 && source.records) {
        // A zip record's data starts after its local header, which only the header itself tells
        // (torch pads it to 64-byte alignment). The archive resolves and caches it; nothing here
        // is written, so the statistics job and the value preview may ask at the same moment.
        auto resolved = source.records->dataOffset(int(info.zipEntry));
        if (!resolved)
            return resolved.error();
        offset = *resolved + info.recordOffset;  // checked with the bytes below
    }
    if (offset < 0 || !source.map->contains(offset, info.nbytes))
        return makeError(ErrorCode::Truncated, QStringLiteral("storage '%1' (%2 bytes at byte %3) lies outside the file").arg(info.key).arg(info.nbytes).arg(offset));
    return QByteArrayView(source.map->data() + offset, info.nbytes);
}

}  // namespace statelens
