#include "core/export/state_dict_export.h"

#include "core/export/pickle_writer.h"
#include "core/export/zip_writer.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QtEndian>

#include <algorithm>

namespace statelens {

namespace {

using Sink = std::function<Status(const char*, qint64)>;
constexpr qint64 kChunkBytes = qint64(16) << 20;

// The safetensors dtype codes.
QString safetensorsCode(DType dtype)
{
    switch (dtype) {
    case DType::Float32: return QStringLiteral("F32");
    case DType::Float64: return QStringLiteral("F64");
    case DType::Float16: return QStringLiteral("F16");
    case DType::BFloat16: return QStringLiteral("BF16");
    case DType::UInt8: return QStringLiteral("U8");
    case DType::Int8: return QStringLiteral("I8");
    case DType::Int16: return QStringLiteral("I16");
    case DType::Int32: return QStringLiteral("I32");
    case DType::Int64: return QStringLiteral("I64");
    case DType::Bool: return QStringLiteral("BOOL");
    case DType::Complex64: return QStringLiteral("C64");
    case DType::Float8_e4m3fn: return QStringLiteral("F8_E4M3");
    case DType::Float8_e5m2: return QStringLiteral("F8_E5M2");
    default: return {};
    }
}

// Bytes out in pieces, reversed per element when the storage is big-endian (a complex value's
// two halves each on their own).
Status streamSwapped(const char* data, qint64 length, int unit, bool swap, const Sink& sink)
{
    if (!swap || unit <= 1) {
        for (qint64 done = 0; done < length; done += kChunkBytes) {
            if (auto status = sink(data + done, std::min(kChunkBytes, length - done)); !status)
                return status;
        }
        return Ok{};
    }
    QByteArray buffer;
    for (qint64 done = 0; done < length; done += kChunkBytes) {
        const qint64 piece = std::min(kChunkBytes, length - done);
        buffer = QByteArray(data + done, int(piece));
        for (qint64 i = 0; i + unit <= piece; i += unit)
            std::reverse(buffer.begin() + i, buffer.begin() + i + unit);
        if (auto status = sink(buffer.constData(), piece); !status)
            return status;
    }
    return Ok{};
}

int swapUnit(DType dtype)
{
    const int size = dtypeItemSize(dtype);
    return dtypeTraits(dtype).kind == DTypeKind::Complex ? size / 2 : size;
}

// A tensor's logical values in row-major order, little-endian (safetensors holds no views).
Status streamTensor(const Checkpoint& checkpoint, const TensorInfo& tensor, const Sink& sink)
{
    auto bytes = checkpoint.storageBytes(tensor.storage);
    if (!bytes)
        return bytes.error();
    const StorageInfo& storage = checkpoint.storages[tensor.storage];
    const int item = dtypeItemSize(tensor.dtype);
    const char* base = bytes->data() + tensor.storageOffset * item;
    if (tensor.isContiguous())
        return streamSwapped(base, tensor.nbytes(), swapUnit(tensor.dtype), storage.bigEndian, sink);
    // A view: gather element by element through the strides, a buffer at a time.
    const QVector<qint64> strides = tensor.strides;
    const int dims = int(tensor.shape.size());
    QVector<qint64> index(dims, 0);
    QByteArray buffer;
    buffer.reserve(int(kChunkBytes));
    for (qint64 n = 0, total = tensor.numel(); n < total; ++n) {
        qint64 element = 0;
        for (int d = 0; d < dims; ++d)
            element += index[d] * strides[d];
        buffer.append(base + element * item, item);
        for (int d = dims - 1; d >= 0; --d) {
            if (++index[d] < tensor.shape[d])
                break;
            index[d] = 0;
        }
        if (buffer.size() >= kChunkBytes || n + 1 == total) {
            if (auto status = streamSwapped(buffer.constData(), buffer.size(), swapUnit(tensor.dtype), storage.bigEndian, sink); !status)
                return status;
            buffer.clear();
        }
    }
    return Ok{};
}

Status checkExportable(const Checkpoint& checkpoint, const TensorInfo& tensor, const QString& key, bool safetensors)
{
    if (tensor.layout != Layout::Strided || tensor.storage < 0 || tensor.storage >= checkpoint.storages.size())
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: only dense tensors with values are exported (%2)")
                                                     .arg(key, layoutName(tensor.layout)));
    if (tensor.conj || tensor.neg)
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: tensors with torch's conj/neg bits are not exported").arg(key));
    const QString code = safetensors ? safetensorsCode(tensor.dtype) : torchStorageClass(tensor.dtype);
    if (code.isEmpty())
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: %2 tensors cannot be exported to %3")
                                                     .arg(key, dtypeName(tensor.dtype), safetensors ? QStringLiteral("safetensors")
                                                                                                     : QStringLiteral("a weights-only torch.save file")));
    qint64 extent = 0;
    const QVector<qint64> strides = tensor.strides.size() == tensor.shape.size() ? tensor.strides : contiguousStrides(tensor.shape);
    if (tensor.numel() > 0
        && (!checkedExtent(tensor.shape, strides, tensor.storageOffset, &extent)
            || (extent + 1) * dtypeItemSize(tensor.dtype) > checkpoint.storages[tensor.storage].nbytes))
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: the tensor reaches past its storage").arg(key));
    return Ok{};
}

