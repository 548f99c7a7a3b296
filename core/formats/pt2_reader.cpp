// torch.export .pt2 archives (torch/export/pt2_archive, "new layout", archive_version 0).
//
// Records, all under the archive folder:
//   archive_format                          "pt2" (checked by the caller)
//   archive_version                         "0"
//   models/<model>.json                     the serialized ExportedProgram (graph, signature)
//   data/weights/<model>_weights_config.json     {"config": {fqn: PayloadMeta}}
//   data/constants/<model>_constants_config.json the same for tensor constants / custom objects
//   data/weights/<path_name>, data/constants/<path_name>   payloads
//   data/weights/<model>.pt, data/constants/<model>.pt     older archives: a torch.save'd dict
//   data/sample_inputs/<model>.pt           a nested torch.save (not weights; ignored)
// PayloadMeta = {path_name, is_param, use_pickle, tensor_meta}. A raw payload holds the bytes of
// one untyped storage; several entries may share it (views, tied weights), each with its own
// sizes/strides/storage_offset. A use_pickle payload is a torch.save'd tensor subclass.
#include "core/formats/pt2_reader.h"

#include "core/formats/zip_archive.h"

#include "core/base/checked_math.h"
#include "core/formats/checkpoint_reader.h"

#include <nlohmann/json.hpp>

#include <QHash>
#include <QSet>

#include <exception>
#include <limits>
#include <new>
#include <string>
#include <unordered_set>
#include <vector>

namespace statelens {

namespace {

using Json = nlohmann::json;

constexpr qint64 kMaxConfigBytes = 64ll << 20;  // JSON records: a config this large is not real
constexpr qint64 kMaxSmallRecord = 4096;         // archive_version, byteorder

// Messages interpolate names taken from the file: one multi-argument arg() call keeps a name
// such as "%2" from being taken for a placeholder.
QString num(qint64 value) { return QString::number(value); }

// ---- JSON access that never throws and never asserts on a missing key ----------------------

const Json* field(const Json* object, const char* key)
{
    if (!object || !object->is_object())
        return nullptr;
    const auto it = object->find(key);
    return it == object->end() ? nullptr : &*it;
}

bool toInt(const Json* value, qint64* out)
{
    if (!value || !value->is_number_integer())
        return false;
    if (value->is_number_unsigned()) {
        const auto unsignedValue = value->get<quint64>();
        if (unsignedValue > quint64(std::numeric_limits<qint64>::max()))
            return false;
        *out = qint64(unsignedValue);
        return true;
    }
    *out = value->get<qint64>();
    return true;
}

bool toBool(const Json* value, bool fallback)
{
    return value && value->is_boolean() ? value->get<bool>() : fallback;
}

bool toText(const Json* value, QString* out)
{
    if (!value || !value->is_string())
        return false;
    *out = QString::fromStdString(value->get_ref<const std::string&>());
    return true;
}

// SymInt {"as_int": n}; a symbolic {"as_expr": ...} never describes a saved weight.
bool symInt(const Json* value, qint64* out)
{
    return toInt(field(value, "as_int"), out);
}

bool symIntList(const Json* list, QVector<qint64>* out)
{
    if (!list || !list->is_array())
        return false;
    out->clear();
    out->reserve(qsizetype(list->size()));
    for (const Json& item : *list) {
        qint64 value = 0;
        if (!symInt(&item, &value))
            return false;
        out->append(value);
    }
    return true;
}

// torch/_export/serde/schema.py, class Layout.
Layout layoutFromExport(qint64 value)
{
    switch (value) {
    case 1: return Layout::SparseCoo;
    case 2: return Layout::SparseCsr;
    case 3: return Layout::SparseCsc;
    case 4: return Layout::SparseBsr;
    case 5: return Layout::SparseBsc;
    case 7: return Layout::Strided;
    default: return Layout::Unknown;  // 0 Unknown, 6 _mkldnn
    }
}

QString deviceText(const Json* device)
{
    QString type;
    if (!toText(field(device, "type"), &type) || type.isEmpty())
        return QStringLiteral("cpu");
    qint64 index = 0;
    return toInt(field(device, "index"), &index) ? type + u':' + QString::number(index) : type;
}

// A payload config: the JSON document plus the order of its "config" keys. nlohmann's json sorts
// keys and ordered_json inserts in quadratic time, so the order is recorded while parsing.
struct PayloadConfig {
    Json document;
    std::vector<std::string> order;
};

Result<PayloadConfig> parsePayloadConfig(const QByteArray& bytes, const QString& record)
{
    PayloadConfig config;
    bool inConfig = false;
    std::unordered_set<std::string> seen;
    // Depth 1: keys of the top object; depth 2: keys of the object under "config".
    auto recordOrder = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::key && parsed.is_string()) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (depth == 1)
                inConfig = key == "config";
            else if (depth == 2 && inConfig && seen.insert(key).second)
                config.order.push_back(key);  // a repeated key keeps its first place (Python's json)
        }
        return true;
    };
    try {
        config.document = Json::parse(bytes.constData(), bytes.constData() + bytes.size(), recordOrder, false);
    } catch (const std::bad_alloc&) {
        return makeError(ErrorCode::LimitExceeded, QStringLiteral("%1 is too large to parse").arg(record));
    } catch (const std::exception& e) {
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1 is not valid JSON (%2)").arg(record, QString::fromUtf8(e.what())));
    }
    if (config.document.is_discarded())
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1 is not valid JSON").arg(record));
    if (!field(&config.document, "config") || !field(&config.document, "config")->is_object())
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1 has no \"config\" object").arg(record));
    return config;
}

