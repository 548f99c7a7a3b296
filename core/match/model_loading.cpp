#include "core/match/model_loading.h"

#include "core/model/element_decoder.h"

#include <QHash>

namespace statelens {

Result<QString> loadableSpec(const Architecture& architecture)
{
    if (architecture.source == QLatin1String("built-in"))
        return architecture.id;
    if (architecture.source == QLatin1String("torchscript"))
        return architecture.id.startsWith(QLatin1String("torchscript:")) ? architecture.id
                                                                           : QStringLiteral("torchscript:") + architecture.id;
    return makeError(ErrorCode::Unsupported,
                     QStringLiteral("%1 is a %2: it describes a layout but holds no module to load into; "
                                    "give a built-in name or a TorchScript file")
                         .arg(architecture.id, architecture.source));
}

namespace {

// Where a checkpoint tensor's values are, as libtorch's from_blob takes them.
Result<TorchRuntime::LoadTensor> tensorSource(const Checkpoint& checkpoint, const TensorInfo& tensor, const QString& name)
{
    const QString problem = ElementDecoder::skipReason(tensor);
    if (!problem.isEmpty())
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: %2").arg(name, problem));
    if (dtypeTraits(tensor.dtype).kind == DTypeKind::Quantized || tensor.conj || tensor.neg)
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: quantized or conj/neg-bit tensors are not loaded").arg(name));
    if (checkpoint.storages[tensor.storage].bigEndian)
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: big-endian storage (convert the file first)").arg(name));
    // The decoder checks every element the view reaches lies inside its storage.
    auto decoder = ElementDecoder::create(checkpoint, tensor);
    if (!decoder)
        return makeError(decoder.error().code, QStringLiteral("%1: %2").arg(name, decoder.error().message));
    auto bytes = checkpoint.storageBytes(tensor.storage);
    if (!bytes)
        return bytes.error();
    TorchRuntime::LoadTensor source;
    source.name = name;
    source.data = bytes->data() + tensor.storageOffset * dtypeItemSize(tensor.dtype);
    source.dtype = tensor.dtype;
    source.shape = tensor.shape;
    source.strides = tensor.strides.size() == tensor.shape.size() ? tensor.strides : contiguousStrides(tensor.shape);
    return source;
}

}  // namespace

Result<LoadReport> loadIntoModel(const Checkpoint& checkpoint, const QString& file, const Architecture& architecture,
                                 const MatchRequest& request, const QString& device)
{
    auto spec = loadableSpec(architecture);
    if (!spec)
        return spec.error();
    auto matched = matchCheckpoint(checkpoint, file, architecture, request);
    if (!matched)
        return matched.error();
    LoadReport report;
    report.match = std::move(matched.value());
    report.device = device;
    if (!report.match.ok())
        return report;  // torch would raise (strict) or there is nothing to load (lenient)
    QHash<QString, int> offered;
    for (const StateDictEntry& entry : report.match.stateDict.entries)
        offered.insert(entry.key, entry.tensor);
    QVector<TorchRuntime::LoadTensor> tensors;
    for (const QString& name : report.match.verdict.matched) {
        const auto found = offered.constFind(name);
        if (found == offered.constEnd())
            continue;  // num_batches_tracked that torch fills in itself: the module's 0 stays
        auto source = tensorSource(checkpoint, checkpoint.tensors[found.value()], name);
        if (!source)
            return source.error();
        tensors.append(source.value());
    }
    auto outcome = TorchRuntime::instance().loadModel(*spec, device, tensors, architecture.source == QLatin1String("built-in"));
    if (!outcome)
        return outcome.error();
    report.attempted = true;
    report.outcome = outcome.value();
    return report;
}

}  // namespace statelens