Status refuseInputs(const Checkpoint& checkpoint, const QString& output)
{
    const QFileInfo target(output);
    if (target.isDir())
        return makeError(ErrorCode::Io, QStringLiteral("%1 is a folder").arg(output));
    const QString targetPath = target.exists() ? target.canonicalFilePath() : target.absoluteFilePath();
    for (const SourceFile& source : checkpoint.files) {
        if (!source.map)
            continue;
        const QFileInfo input(source.map->path());
        if (input.exists() && input.canonicalFilePath() == targetPath)
            return makeError(ErrorCode::Io, QStringLiteral("refusing to write over the input %1").arg(source.map->path()));
    }
    return Ok{};
}

// Counts the tensor bytes written and asks the caller whether to go on.
class ProgressSink {
public:
    ProgressSink(const ExportRequest& request, qint64 total) : m_request(request), m_total(total) {}
    Sink wrap(const Sink& sink)
    {
        return [this, sink](const char* data, qint64 size) -> Status {
            if (auto status = sink(data, size); !status)
                return status;
            m_done += size;
            if (m_request.progress && !m_request.progress(m_done, m_total))
                return makeError(ErrorCode::Cancelled, QStringLiteral("export cancelled"));
            return Ok{};
        };
    }

private:
    const ExportRequest& m_request;
    qint64 m_total;
    qint64 m_done = 0;
};

Status writeTorchZip(const Checkpoint& checkpoint, const StateDictView& view, QSaveFile& file, ProgressSink& progress)
{
    // Storages keep their sharing (tied weights stay tied); each is written once, in first use.
    QHash<int, QString> storageKeys;
    QVector<int> storageOrder;
    QVector<PickledTensor> pickled;
    for (const StateDictEntry& entry : view.entries) {
        const TensorInfo& tensor = checkpoint.tensors[entry.tensor];
        if (!storageKeys.contains(tensor.storage)) {
            storageKeys.insert(tensor.storage, QString::number(storageOrder.size()));
            storageOrder.append(tensor.storage);
        }
        PickledTensor t;
        t.name = entry.key;
        t.storageKey = storageKeys.value(tensor.storage);
        t.dtype = tensor.dtype;
        t.storageNumel = checkpoint.storages[tensor.storage].nbytes / dtypeItemSize(tensor.dtype);
        t.storageOffset = tensor.storageOffset;
        t.shape = tensor.shape;
        t.strides = tensor.strides.size() == tensor.shape.size() ? tensor.strides : contiguousStrides(tensor.shape);
        pickled.append(t);
    }
    // A storage viewed as two dtypes cannot be written as one typed storage.
    QHash<int, DType> storageDtypes;
    for (const StateDictEntry& entry : view.entries) {
        const TensorInfo& tensor = checkpoint.tensors[entry.tensor];
        if (storageDtypes.contains(tensor.storage) && storageDtypes.value(tensor.storage) != tensor.dtype)
            return makeError(ErrorCode::Unsupported, QStringLiteral("%1: its storage is viewed with two dtypes").arg(entry.key));
        storageDtypes.insert(tensor.storage, tensor.dtype);
    }
    ZipWriter zip(&file);
    if (auto status = zip.addEntry(QStringLiteral("archive/data.pkl"), pickleStateDict(pickled)); !status)
        return status;
    for (int storage : storageOrder) {
        auto bytes = checkpoint.storageBytes(storage);
        if (!bytes)
            return bytes.error();
        const StorageInfo& info = checkpoint.storages[storage];
        const DType dtype = storageDtypes.value(storage);
        const QString name = QStringLiteral("archive/data/") + storageKeys.value(storage);
        auto produce = [&](const Sink& sink) {
            return streamSwapped(bytes->data(), bytes->size(), swapUnit(dtype), info.bigEndian, progress.wrap(sink));
        };
        if (auto status = zip.addEntry(name, bytes->size(), produce); !status)
            return status;
    }
    if (auto status = zip.addEntry(QStringLiteral("archive/version"), QByteArray("3\n")); !status)
        return status;
    if (auto status = zip.addEntry(QStringLiteral("archive/byteorder"), QByteArray("little")); !status)
        return status;
    return zip.finish();
}