// Turns off the nested-archive path while one is being read: a .pt2 inside a .pt2 inside ...
// would otherwise recurse once per level, and each level needs only a few hundred bytes.
thread_local bool t_readingNested = false;

class ExportLoader {
public:
    ExportLoader(Checkpoint& checkpoint, int fileIndex, const ZipArchive& zip, const QString& prefix)
        : m_checkpoint(checkpoint), m_fileIndex(fileIndex), m_zip(zip), m_prefix(prefix)
    {
        if (!m_prefix.isEmpty() && !m_prefix.endsWith(u'/'))
            m_prefix += u'/';
    }

    Result<Value*> load()
    {
        readArchiveFacts();
        const QStringList models = modelNames();
        m_multipleModels = models.size() > 1;
        Value* root = makeDict();
        for (const QString& model : models) {
            // One model (what torch.export.save writes) lists its tensors at the top; several
            // models get one dict each, so names read "<model>.<fqn>".
            Value* dict = m_multipleModels ? makeDict() : root;
            if (dict != root)
                root->extras().entries.emplace_back(makeString(model), dict);
            if (auto status = readModel(model, dict); !status)
                return status.error();
        }
        if (models.isEmpty())
            m_checkpoint.warnings.append(noModelWarning());
        reportNotes();
        m_checkpoint.metadata.append({QStringLiteral("models"), models.join(QStringLiteral(", "))});
        m_checkpoint.formatDetail = QStringLiteral("torch.export archive (.pt2), archive version %1, %2 model(s), %3 weights, %4 constants")
                                        .arg(m_archiveVersion.isEmpty() ? QStringLiteral("?") : m_archiveVersion.left(20), num(models.size()),
                                             num(m_weightCount), num(m_constantCount));
        return root;
    }

private:
    QString readSmallRecord(const QString& record) const
    {
        const int entry = m_zip.find(m_prefix + record);
        if (entry < 0)
            return {};
        auto bytes = m_zip.read(entry, kMaxSmallRecord);
        return bytes ? QString::fromUtf8(*bytes).trimmed() : QString();
    }

