#include "core/formats/checkpoint_reader.h"

#include "core/formats/compressed_stream.h"
#include "core/formats/format_sniffer.h"
#include "core/formats/legacy_reader.h"
#include "core/formats/numpy_reader.h"
#include "core/formats/safetensors_reader.h"
#include "core/formats/sharded_reader.h"
#include "core/formats/tar_reader.h"
#include "core/formats/torch_zip_reader.h"
#include "core/model/tensor_naming.h"

#include <QFileInfo>

namespace statelens {

namespace {

bool isShardIndexPath(const QString& path)
{
    return path.endsWith(QLatin1String(".index.json"), Qt::CaseInsensitive);
}

Error withPath(Error error, const QString& path)
{
    if (error.path.isEmpty())
        error.path = path;
    return error;
}

}  // namespace

Result<Value*> readFileInto(Checkpoint& checkpoint, int fileIndex, Format* format)
{
    const MappedFile& file = *checkpoint.files[size_t(fileIndex)].map;
    const SniffResult sniffed = sniffFormat(QByteArrayView(file.data(), qMin<qint64>(file.size(), 4096)), file.size());
    switch (sniffed.format) {
    case SniffedFormat::Zip:
        return readTorchZip(checkpoint, fileIndex, format);
    case SniffedFormat::LegacyPickle:
        return readTorchLegacy(checkpoint, fileIndex, format);
    case SniffedFormat::Tar:
        *format = Format::TorchTar;
        return readTorchTar(checkpoint, fileIndex);
    case SniffedFormat::Safetensors:
        *format = Format::Safetensors;
        return readSafetensors(checkpoint, fileIndex);
    case SniffedFormat::NumpyArray:
        *format = Format::NumpyArray;
        return readNumpyArray(checkpoint, fileIndex);
    case SniffedFormat::ZlibStream:
    case SniffedFormat::GzipStream:
        return readCompressedPickle(checkpoint, fileIndex,
                                    sniffed.format == SniffedFormat::ZlibStream ? StreamCompression::Zlib : StreamCompression::Gzip, format);
    case SniffedFormat::JsonText:
        return makeError(ErrorCode::NotACheckpoint, QStringLiteral("a JSON file, not a checkpoint (a shard index must be named *.index.json)"));
    case SniffedFormat::Unknown:
        break;
    }
    return makeError(ErrorCode::NotACheckpoint, sniffed.notACheckpoint);
}

namespace {

// Reads PATH into CHECKPOINT; on failure what was read so far stays in it.
Status readCheckpoint(Checkpoint& checkpoint, const QString& path, const OpenOptions& options)
{
    QString indexPath;
    if (QFileInfo(path).isDir()) {
        indexPath = findShardIndex(path);
        if (indexPath.isEmpty())
            return withPath(makeError(ErrorCode::NotACheckpoint, QStringLiteral("the folder holds no *.safetensors.index.json or *.bin.index.json shard index")), path);
    } else if (isShardIndexPath(path)) {
        indexPath = path;
    }

    Result<Value*> root = static_cast<Value*>(nullptr);
    if (!indexPath.isEmpty()) {
        checkpoint.format = Format::Sharded;
        root = readSharded(checkpoint, indexPath);
    } else {
        auto map = MappedFile::open(path);
        if (!map)
            return withPath(map.error(), path);
        checkpoint.files.push_back(SourceFile{*map, nullptr});
        root = readFileInto(checkpoint, 0, &checkpoint.format);
    }
    // A file truncated while it was being read gave zeros past its new end: report the change,
    // not whatever the zeros looked like.
    for (const SourceFile& file : checkpoint.files) {
        if (file.map && file.map->changedOnDisk())
            return file.map->changedError();
    }
    if (!root)
        return withPath(root.error(), path);
    checkpoint.root = *root;
    if (options.nameTensors) {
        if (auto status = nameTensors(checkpoint); !status)
            return withPath(status.error(), path);
        findCandidateStateDicts(checkpoint);
        if (!options.acceptWithoutTensors && (checkpoint.format == Format::Pickle || checkpoint.format == Format::Joblib) && checkpoint.tensors.isEmpty() && checkpoint.rebuilt.empty())
            return withPath(makeError(ErrorCode::NotACheckpoint, QStringLiteral("a pickle file holding no tensors or arrays (%1), not a checkpoint")
                                                                     .arg(checkpoint.root ? checkpoint.root->summary(60) : QString())),
                            path);
    }
    return Ok{};
}

}  // namespace

Result<CheckpointPtr> openCheckpoint(const QString& path, const OpenOptions& options)
{
    auto checkpoint = std::make_shared<Checkpoint>();
    checkpoint->path = path;
    if (Status status = readCheckpoint(*checkpoint, path, options); !status)
        return status.error();
    return checkpoint;
}

PartialCheckpoint openAsFarAsPossible(const QString& path)
{
    PartialCheckpoint partial;
    partial.checkpoint = std::make_shared<Checkpoint>();
    partial.checkpoint->path = path;
    OpenOptions options;
    options.acceptWithoutTensors = true;  // a config pickle is scanned like any other
    if (Status status = readCheckpoint(*partial.checkpoint, path, options); !status)
        partial.error = status.error();
    return partial;
}

}  // namespace statelens