Status writeSafetensors(const Checkpoint& checkpoint, const StateDictView& view, QSaveFile& file, ProgressSink& progress)
{
    // The header lists the tensors in the state dict's order, data packed in that order.
    QByteArray header = "{\"__metadata__\":{\"format\":\"pt\"}";
    qint64 offset = 0;
    for (const StateDictEntry& entry : view.entries) {
        const TensorInfo& tensor = checkpoint.tensors[entry.tensor];
        QJsonArray shape;
        for (qint64 size : tensor.shape)
            shape.append(size);
        const QJsonObject description{{QStringLiteral("dtype"), safetensorsCode(tensor.dtype)},
                                      {QStringLiteral("shape"), shape},
                                      {QStringLiteral("data_offsets"), QJsonArray{offset, offset + tensor.nbytes()}}};
        header += ',' + QJsonDocument(QJsonArray{entry.key}).toJson(QJsonDocument::Compact).mid(1).chopped(1) + ':'
                  + QJsonDocument(description).toJson(QJsonDocument::Compact);
        offset += tensor.nbytes();
    }
    header += '}';
    while ((8 + header.size()) % 8)
        header += ' ';
    char length[8];
    qToLittleEndian<quint64>(quint64(header.size()), length);
    if (file.write(length, 8) != 8 || file.write(header) != header.size())
        return makeError(ErrorCode::Io, QStringLiteral("cannot write: %1").arg(file.errorString()));
    const Sink sink = progress.wrap([&](const char* data, qint64 size) -> Status {
        if (file.write(data, size) != size)
            return makeError(ErrorCode::Io, QStringLiteral("cannot write: %1").arg(file.errorString()));
        return Ok{};
    });
    for (const StateDictEntry& entry : view.entries) {
        if (auto status = streamTensor(checkpoint, checkpoint.tensors[entry.tensor], sink); !status)
            return status;
    }
    return Ok{};
}

}  // namespace

