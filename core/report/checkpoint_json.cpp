#include "core/report/checkpoint_json.h"

#include "core/report/json_writer.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <utility>

namespace statelens {

namespace {

void writeQuantization(JsonWriter& json, const QuantizationInfo& quantization)
{
    json.beginObject();
    json.key("scheme");
    json.value(qschemeName(quantization.scheme));
    if (quantization.scheme == QScheme::PerTensorAffine || quantization.scheme == QScheme::PerTensorSymmetric) {
        json.key("scale");
        json.value(quantization.scale);
        json.key("zero_point");
        json.value(quantization.zeroPoint);
    } else {
        json.key("axis");
        json.value(quantization.axis);
    }
    json.endObject();
}

// The order of an array's bytes in the file: "little", "big", or "not applicable" (one-byte types,
// objects). NumPy hands big-endian data back swapped to the machine's order (numpy_dtype).
QString numpyByteOrder(const TensorInfo& array, const Checkpoint& checkpoint)
{
    if (array.numpyDtype.startsWith(u'|'))
        return QStringLiteral("not applicable");
    const bool big = array.storage >= 0 && array.storage < checkpoint.storages.size() && checkpoint.storages[array.storage].bigEndian;
    return big ? QStringLiteral("big") : QStringLiteral("little");
}

void writeTensor(JsonWriter& json, const TensorInfo& tensor, const Checkpoint& checkpoint)
{
    json.beginObject();
    json.key("name");
    json.value(tensor.name);
    json.key("dtype");
    json.value(dtypeName(tensor.dtype));
    json.key("shape");
    json.value(tensor.shape);
    json.key("numel");
    json.value(tensor.numel());
    json.key("nbytes");
    json.value(tensor.nbytes());
    json.key("layout");
    json.value(layoutName(tensor.layout));
    json.key("device");
    json.value(tensor.device);
    json.key("kind");
    json.value(tensorKindName(tensor.kind));
    json.key("origin");
    json.value(tensorOriginName(tensor.origin));
    if (tensor.kind == TensorKind::Array) {
        json.key("numpy_dtype");
        json.value(tensor.numpyDtype);
        json.key("byte_order");
        json.value(numpyByteOrder(tensor, checkpoint));
    }
    json.key("storage");
    if (tensor.storage >= 0) {
        const StorageInfo& storage = checkpoint.storages[tensor.storage];
        json.beginObject();
        json.key("key");
        json.value(storage.key);
        json.key("offset");
        json.value(tensor.storageOffset);
        json.key("strides");
        json.value(tensor.strides);
        json.key("nbytes");
        json.value(storage.nbytes);
        if (storage.bigEndian) {
            json.key("byteorder");
            json.value(QStringLiteral("big"));
        }
        if (storage.isInline) {
            json.key("in_pickle");
            json.value(true);
        }
        json.endObject();
    } else {
        json.null();
    }
    if (tensor.viewOf >= 0) {
        json.key("view_of");
        json.value(checkpoint.tensors[tensor.viewOf].name);
    }
    if (tensor.requiresGrad) {
        json.key("requires_grad");
        json.value(true);
    }
    if (tensor.isParameter) {
        json.key("parameter");
        json.value(true);
    }
    if (!tensor.subclass.isEmpty()) {
        json.key("subclass");
        json.value(tensor.subclass);
    }
    if (tensor.quantization.scheme != QScheme::None) {
        json.key("quantization");
        writeQuantization(json, tensor.quantization);
    }
    json.endObject();
}

// How many entries of the listing are of each kind and each origin.
struct ListingCounts {
    qint64 tensors = 0, arrays = 0, state = 0, attribute = 0;
    QJsonObject kindsJson() const { return {{QStringLiteral("tensor"), tensors}, {QStringLiteral("array"), arrays}}; }
    QJsonObject originsJson() const { return {{QStringLiteral("state"), state}, {QStringLiteral("attribute"), attribute}}; }
};

ListingCounts listingCounts(const Checkpoint& checkpoint)
{
    ListingCounts counts;
    for (const TensorInfo& tensor : checkpoint.tensors) {
        ++(tensor.kind == TensorKind::Array ? counts.arrays : counts.tensors);
        ++(tensor.origin == TensorOrigin::Attribute ? counts.attribute : counts.state);
    }
    return counts;
}

}  // namespace

QByteArray listingJsonText(const Checkpoint& checkpoint, const QString& displayPath)
{
    JsonWriter json;
    json.beginObject();
    json.key("file");
    json.value(displayPath);
    json.key("format");
    json.value(formatName(checkpoint.format));
    json.key("tensors");
    json.beginArray();
    for (const TensorInfo& tensor : checkpoint.tensors)
        writeTensor(json, tensor, checkpoint);
    json.endArray();
    json.key("tensor_count");
    json.value(qint64(checkpoint.tensors.size()));
    const ListingCounts counts = listingCounts(checkpoint);
    for (const auto& [key, object] : {std::pair{"kind_counts", counts.kindsJson()}, std::pair{"origin_counts", counts.originsJson()}}) {
        json.key(key);
        json.beginObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            json.key(it.key().toUtf8().constData());
            json.value(it.value().toInteger());
        }
        json.endObject();
    }
    json.key("total_numel");
    json.value(checkpoint.totalNumel());
    json.key("total_nbytes");
    json.value(checkpoint.totalNbytes());
    json.key("unsafe_globals");
    json.value(checkpoint.unsafeGlobals);
    json.endObject();
    return json.text();
}