    void readArchiveFacts()
    {
        m_archiveVersion = readSmallRecord(QStringLiteral("archive_version"));
        const QString byteorder = readSmallRecord(QStringLiteral("byteorder"));
        // Raw payloads are the saving host's bytes; archives without the record came from
        // little-endian hosts in practice (torch assumes so too).
        m_bigEndian = byteorder == QLatin1String("big");
        const QString version = readSmallRecord(QStringLiteral(".data/version"));
        m_checkpoint.metadata.append({QStringLiteral("archive folder"), m_prefix.chopped(m_prefix.isEmpty() ? 0 : 1)});
        m_checkpoint.metadata.append({QStringLiteral("archive_version"), m_archiveVersion.isEmpty() ? QStringLiteral("0 (no record)") : m_archiveVersion});
        if (!version.isEmpty())
            m_checkpoint.metadata.append({QStringLiteral("version"), version});
        m_checkpoint.metadata.append({QStringLiteral("byteorder"), byteorder.isEmpty() ? QStringLiteral("little (no record)") : byteorder});
        if (!m_archiveVersion.isEmpty() && m_archiveVersion != QLatin1String("0"))
            m_checkpoint.warnings.append(QStringLiteral("archive_version %1 is newer than the version 0 this reader knows; names may be incomplete").arg(m_archiveVersion.left(20)));
    }

    // models/<name>.json, in archive order (torch's loader takes every record under models/).
    QStringList modelNames() const
    {
        const QString folder = m_prefix + QStringLiteral("models/");
        QStringList names;
        for (const ZipEntry& entry : m_zip.entries()) {
            if (entry.name.startsWith(folder) && entry.name.endsWith(QLatin1String(".json")) && entry.name.size() > folder.size() + 5)
                names.append(entry.name.mid(folder.size(), entry.name.size() - folder.size() - 5));
        }
        return names;
    }

    QString noModelWarning() const
    {
        for (const ZipEntry& entry : m_zip.entries()) {
            if (entry.name.startsWith(m_prefix + QStringLiteral("data/aotinductor/")))
                return QStringLiteral("an AOTInductor package without an exported program: its compiled weights are not listed");
        }
        return QStringLiteral("the archive holds no exported program (no models/*.json record)");
    }

    Status readModel(const QString& model, Value* dict)
    {
        readModelJson(model);
        if (auto status = readPayloads(model, QStringLiteral("weights"), dict, &m_weightCount); !status)
            return status;
        return readPayloads(model, QStringLiteral("constants"), dict, &m_constantCount);
    }

    // kind "weights" or "constants": data/<kind>/<model>_<kind>_config.json and its payloads, or
    // in older archives data/<kind>/<model>.pt, one torch.save'd dict (torch still prefers it).
    Status readPayloads(const QString& model, const QString& kind, Value* dict, int* count)
    {
        const QString folder = QStringLiteral("data/") + kind + u'/';
        const QString legacy = folder + model + QStringLiteral(".pt");
        if (m_zip.find(m_prefix + legacy) >= 0)
            return readLegacyPayloads(legacy, dict, count);
        return readPayloadConfig(folder, folder + model + u'_' + kind + QStringLiteral("_config.json"), dict, count);
    }