Result<ExportSummary> exportStateDict(const Checkpoint& checkpoint, const ExportRequest& request)
{
    if (auto status = refuseInputs(checkpoint, request.output); !status)
        return status.error();
    auto selected = selectStateDict(checkpoint, request.key);
    if (!selected)
        return selected.error();
    StateDictView view =
        withFixes(withKeyEdits(withPrefixes(*selected, request.stripPrefixes, request.addPrefix), request.keyEdits), request.fixes);
    if (request.onlySelected) {
        QVector<StateDictEntry> kept;
        for (const StateDictEntry& entry : view.entries) {
            if (request.selected.contains(entry.key))
                kept.append(entry);
        }
        view.entries = kept;
    }
    QSet<QString> seen;
    for (const StateDictEntry& entry : view.entries) {
        if (seen.contains(entry.key))
            return makeError(ErrorCode::Unsupported, QStringLiteral("two tensors would both be named %1").arg(entry.key));
        seen.insert(entry.key);
        if (auto status = checkExportable(checkpoint, checkpoint.tensors[entry.tensor], entry.key,
                                          request.format == ExportFormat::Safetensors);
            !status)
            return status.error();
    }
    if (view.entries.isEmpty())
        return makeError(ErrorCode::Unsupported, QStringLiteral("nothing to export: no tensor is left"));
    QSaveFile file(request.output);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Io, QStringLiteral("%1: %2").arg(request.output, file.errorString()));
    // The bytes the writer streams: whole storages, each once, in a zip; each tensor in safetensors.
    qint64 total = 0;
    QSet<int> storages;
    for (const StateDictEntry& entry : view.entries) {
        const TensorInfo& tensor = checkpoint.tensors[entry.tensor];
        if (request.format == ExportFormat::Safetensors)
            total += tensor.nbytes();
        else if (!storages.contains(tensor.storage)) {
            storages.insert(tensor.storage);
            total += checkpoint.storages[tensor.storage].nbytes;
        }
    }
    ProgressSink progress(request, total);
    const Status written = request.format == ExportFormat::TorchZip ? writeTorchZip(checkpoint, view, file, progress)
                                                                    : writeSafetensors(checkpoint, view, file, progress);
    for (const SourceFile& source : checkpoint.files) {
        if (written && source.map && source.map->changedOnDisk()) {
            file.cancelWriting();  // some bytes read as zeros: the output would be wrong
            return makeError(ErrorCode::Io, QStringLiteral("%1: %2").arg(source.map->path(), source.map->changedError().message));
        }
    }
    if (!written) {
        file.cancelWriting();
        return makeError(written.error().code, QStringLiteral("%1: %2").arg(request.output, written.error().message));
    }
    const qint64 size = file.size();
    if (!file.commit())
        return makeError(ErrorCode::Io, QStringLiteral("%1: %2").arg(request.output, file.errorString()));
    ExportSummary summary;
    summary.output = request.output;
    summary.tensors = int(view.entries.size());
    summary.bytes = size;
    summary.view = view;
    return summary;
}

QString exportSnippet(const Checkpoint& checkpoint, const ExportRequest& request, const StateDictView& written)
{
    auto quoted = [](const QString& text) {
        return QString::fromUtf8(QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact).mid(1).chopped(1));
    };
    QString code = QStringLiteral("import torch\n");
    code += QStringLiteral("sd = torch.load(%1, map_location=\"cpu\", weights_only=True)").arg(quoted(checkpoint.path));
    for (const QString& part : written.path.split(u'.', Qt::SkipEmptyParts))
        code += QStringLiteral("[%1]").arg(quoted(part));
    code += u'\n';
    auto prefixChange = [&](const QStringList& strip, const QString& add) {
        for (const QString& prefix : strip)
            code += QStringLiteral("sd = {(k[%1:] if k.startswith(%2) else k): v for k, v in sd.items()}\n")
                        .arg(prefix.size()).arg(quoted(prefix));
        if (!add.isEmpty())
            code += QStringLiteral("sd = {%1 + k: v for k, v in sd.items()}\n").arg(quoted(add));
    };
    auto keyEdit = [&](const KeyEdit& edit) {
        if (edit.copy)
            code += QStringLiteral("sd[%1] = sd[%2]\n").arg(quoted(edit.to), quoted(edit.from));
        else
            code += QStringLiteral("sd[%1] = sd.pop(%2)\n").arg(quoted(edit.to), quoted(edit.from));
    };
    prefixChange(request.stripPrefixes, request.addPrefix);
    for (const KeyEdit& edit : request.keyEdits)
        keyEdit(edit);
    for (const FixSuggestion& fix : request.fixes) {
        prefixChange(fix.strip, fix.add);
        prefixChange(fix.assumedStrip, fix.assumedAdd);
        if (fix.kind == QLatin1String("rename") || fix.kind == QLatin1String("tied-weights"))
            keyEdit(KeyEdit{fix.from, fix.to, fix.kind == QLatin1String("tied-weights")});
    }
    if (request.onlySelected) {
        QStringList keys;
        for (const StateDictEntry& entry : written.entries)
            keys.append(quoted(entry.key));
        code += QStringLiteral("keep = {%1}\nsd = {k: v for k, v in sd.items() if k in keep}\n").arg(keys.join(QStringLiteral(", ")));
    }
    if (request.format == ExportFormat::Safetensors)
        code += QStringLiteral("import safetensors.torch\nsafetensors.torch.save_file({k: v.contiguous() for k, v in sd.items()}, %1)\n")
                    .arg(quoted(request.output));
    else
        code += QStringLiteral("torch.save(sd, %1)\n").arg(quoted(request.output));
    return code;
}

}  // namespace statelens