QVector<QPair<QString, qint64>> bytesPerDtype(const Checkpoint& checkpoint)
{
    QHash<QString, qint64> totals;
    for (const TensorInfo& tensor : checkpoint.tensors)
        totals[dtypeName(tensor.dtype)] += tensor.nbytes();
    QVector<QPair<QString, qint64>> sorted;
    for (auto it = totals.cbegin(); it != totals.cend(); ++it)
        sorted.append({it.key(), it.value()});
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return sorted;
}

QJsonObject summaryJson(const Checkpoint& checkpoint, const QString& displayPath)
{
    const ListingCounts counts = listingCounts(checkpoint);
    QJsonObject dtypes;
    for (const auto& [dtype, bytes] : bytesPerDtype(checkpoint))
        dtypes.insert(dtype, bytes);
    QJsonArray candidates;
    for (const CandidateStateDict& candidate : checkpoint.candidates) {
        candidates.append(QJsonObject{
            {QStringLiteral("path"), candidate.path},
            {QStringLiteral("kind"), candidate.kind},
            {QStringLiteral("tensors"), candidate.tensorCount},
            {QStringLiteral("nbytes"), candidate.nbytes},
            {QStringLiteral("share"), candidate.share},
        });
    }
    QJsonObject metadata;
    for (const auto& [key, value] : checkpoint.metadata)
        metadata.insert(key, value);
    qint64 fileBytes = 0;
    for (const SourceFile& file : checkpoint.files)
        fileBytes += file.map->size();
    return QJsonObject{
        {QStringLiteral("file"), displayPath},
        {QStringLiteral("format"), formatName(checkpoint.format)},
        {QStringLiteral("format_detail"), checkpoint.formatDetail},
        {QStringLiteral("files"), int(checkpoint.files.size())},
        {QStringLiteral("file_bytes"), fileBytes},
        {QStringLiteral("tensor_count"), checkpoint.tensors.size()},
        {QStringLiteral("kind_counts"), counts.kindsJson()},
        {QStringLiteral("origin_counts"), counts.originsJson()},
        {QStringLiteral("total_numel"), checkpoint.totalNumel()},
        {QStringLiteral("total_nbytes"), checkpoint.totalNbytes()},
        {QStringLiteral("storage_count"), checkpoint.storages.size()},
        {QStringLiteral("storage_nbytes"), checkpoint.distinctStorageBytes()},
        {QStringLiteral("bytes_per_dtype"), dtypes},
        {QStringLiteral("candidates"), candidates},
        {QStringLiteral("metadata"), metadata},
        {QStringLiteral("globals"), QJsonArray::fromStringList(checkpoint.globals)},
        {QStringLiteral("unsafe_globals"), QJsonArray::fromStringList(checkpoint.unsafeGlobals)},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(checkpoint.warnings)},
    };
}

}  // namespace statelens
