#include "json_output.h"

#include <QJsonArray>

#include <algorithm>

namespace statelens {

namespace {

QJsonArray intArray(const QVector<qint64>& values)
{
    QJsonArray array;
    for (qint64 value : values)
        array.append(value);
    return array;
}

QJsonObject quantizationJson(const QuantizationInfo& quantization)
{
    QJsonObject object{{QStringLiteral("scheme"), qschemeName(quantization.scheme)}};
    if (quantization.scheme == QScheme::PerTensorAffine || quantization.scheme == QScheme::PerTensorSymmetric) {
        object.insert(QStringLiteral("scale"), quantization.scale);
        object.insert(QStringLiteral("zero_point"), quantization.zeroPoint);
    } else {
        object.insert(QStringLiteral("axis"), quantization.axis);
    }
    return object;
}

}  // namespace

QJsonObject tensorJson(const TensorInfo& tensor, const Checkpoint& checkpoint)
{
    QJsonObject object{
        {QStringLiteral("name"), tensor.name},
        {QStringLiteral("dtype"), dtypeName(tensor.dtype)},
        {QStringLiteral("shape"), intArray(tensor.shape)},
        {QStringLiteral("numel"), tensor.numel()},
        {QStringLiteral("nbytes"), tensor.nbytes()},
        {QStringLiteral("layout"), layoutName(tensor.layout)},
        {QStringLiteral("device"), tensor.device},
    };
    if (tensor.storage >= 0) {
        const StorageInfo& storage = checkpoint.storages[tensor.storage];
        QJsonObject storageObject{
            {QStringLiteral("key"), storage.key},
            {QStringLiteral("offset"), tensor.storageOffset},
            {QStringLiteral("strides"), intArray(tensor.strides)},
            {QStringLiteral("nbytes"), storage.nbytes},
        };
        if (storage.bigEndian)
            storageObject.insert(QStringLiteral("byteorder"), QStringLiteral("big"));
        object.insert(QStringLiteral("storage"), storageObject);
    } else {
        object.insert(QStringLiteral("storage"), QJsonValue::Null);
    }
    if (tensor.viewOf >= 0)
        object.insert(QStringLiteral("view_of"), checkpoint.tensors[tensor.viewOf].name);
    if (tensor.requiresGrad)
        object.insert(QStringLiteral("requires_grad"), true);
    if (tensor.isParameter)
        object.insert(QStringLiteral("parameter"), true);
    if (!tensor.subclass.isEmpty())
        object.insert(QStringLiteral("subclass"), tensor.subclass);
    if (tensor.quantization.scheme != QScheme::None)
        object.insert(QStringLiteral("quantization"), quantizationJson(tensor.quantization));
    return object;
}

QJsonObject listingJson(const Checkpoint& checkpoint, const QString& displayPath)
{
    QJsonArray tensors;
    for (const TensorInfo& tensor : checkpoint.tensors)
        tensors.append(tensorJson(tensor, checkpoint));
    return QJsonObject{
        {QStringLiteral("file"), displayPath},
        {QStringLiteral("format"), formatName(checkpoint.format)},
        {QStringLiteral("tensors"), tensors},
        {QStringLiteral("tensor_count"), checkpoint.tensors.size()},
        {QStringLiteral("total_numel"), checkpoint.totalNumel()},
        {QStringLiteral("total_nbytes"), checkpoint.totalNbytes()},
        {QStringLiteral("unsafe_globals"), QJsonArray::fromStringList(checkpoint.unsafeGlobals)},
    };
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
