#include "torch_globals.h"

#include "pickle_machine.h"

#include "../checked_math.h"

#include <QSet>

#include <cstring>

namespace statelens {

namespace {

constexpr int kMaxRank = 64;

Error badArguments(const QString& callee, const QString& why)
{
    return makeError(ErrorCode::Corrupt, QStringLiteral("%1: %2").arg(callee.section(u'.', -1), why));
}

// The positional arguments of a call: a Tuple (or List) value.
const std::vector<Value*>* argumentList(const Value* args)
{
    if (args && (args->kind == ValueKind::Tuple || args->kind == ValueKind::List))
        return &args->items;
    return nullptr;
}

bool intList(const Value* value, QVector<qint64>* out)
{
    if (!value || (value->kind != ValueKind::Tuple && value->kind != ValueKind::List) || value->items.size() > size_t(kMaxRank))
        return false;
    out->clear();
    for (const Value* item : value->items) {
        if (item->kind != ValueKind::Int || item->integer < 0)
            return false;
        out->append(item->integer);
    }
    return true;
}

bool truthy(const Value* value)
{
    if (!value)
        return false;
    switch (value->kind) {
    case ValueKind::Bool: return value->boolean;
    case ValueKind::Int: return value->integer != 0;
    default: return false;
    }
}

Value* makeTensorValue(Checkpoint& checkpoint, TensorInfo tensor)
{
    checkpoint.rebuilt.push_back(std::move(tensor));
    Value* value = checkpoint.arena.make(ValueKind::Tensor);
    value->index = int(checkpoint.rebuilt.size() - 1);
    return value;
}

TensorInfo* tensorOf(Checkpoint& checkpoint, const Value* value)
{
    if (!value || value->kind != ValueKind::Tensor || value->index < 0 || size_t(value->index) >= checkpoint.rebuilt.size())
        return nullptr;
    return &checkpoint.rebuilt[size_t(value->index)];
}

// storage, offset, size, stride: the geometry every strided rebuild shares, checked against the
// storage's size before the tensor exists.
Result<TensorInfo> stridedTensor(Checkpoint& checkpoint, const QString& callee, const std::vector<Value*>& a, DType explicitType)
{
    const Value* storage = a[0];
    if (storage->kind != ValueKind::Storage || storage->index < 0 || storage->index >= checkpoint.storages.size())
        return badArguments(callee, QStringLiteral("the first argument is not a storage"));
    TensorInfo tensor;
    tensor.storage = storage->index;
    tensor.dtype = explicitType != DType::Unknown ? explicitType : storage->dtype;
    const StorageInfo& info = checkpoint.storages[storage->index];
    tensor.device = info.location;
    if (a[1]->kind != ValueKind::Int || a[1]->integer < 0)
        return badArguments(callee, QStringLiteral("bad storage offset %1").arg(a[1]->summary(40)));
    tensor.storageOffset = a[1]->integer;
    if (!intList(a[2], &tensor.shape))
        return badArguments(callee, QStringLiteral("bad size %1").arg(a[2]->summary(80)));
    if (!intList(a[3], &tensor.strides) || tensor.strides.size() != tensor.shape.size())
        return badArguments(callee, QStringLiteral("bad stride %1 for size %2").arg(a[3]->summary(80), a[2]->summary(80)));
    qint64 numel = 0;
    if (!checkedNumel(tensor.shape, &numel))
        return badArguments(callee, QStringLiteral("the element count of size %1 overflows").arg(a[2]->summary(80)));
    if (numel > 0) {  // torch does not constrain the offset of an empty tensor
        qint64 last = 0;
        const qint64 held = info.nbytes / dtypeItemSize(tensor.dtype);
        if (!checkedExtent(tensor.shape, tensor.strides, tensor.storageOffset, &last) || last >= held)
            return makeError(ErrorCode::Corrupt, QStringLiteral("a tensor needs %1 elements of storage '%2' but it holds %3 (a storage smaller than the view over it)")
                                                     .arg(last == 0 && tensor.storageOffset > 0 ? QStringLiteral("more than %1").arg(held) : QString::number(last + 1), info.key)
                                                     .arg(held));
    }
    return tensor;
}

Result<Value*> rebuildTensor(Checkpoint& checkpoint, const QString& callee, const Value* args, int version)
{
    const auto* a = argumentList(args);
    const size_t needed = version == 1 ? 4 : version == 2 ? 5 : 7;
    if (!a || a->size() < needed)
        return badArguments(callee, QStringLiteral("expected %1 or more arguments").arg(needed));
    DType explicitType = DType::Unknown;
    if (version == 3) {
        if ((*a)[6]->kind != ValueKind::DType)
            return badArguments(callee, QStringLiteral("the dtype argument is %1").arg((*a)[6]->summary(40)));
        explicitType = (*a)[6]->dtype;
    }
    auto tensor = stridedTensor(checkpoint, callee, *a, explicitType);
    if (!tensor)
        return tensor.error();
    if (version >= 2)
        tensor->requiresGrad = truthy((*a)[4]);
    // Optional metadata dict (conj / neg bits), 7th argument of v2, 8th of v3.
    const size_t metadataIndex = version == 2 ? 6 : 7;
    if (version >= 2 && a->size() > metadataIndex && (*a)[metadataIndex]->kind == ValueKind::Dict) {
        const Value* metadata = (*a)[metadataIndex];
        for (const auto& [key, value] : metadata->entries) {
            if (key->kind == ValueKind::String && key->text.contains(QLatin1String("conj")))
                tensor->conj = truthy(value);
            if (key->kind == ValueKind::String && key->text.contains(QLatin1String("neg")))
                tensor->neg = truthy(value);
        }
    }
    return makeTensorValue(checkpoint, std::move(*tensor));
}

Result<Value*> rebuildQuantized(Checkpoint& checkpoint, const QString& callee, const Value* args)
{
    const auto* a = argumentList(args);
    if (!a || a->size() < 5)
        return badArguments(callee, QStringLiteral("expected 5 or more arguments"));
    auto tensor = stridedTensor(checkpoint, callee, *a, DType::Unknown);
    if (!tensor)
        return tensor.error();
    const auto* params = argumentList((*a)[4]);
    if (!params || params->empty() || (*params)[0]->kind != ValueKind::Global)
        return badArguments(callee, QStringLiteral("bad quantizer parameters %1").arg((*a)[4]->summary(80)));
    const QString scheme = (*params)[0]->text;
    QuantizationInfo& q = tensor->quantization;
    if (scheme.endsWith(QLatin1String("per_tensor_affine")) || scheme.endsWith(QLatin1String("per_tensor_symmetric"))) {
        q.scheme = scheme.endsWith(QLatin1String("affine")) ? QScheme::PerTensorAffine : QScheme::PerTensorSymmetric;
        if (params->size() < 3 || ((*params)[1]->kind != ValueKind::Float && (*params)[1]->kind != ValueKind::Int) || (*params)[2]->kind != ValueKind::Int)
            return badArguments(callee, QStringLiteral("bad per-tensor parameters"));
        q.scale = (*params)[1]->kind == ValueKind::Float ? (*params)[1]->real : double((*params)[1]->integer);
        q.zeroPoint = (*params)[2]->integer;
    } else if (scheme.contains(QLatin1String("per_channel"))) {
        q.scheme = scheme.endsWith(QLatin1String("float_qparams")) ? QScheme::PerChannelAffineFloatQParams
                   : scheme.endsWith(QLatin1String("symmetric"))   ? QScheme::PerChannelSymmetric
                                                                    : QScheme::PerChannelAffine;
        if (params->size() < 4 || (*params)[3]->kind != ValueKind::Int)
            return badArguments(callee, QStringLiteral("bad per-channel parameters"));
        if (const TensorInfo* scales = tensorOf(checkpoint, (*params)[1]))
            q.scales = std::make_shared<TensorInfo>(*scales);
        if (const TensorInfo* zeroPoints = tensorOf(checkpoint, (*params)[2]))
            q.zeroPoints = std::make_shared<TensorInfo>(*zeroPoints);
        q.axis = (*params)[3]->integer;
    } else {
        return badArguments(callee, QStringLiteral("unknown quantization scheme %1").arg(scheme));
    }
    if (a->size() > 5)
        tensor->requiresGrad = truthy((*a)[5]);
    return makeTensorValue(checkpoint, std::move(*tensor));
}

Layout layoutOf(const Value* value)
{
    if (value && (value->kind == ValueKind::Layout || value->kind == ValueKind::Global || value->kind == ValueKind::String))
        return layoutFromTorchName(value->text);
    return Layout::Unknown;
}

Result<Value*> rebuildSparse(Checkpoint& checkpoint, const QString& callee, const Value* args)
{
    const auto* a = argumentList(args);
    if (!a || a->size() < 2)
        return badArguments(callee, QStringLiteral("expected (layout, data)"));
    const Layout layout = layoutOf((*a)[0]);
    const auto* data = argumentList((*a)[1]);
    if (layout == Layout::Unknown || layout == Layout::Strided || !data)
        return badArguments(callee, QStringLiteral("unsupported sparse layout %1").arg((*a)[0]->summary(40)));
    // COO: (indices, values, size[, coalesced]); compressed: (compressed, plain, values, size).
    const bool coo = layout == Layout::SparseCoo;
    const size_t valuesAt = coo ? 1 : 2;
    const size_t sizeAt = coo ? 2 : 3;
    if (data->size() <= sizeAt)
        return badArguments(callee, QStringLiteral("too few sparse components"));
    TensorInfo tensor;
    tensor.layout = layout;
    if (!intList((*data)[sizeAt], &tensor.shape))
        return badArguments(callee, QStringLiteral("bad sparse size %1").arg((*data)[sizeAt]->summary(60)));
    for (size_t i = 0; i <= valuesAt; ++i) {
        const TensorInfo* component = tensorOf(checkpoint, (*data)[i]);
        if (!component)
            return badArguments(callee, QStringLiteral("sparse component %1 is not a tensor").arg(i));
        if (i < valuesAt && component->dtype != DType::Int64 && component->dtype != DType::Int32)
            return badArguments(callee, QStringLiteral("sparse indices of dtype %1").arg(dtypeName(component->dtype)));
        tensor.components.append(std::make_shared<TensorInfo>(*component));
    }
    const TensorInfo& values = *tensor.components.back();
    tensor.dtype = values.dtype;
    tensor.device = values.device;
    if (coo) {
        const TensorInfo& indices = *tensor.components.front();
        const qint64 nnz = values.shape.isEmpty() ? 0 : values.shape.front();
        if (indices.shape.size() != 2 || indices.shape[1] != nnz)
            return badArguments(callee, QStringLiteral("indices of shape %1 for %2 values").arg(indices.shape.size() == 2 ? indices.shape[1] : -1).arg(nnz));
    }
    return makeTensorValue(checkpoint, std::move(tensor));
}

Result<Value*> markParameter(Checkpoint& checkpoint, const QString& callee, const Value* args, bool defaultRequiresGrad)
{
    const auto* a = argumentList(args);
    if (!a || a->empty())
        return badArguments(callee, QStringLiteral("no data argument"));
    TensorInfo* tensor = tensorOf(checkpoint, (*a)[0]);
    if (!tensor)
        return static_cast<Value*>(nullptr);  // a Parameter of something else: keep it opaque
    tensor->isParameter = true;
    tensor->requiresGrad = a->size() > 1 ? truthy((*a)[1]) : defaultRequiresGrad;
    return (*a)[0];
}

Result<Value*> rebuildFromType(Checkpoint& checkpoint, const QString& callee, const Value* args, int nesting)
{
    // (func, new_type, args, state): func(*args), then converted to new_type.
    const auto* a = argumentList(args);
    if (!a || a->size() < 3 || (*a)[0]->kind != ValueKind::Global)
        return static_cast<Value*>(nullptr);
    if (nesting > 4 || !isSafeGlobal((*a)[0]->text))
        return static_cast<Value*>(nullptr);
    auto inner = interpretCall(checkpoint, (*a)[0]->text, (*a)[2]);
    if (!inner || !*inner)
        return inner;
    if (TensorInfo* tensor = tensorOf(checkpoint, *inner)) {
        const QString type = (*a)[1]->kind == ValueKind::Global ? (*a)[1]->text : QString();
        if (type == QLatin1String("torch.nn.parameter.Parameter"))
            tensor->isParameter = true;
        else if (!type.isEmpty() && type != QLatin1String("torch.Tensor"))
            tensor->subclass = type;
    }
    Q_UNUSED(callee);
    return inner;
}

Result<Value*> metaTensor(Checkpoint& checkpoint, const QString& callee, const Value* args)
{
    // (dtype, size, stride[, requires_grad])
    const auto* a = argumentList(args);
    if (!a || a->size() < 3 || (*a)[0]->kind != ValueKind::DType)
        return badArguments(callee, QStringLiteral("expected (dtype, size, stride)"));
    TensorInfo tensor;
    tensor.dtype = (*a)[0]->dtype;
    tensor.device = QStringLiteral("meta");
    if (!intList((*a)[1], &tensor.shape) || !intList((*a)[2], &tensor.strides))
        return badArguments(callee, QStringLiteral("bad size or stride"));
    if (a->size() > 3)
        tensor.requiresGrad = truthy((*a)[3]);
    return makeTensorValue(checkpoint, std::move(tensor));
}

Result<Value*> wrapperSubclass(Checkpoint& checkpoint, const QString& callee, const Value* args)
{
    // (cls, dtype, size, stride, storage_offset, layout, device, requires_grad)
    const auto* a = argumentList(args);
    if (!a || a->size() < 5 || (*a)[1]->kind != ValueKind::DType)
        return badArguments(callee, QStringLiteral("expected (cls, dtype, size, stride, offset, ...)"));
    TensorInfo tensor;
    tensor.subclass = (*a)[0]->kind == ValueKind::Global ? (*a)[0]->text : QString();
    tensor.dtype = (*a)[1]->dtype;
    if (!intList((*a)[2], &tensor.shape) || !intList((*a)[3], &tensor.strides))
        return badArguments(callee, QStringLiteral("bad size or stride"));
    if ((*a)[4]->kind == ValueKind::Int)
        tensor.storageOffset = (*a)[4]->integer;
    if (a->size() > 6 && (*a)[6]->kind == ValueKind::Device)
        tensor.device = (*a)[6]->text;
    if (a->size() > 7)
        tensor.requiresGrad = truthy((*a)[7]);
    return makeTensorValue(checkpoint, std::move(tensor));
}

Result<Value*> deviceTensorFromCpu(Checkpoint& checkpoint, const Value* args)
{
    // (cpu_tensor, dtype, device, requires_grad)
    const auto* a = argumentList(args);
    if (!a || a->size() < 3)
        return static_cast<Value*>(nullptr);
    TensorInfo* tensor = tensorOf(checkpoint, (*a)[0]);
    if (!tensor)
        return static_cast<Value*>(nullptr);
    if ((*a)[2]->kind == ValueKind::String || (*a)[2]->kind == ValueKind::Device)
        tensor->device = (*a)[2]->text;
    return (*a)[0];
}

// _codecs.encode(text, 'latin1'): protocol 2's spelling of bytes. Each code point is one byte.
Result<Value*> latin1Bytes(Checkpoint& checkpoint, const Value* args)
{
    const auto* a = argumentList(args);
    if (!a || a->empty() || (*a)[0]->kind != ValueKind::String)
        return static_cast<Value*>(nullptr);
    const QString& text = (*a)[0]->text;
    Value* bytes = checkpoint.arena.make(ValueKind::Bytes);
    bytes->bytes.reserve(text.size());
    for (QChar c : text) {
        if (c.unicode() > 0xFF)
            return makeError(ErrorCode::Corrupt, QStringLiteral("_codecs.encode: code point U+%1 is not latin-1").arg(c.unicode(), 4, 16, QLatin1Char('0')));
        bytes->bytes.append(char(c.unicode()));
    }
    return bytes;
}

Value* copyItems(Checkpoint& checkpoint, ValueKind kind, const Value* source)
{
    Value* result = checkpoint.arena.make(kind);
    if (source && (source->kind == ValueKind::List || source->kind == ValueKind::Tuple || source->kind == ValueKind::Set
                   || source->kind == ValueKind::FrozenSet))
        result->items = source->items;
    return result;
}

// numpy scalar(dtype, bytes): decode the common little-endian fixed-size kinds (numpy pickles
// `dtype('f8')` and the raw value); anything else stays an opaque, described object.
Value* numpyScalar(Checkpoint& checkpoint, const Value* args)
{
    const auto* a = argumentList(args);
    if (!a || a->size() < 2 || (*a)[1]->kind != ValueKind::Bytes || (*a)[0]->kind != ValueKind::Object || !(*a)[0]->args)
        return nullptr;
    const auto* dtypeArgs = argumentList((*a)[0]->args);
    if (!dtypeArgs || dtypeArgs->empty() || (*dtypeArgs)[0]->kind != ValueKind::String)
        return nullptr;
    const QString code = (*dtypeArgs)[0]->text;
    const QByteArray& raw = (*a)[1]->bytes;
    if ((code == QLatin1String("f8") && raw.size() == 8) || (code == QLatin1String("f4") && raw.size() == 4)) {
        Value* value = checkpoint.arena.make(ValueKind::Float);
        if (raw.size() == 8) {
            std::memcpy(&value->real, raw.constData(), 8);
        } else {
            float single = 0;
            std::memcpy(&single, raw.constData(), 4);
            value->real = single;
        }
        return value;
    }
    const bool integer = code == QLatin1String("i8") || code == QLatin1String("i4") || code == QLatin1String("u1") || code == QLatin1String("b1");
    if (!integer || (raw.size() != 8 && raw.size() != 4 && raw.size() != 1))
        return nullptr;
    qint64 number = 0;
    if (raw.size() == 8) {
        std::memcpy(&number, raw.constData(), 8);
    } else if (raw.size() == 4) {
        qint32 small = 0;
        std::memcpy(&small, raw.constData(), 4);
        number = small;
    } else {
        number = uchar(raw[0]);
    }
    Value* value = checkpoint.arena.make(code == QLatin1String("b1") ? ValueKind::Bool : ValueKind::Int);
    value->integer = number;
    value->boolean = number != 0;
    return value;
}

const QSet<QString>& safeCallables()
{
    static const QSet<QString> names = {
        QStringLiteral("collections.OrderedDict"), QStringLiteral("collections.Counter"),
        QStringLiteral("torch.nn.parameter.Parameter"), QStringLiteral("torch.serialization._get_layout"),
        QStringLiteral("torch.Size"), QStringLiteral("torch.Tensor"), QStringLiteral("torch.device"),
        QStringLiteral("_codecs.encode"), QStringLiteral("builtins.bytearray"), QStringLiteral("builtins.set"),
        QStringLiteral("builtins.complex"), QStringLiteral("builtins.frozenset"), QStringLiteral("builtins.slice"),
        QStringLiteral("builtins.bytes"), QStringLiteral("torch._utils._rebuild_parameter"),
        QStringLiteral("torch._utils._rebuild_parameter_with_state"), QStringLiteral("torch._utils._rebuild_qtensor"),
        QStringLiteral("torch._utils._rebuild_tensor"), QStringLiteral("torch._utils._rebuild_tensor_v2"),
        QStringLiteral("torch._utils._rebuild_tensor_v3"), QStringLiteral("torch._utils._rebuild_sparse_tensor"),
        QStringLiteral("torch._utils._rebuild_sparse_csr_tensor"), QStringLiteral("torch._utils._rebuild_meta_tensor_no_storage"),
        QStringLiteral("torch._utils._rebuild_wrapper_subclass"), QStringLiteral("torch._utils._rebuild_device_tensor_from_numpy"),
        QStringLiteral("torch._utils._rebuild_xla_tensor"), QStringLiteral("torch._utils._rebuild_device_tensor_from_cpu_tensor"),
        QStringLiteral("torch._tensor._rebuild_from_type_v2"), QStringLiteral("torch._tensor._rebuild_from_type"),
        QStringLiteral("torch.per_tensor_affine"), QStringLiteral("torch.per_tensor_symmetric"),
        QStringLiteral("torch.per_channel_affine"), QStringLiteral("torch.per_channel_symmetric"),
        QStringLiteral("torch.per_channel_affine_float_qparams"),
        QStringLiteral("torch.jit._pickle.build_intlist"), QStringLiteral("torch.jit._pickle.build_tensorlist"),
        QStringLiteral("torch.jit._pickle.build_doublelist"), QStringLiteral("torch.jit._pickle.build_boollist"),
        QStringLiteral("torch.jit._pickle.build_genericlist"), QStringLiteral("torch.jit._pickle.restore_type_tag"),
        QStringLiteral("numpy.core.multiarray._reconstruct"), QStringLiteral("numpy._core.multiarray._reconstruct"),
        QStringLiteral("numpy.core.multiarray.scalar"), QStringLiteral("numpy._core.multiarray.scalar"),
        QStringLiteral("numpy.ndarray"), QStringLiteral("numpy.dtype"),
    };
    return names;
}

}  // namespace

QString canonicalGlobalName(const QString& module, const QString& name)
{
    QString mappedModule = module;
    if (module == QLatin1String("__builtin__") || module == QLatin1String("exceptions"))
        mappedModule = QStringLiteral("builtins");
    else if (module == QLatin1String("copy_reg"))
        mappedModule = QStringLiteral("copyreg");
    else if (module == QLatin1String("torch.tensor"))
        mappedModule = QStringLiteral("torch._tensor");  // pre-1.8 files (torch's load_module_mapping)
    else if (module == QLatin1String("UserDict") || module == QLatin1String("UserList"))
        mappedModule = QStringLiteral("collections");
    return mappedModule + u'.' + name;
}

bool isSafeGlobal(const QString& name)
{
    if (safeCallables().contains(name))
        return true;
    // Dtypes and storage classes (torch maps any *Storage name; torch.cuda.* too).
    if (name.startsWith(QLatin1String("torch."))) {
        const QString bare = name.section(u'.', -1);
        if (name.count(u'.') == 1 && dtypeFromName(bare) != DType::Unknown)
            return true;
        if (bare.endsWith(QLatin1String("Storage")) && dtypeFromStorageClass(bare) != DType::Unknown)
            return true;
        if (bare.endsWith(QLatin1String("Tensor")) && (name.count(u'.') == 1 || name.startsWith(QLatin1String("torch.cuda."))))
            return true;  // legacy tensor classes, torch.FloatTensor
    }
    return false;
}

Value* interpretGlobal(Checkpoint& checkpoint, const QString& qualifiedName)
{
    if (qualifiedName.startsWith(QLatin1String("torch.")) && qualifiedName.count(u'.') == 1) {
        const DType dtype = dtypeFromName(qualifiedName);
        if (dtype != DType::Unknown) {
            Value* value = checkpoint.arena.make(ValueKind::DType);
            value->dtype = dtype;
            value->text = qualifiedName;
            return value;
        }
        const Layout layout = layoutFromTorchName(qualifiedName);
        if (layout != Layout::Unknown) {
            Value* value = checkpoint.arena.make(ValueKind::Layout);
            value->text = qualifiedName;
            return value;
        }
    }
    return nullptr;
}

Result<Value*> interpretCall(Checkpoint& checkpoint, const QString& callee, Value* args)
{
    static thread_local int nesting = 0;  // _rebuild_from_type_v2 interprets a nested call
    struct NestingGuard {
        NestingGuard() { ++nesting; }
        ~NestingGuard() { --nesting; }
    } guard;
    const auto* a = argumentList(args);

    if (callee == QLatin1String("torch._utils._rebuild_tensor_v2"))
        return rebuildTensor(checkpoint, callee, args, 2);
    if (callee == QLatin1String("torch._utils._rebuild_tensor_v3"))
        return rebuildTensor(checkpoint, callee, args, 3);
    if (callee == QLatin1String("torch._utils._rebuild_tensor"))
        return rebuildTensor(checkpoint, callee, args, 1);
    if (callee == QLatin1String("torch._utils._rebuild_parameter") || callee == QLatin1String("torch._utils._rebuild_parameter_with_state"))
        return markParameter(checkpoint, callee, args, true);
    if (callee == QLatin1String("torch.nn.parameter.Parameter"))
        return markParameter(checkpoint, callee, args, true);
    if (callee == QLatin1String("torch._utils._rebuild_qtensor"))
        return rebuildQuantized(checkpoint, callee, args);
    if (callee == QLatin1String("torch._utils._rebuild_sparse_tensor") || callee == QLatin1String("torch._utils._rebuild_sparse_csr_tensor"))
        return rebuildSparse(checkpoint, callee, args);
    if (callee == QLatin1String("torch._tensor._rebuild_from_type_v2") || callee == QLatin1String("torch._tensor._rebuild_from_type"))
        return rebuildFromType(checkpoint, callee, args, nesting);
    if (callee == QLatin1String("torch._utils._rebuild_meta_tensor_no_storage"))
        return metaTensor(checkpoint, callee, args);
    if (callee == QLatin1String("torch._utils._rebuild_wrapper_subclass"))
        return wrapperSubclass(checkpoint, callee, args);
    if (callee == QLatin1String("torch._utils._rebuild_device_tensor_from_cpu_tensor"))
        return deviceTensorFromCpu(checkpoint, args);
    if (callee == QLatin1String("collections.OrderedDict") || callee == QLatin1String("collections.Counter")) {
        Value* dict = checkpoint.arena.make(ValueKind::Dict);
        dict->text = callee.section(u'.', -1);
        if (a && !a->empty() && ((*a)[0]->kind == ValueKind::List || (*a)[0]->kind == ValueKind::Tuple)) {
            for (const Value* pair : (*a)[0]->items) {
                if ((pair->kind == ValueKind::Tuple || pair->kind == ValueKind::List) && pair->items.size() == 2)
                    dict->entries.emplace_back(pair->items[0], pair->items[1]);
            }
        }
        return dict;
    }
    if (callee == QLatin1String("torch.Size") || callee.startsWith(QLatin1String("torch.jit._pickle.build_"))) {
        if (!a || a->empty())
            return copyItems(checkpoint, ValueKind::Tuple, nullptr);
        return copyItems(checkpoint, callee == QLatin1String("torch.Size") ? ValueKind::Tuple : ValueKind::List, (*a)[0]);
    }
    if (callee == QLatin1String("torch.jit._pickle.restore_type_tag"))
        return a && !a->empty() ? (*a)[0] : static_cast<Value*>(nullptr);
    if (callee == QLatin1String("torch.device")) {
        if (!a || a->empty() || (*a)[0]->kind != ValueKind::String)
            return static_cast<Value*>(nullptr);
        Value* device = checkpoint.arena.make(ValueKind::Device);
        device->text = (*a)[0]->text;
        if (a->size() > 1 && (*a)[1]->kind == ValueKind::Int)
            device->text += u':' + QString::number((*a)[1]->integer);
        return device;
    }
    if (callee == QLatin1String("torch.serialization._get_layout")) {
        if (!a || a->empty() || (*a)[0]->kind != ValueKind::String)
            return static_cast<Value*>(nullptr);
        Value* layout = checkpoint.arena.make(ValueKind::Layout);
        layout->text = (*a)[0]->text;
        return layout;
    }
    if (callee == QLatin1String("_codecs.encode"))
        return latin1Bytes(checkpoint, args);
    if (callee == QLatin1String("builtins.bytes") || callee == QLatin1String("builtins.bytearray")) {
        Value* bytes = checkpoint.arena.make(ValueKind::Bytes);
        if (a && !a->empty() && (*a)[0]->kind == ValueKind::Bytes)
            bytes->bytes = (*a)[0]->bytes;
        return bytes;
    }
    if (callee == QLatin1String("builtins.set"))
        return copyItems(checkpoint, ValueKind::Set, a && !a->empty() ? (*a)[0] : nullptr);
    if (callee == QLatin1String("builtins.frozenset"))
        return copyItems(checkpoint, ValueKind::FrozenSet, a && !a->empty() ? (*a)[0] : nullptr);
    if (callee == QLatin1String("builtins.slice"))
        return copyItems(checkpoint, ValueKind::Slice, args);
    if (callee == QLatin1String("builtins.complex")) {
        Value* value = checkpoint.arena.make(ValueKind::Complex);
        auto number = [](const Value* v) { return v->kind == ValueKind::Float ? v->real : v->kind == ValueKind::Int ? double(v->integer) : 0.0; };
        if (a && !a->empty())
            value->real = number((*a)[0]);
        if (a && a->size() > 1)
            value->imag = number((*a)[1]);
        return value;
    }
    if (callee.endsWith(QLatin1String("multiarray.scalar")))
        return numpyScalar(checkpoint, args);
    // numpy arrays and dtypes, XLA-era device tensors: safe, kept as described objects.
    return static_cast<Value*>(nullptr);
}

}  // namespace statelens