    // torch_version and schema_version only: the graph is skipped while parsing (it can be most of
    // the record), and a damaged or oversized model.json costs the metadata, not the weights.
    void readModelJson(const QString& model)
    {
        const QString record = QStringLiteral("models/%1.json").arg(model);
        const int entry = m_zip.find(m_prefix + record);
        auto bytes = m_zip.read(entry, kMaxConfigBytes);
        if (!bytes) {
            m_checkpoint.warnings.append(QStringLiteral("%1 was not read: %2").arg(record, bytes.error().message));
            return;
        }
        auto skipGraph = [](int depth, Json::parse_event_t event, Json& parsed) {
            if (event != Json::parse_event_t::key || depth != 2 || !parsed.is_string())
                return true;
            const std::string& key = parsed.get_ref<const std::string&>();
            return key != "graph" && key != "module_call_graph";
        };
        Json document;
        try {
            document = Json::parse(bytes->constData(), bytes->constData() + bytes->size(), skipGraph, false);
        } catch (const std::exception&) {
            document = Json(Json::value_t::discarded);
        }
        if (document.is_discarded() || !document.is_object()) {
            m_checkpoint.warnings.append(QStringLiteral("%1 is not valid JSON; its torch version is unknown").arg(record));
            return;
        }
        const QString label = m_multipleModels ? QStringLiteral(" (%1)").arg(model) : QString();
        QString torchVersion;
        if (toText(field(&document, "torch_version"), &torchVersion))
            m_checkpoint.metadata.append({QStringLiteral("torch version") + label, torchVersion});
        qint64 major = 0, minor = 0;
        const Json* schema = field(&document, "schema_version");
        if (toInt(field(schema, "major"), &major) && toInt(field(schema, "minor"), &minor))
            m_checkpoint.metadata.append({QStringLiteral("schema version") + label, QStringLiteral("%1.%2").arg(major).arg(minor)});
    }

    Status readPayloadConfig(const QString& folder, const QString& record, Value* dict, int* count)
    {
        const int entry = m_zip.find(m_prefix + record);
        if (entry < 0) {
            // torch refuses to load such an archive; the other model's tensors are still worth listing.
            m_checkpoint.warnings.append(QStringLiteral("%1 is missing: that model's tensors are not listed").arg(record));
            return Ok{};
        }
        if (m_zip.entries()[size_t(entry)].uncompressedSize > quint64(kMaxConfigBytes))
            return makeError(ErrorCode::LimitExceeded, QStringLiteral("%1 holds %2 bytes, beyond the %3-byte limit for a payload config")
                                                            .arg(record, num(qint64(m_zip.entries()[size_t(entry)].uncompressedSize)), num(kMaxConfigBytes)));
        auto bytes = m_zip.read(entry, kMaxConfigBytes);
        if (!bytes)
            return bytes.error();
        auto config = parsePayloadConfig(*bytes, record);
        if (!config)
            return config.error();
        const Json* entries = field(&config->document, "config");
        for (const std::string& name : config->order) {
            const Json* meta = field(entries, name.c_str());
            const QString fqn = QString::fromStdString(name);
            if (auto status = addPayload(folder, record, fqn, meta, dict, count); !status)
                return status;
        }
        return Ok{};
    }

    Status addPayload(const QString& folder, const QString& config, const QString& fqn, const Json* meta, Value* dict, int* count)
    {
        QString pathName;
        if (!meta || !meta->is_object() || !toText(field(meta, "path_name"), &pathName) || pathName.isEmpty())
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: entry '%2' has no path_name").arg(config, fqn));
        const bool usePickle = toBool(field(meta, "use_pickle"), false);
        const Json* tensorMeta = field(meta, "tensor_meta");
        if (!tensorMeta || tensorMeta->is_null()) {
            if (!usePickle)
                return makeError(ErrorCode::Corrupt, QStringLiteral("%1: entry '%2' has no tensor_meta").arg(config, fqn));
            // A ScriptObject or opaque Python object: only torch can rebuild it.
            note(QStringLiteral("is a custom object, not a tensor, and is not listed"), fqn);
            return Ok{};
        }
        TensorInfo tensor;
        if (auto status = parseTensorMeta(tensorMeta, config, fqn, &tensor); !status)
            return status;
        tensor.isParameter = toBool(field(meta, "is_param"), false);
        const QString record = folder + pathName;

        Value* value = nullptr;
        if (usePickle)
            value = readPickledPayload(record, fqn, tensor.isParameter);
        if (!value) {
            if (!usePickle) {
                if (auto status = attachRawPayload(record, config, fqn, &tensor); !status)
                    return status;
            }
            value = addTensor(std::move(tensor));
        }
        dict->extras().entries.emplace_back(makeString(fqn), value);
        ++*count;
        return Ok{};
    }

    Status parseTensorMeta(const Json* meta, const QString& config, const QString& fqn, TensorInfo* tensor)
    {
        qint64 dtype = 0;
        if (!toInt(field(meta, "dtype"), &dtype))
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensor '%2' has no dtype").arg(config, fqn));
        tensor->dtype = dtype >= 0 && dtype <= std::numeric_limits<int>::max() ? dtypeFromExportScalarType(int(dtype)) : DType::Unknown;
        if (tensor->dtype == DType::Unknown)
            note(QStringLiteral("has export dtype %1, which this reader does not know; values are not read").arg(dtype), fqn);
        if (!symIntList(field(meta, "sizes"), &tensor->shape) || !symIntList(field(meta, "strides"), &tensor->strides)
            || tensor->shape.size() != tensor->strides.size())
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensor '%2' has malformed or symbolic sizes/strides").arg(config, fqn));
        const Json* offset = field(meta, "storage_offset");
        if (offset && !symInt(offset, &tensor->storageOffset))
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensor '%2' has a malformed storage_offset").arg(config, fqn));
        for (qsizetype i = 0; i < tensor->shape.size(); ++i) {
            // torch never saves negative strides; refusing them keeps every index non-negative.
            if (tensor->shape[i] < 0 || tensor->strides[i] < 0)
                return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensor '%2' has a negative size or stride").arg(config, fqn));
        }
        qint64 numel = 0;
        if (tensor->storageOffset < 0 || !checkedNumel(tensor->shape, &numel))
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensor '%2' has a bad storage offset or an element count that overflows").arg(config, fqn));
        qint64 layout = 7;
        toInt(field(meta, "layout"), &layout);
        tensor->layout = layoutFromExport(layout);
        tensor->device = deviceText(field(meta, "device"));
        tensor->requiresGrad = toBool(field(meta, "requires_grad"), false);
        return Ok{};
    }

    // Points the tensor at its payload record, or leaves it without storage (and says why) when
    // the bytes cannot be mapped.
    Status attachRawPayload(const QString& record, const QString& config, const QString& fqn, TensorInfo* tensor)
    {
        const int entry = m_zip.find(m_prefix + record);
        if (entry < 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: record '%2' of tensor '%3' is missing from the archive").arg(config, record, fqn));
        const ZipEntry& info = m_zip.entries()[size_t(entry)];
        if (info.uncompressedSize > quint64(std::numeric_limits<qint64>::max()))
            return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' claims an impossible size").arg(record));
        const qint64 nbytes = qint64(info.uncompressedSize);
        if (tensor->dtype == DType::Unknown || tensor->layout != Layout::Strided) {
            if (tensor->layout != Layout::Strided)
                note(QStringLiteral("has layout %1 over raw bytes; values are not read").arg(layoutName(tensor->layout)), fqn);
            return Ok{};
        }
        if (nbytes == 0 && tensor->numel() > 0) {
            // Written for fake tensors (export without real weights); torch loads zeros.
            note(QStringLiteral("was saved without data (an empty record); torch would load zeros"), fqn);
            return Ok{};
        }
        if (info.method != 0) {
            // Tensor bytes are mapped from the file, never copied, and a deflated record has no
            // mappable bytes. torch's writer never compresses, so this is an archive re-zipped by
            // another tool: the names, shapes and dtypes are still right, so list them and say so
            // rather than refuse the whole file.
            note(QStringLiteral("is in a compressed record (a re-zipped archive?); values cannot be mapped and are not read"), fqn);
            return Ok{};
        }
        const qint64 itemSize = dtypeItemSize(tensor->dtype);
        if (nbytes % itemSize != 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' holds %2 bytes, not a whole number of %3 elements").arg(record, num(nbytes), dtypeName(tensor->dtype)));
        if (tensor->numel() > 0) {
            qint64 extent = 0;
            if (!checkedExtent(tensor->shape, tensor->strides, tensor->storageOffset, &extent) || extent >= nbytes / itemSize)
                return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensor '%2' reaches element %3 of record '%4', which holds %5")
                                                         .arg(config, fqn, num(extent), record, num(nbytes / itemSize)));
        }
        tensor->storage = storageFor(record, entry, nbytes, tensor->dtype, tensor->device);
        return Ok{};
    }

    // One StorageInfo per record, however many entries view it. Its dtype is the first viewer's;
    // each tensor keeps its own (a storage may be viewed as two dtypes).
    int storageFor(const QString& record, int entry, qint64 nbytes, DType dtype, const QString& location)
    {
        const int known = m_storageByRecord.value(record, -1);
        if (known >= 0)
            return known;
        StorageInfo info;
        info.key = record.section(u'/', -1);
        info.record = record;
        info.dtype = dtype;
        info.nbytes = nbytes;
        info.location = location;
        info.file = m_fileIndex;
        info.zipEntry = entry;  // the data offset is resolved on first access (local header)
        info.bigEndian = m_bigEndian;
        const int index = m_checkpoint.storages.size();
        m_checkpoint.storages.append(std::move(info));
        m_storageByRecord.insert(record, index);
        return index;
    }

    // A use_pickle payload is a complete torch.save archive stored as one record. When it is
    // stored (not deflated) it is read in place as a nested file; otherwise, or if it fails, the
    // caller lists the tensor from its tensor_meta without values.
    Value* readPickledPayload(const QString& record, const QString& fqn, bool isParameter)
    {
        auto nested = readNested(record);
        if (!nested) {
            m_checkpoint.warnings.append(QStringLiteral("tensor '%1' is pickled in record '%2', which could not be read (%3); it is listed without values")
                                             .arg(fqn, record, nested.error().message));
            return nullptr;
        }
        Value* value = *nested;
        if (value->kind == ValueKind::Tensor && value->index >= 0 && size_t(value->index) < m_checkpoint.rebuilt.size())
            m_checkpoint.rebuilt[size_t(value->index)].isParameter |= isParameter;
        return value;
    }

    // data/weights/<model>.pt of older archives: a torch.save'd dict of fqn -> tensor.
    Status readLegacyPayloads(const QString& record, Value* dict, int* count)
    {
        auto nested = readNested(record);
        if (!nested) {
            Error error = nested.error();
            error.message = QStringLiteral("record '%1': %2").arg(record, error.message);
            return error;
        }
        if ((*nested)->kind != ValueKind::Dict)
            return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' holds %2, not a dict of tensors").arg(record, (*nested)->summary(60)));
        for (const auto& item : (*nested)->entries()) {
            dict->extras().entries.push_back(item);
            ++*count;
        }
        return Ok{};
    }

    // Reads a stored record holding a torch.save archive as a file of its own, mapped in place.
    Result<Value*> readNested(const QString& record)
    {
        const int entry = m_zip.find(m_prefix + record);
        if (entry < 0)
            return makeError(ErrorCode::Corrupt, QStringLiteral("record '%1' is missing").arg(record));
        const ZipEntry& info = m_zip.entries()[size_t(entry)];
        if (info.method != 0)
            return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' is compressed").arg(record));
        if (t_readingNested)
            return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' is nested inside another nested archive").arg(record));
        auto offset = m_zip.dataOffset(entry);
        if (!offset)
            return offset.error();
        const std::shared_ptr<MappedFile> outer = m_checkpoint.files[size_t(m_fileIndex)].map;
        if (!outer->contains(*offset, qint64(info.uncompressedSize)))
            return makeError(ErrorCode::Truncated, QStringLiteral("record '%1' runs past the end of the file").arg(record));
        auto inner = MappedFile::fromMemory(outer->path() + u'/' + record, outer->data() + *offset, qint64(info.uncompressedSize));
        // The nested map borrows the outer map's bytes: its owner keeps the outer map alive.
        std::shared_ptr<MappedFile> nestedMap(inner.get(), [inner, outer](MappedFile*) {});

        // The nested reader records its own format facts; they describe a record, not this file.
        const qsizetype metadataSize = m_checkpoint.metadata.size();
        const QString formatDetail = m_checkpoint.formatDetail;
        m_checkpoint.files.push_back(SourceFile{nestedMap, nullptr});
        Format format = Format::TorchZip;
        auto root = readNestedFile(int(m_checkpoint.files.size() - 1), &format);
        m_checkpoint.metadata.resize(metadataSize);
        m_checkpoint.formatDetail = formatDetail;
        if (root && format != Format::TorchZip)
            return makeError(ErrorCode::Unsupported, QStringLiteral("record '%1' is a %2 file, not a torch.save archive").arg(record, formatName(format)));
        return root;
    }

    Result<Value*> readNestedFile(int fileIndex, Format* format)
    {
        struct NestingGuard {
            NestingGuard() { t_readingNested = true; }
            ~NestingGuard() { t_readingNested = false; }
        } guard;
        return readFileInto(m_checkpoint, fileIndex, format);
    }

    // Problems that leave one tensor without values are common to many tensors of one archive
    // (an export without weights, a re-zipped file): one warning per kind, with a count.
    void note(const QString& problem, const QString& fqn)
    {
        QStringList& names = m_notes[problem];
        if (names.isEmpty())
            m_noteOrder.append(problem);
        names.append(fqn);
    }

    void reportNotes()
    {
        for (const QString& problem : m_noteOrder) {
            const QStringList& names = m_notes[problem];
            m_checkpoint.warnings.append(names.size() == 1 ? QStringLiteral("'%1' %2").arg(names.front(), problem)
                                                           : QStringLiteral("%1 entries ('%2', ...) %3").arg(num(names.size()), names.front(), problem));
        }
    }

    Value* addTensor(TensorInfo tensor)
    {
        Value* value = m_checkpoint.arena.make(ValueKind::Tensor);
        value->index = int(m_checkpoint.rebuilt.size());
        value->dtype = tensor.dtype;
        m_checkpoint.rebuilt.push_back(std::move(tensor));
        return value;
    }

    Value* makeDict() { return m_checkpoint.arena.make(ValueKind::Dict); }
    Value* makeString(const QString& text)
    {
        Value* value = m_checkpoint.arena.make(ValueKind::String);
        value->text = text;
        return value;
    }

    Checkpoint& m_checkpoint;
    int m_fileIndex;
    const ZipArchive& m_zip;
    QString m_prefix;  // "<archive folder>/"
    QString m_archiveVersion;
    bool m_bigEndian = false;
    bool m_multipleModels = false;
    QHash<QString, int> m_storageByRecord;  // "data/weights/weight_0" -> index in Checkpoint::storages
    int m_weightCount = 0;
    int m_constantCount = 0;
    QHash<QString, QStringList> m_notes;  // problem -> entries it affects
    QStringList m_noteOrder;              // problems in first-seen order
};

}  // namespace

Result<Value*> readTorchExport(Checkpoint& checkpoint, int fileIndex, const std::shared_ptr<ZipArchive>& zip, const QString& prefix)
{
    if (!zip)
        return makeError(ErrorCode::Corrupt, QStringLiteral("the .pt2 archive is not open"));
    SourceFile& source = checkpoint.files[size_t(fileIndex)];
    if (!source.records)
        source.records = zip;  // Checkpoint::storageBytes finds record data through it
    ExportLoader loader(checkpoint, fileIndex, *zip, prefix);
    return loader.load();
}

}  // namespace statelens
