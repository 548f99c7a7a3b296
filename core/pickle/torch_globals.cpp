#include "core/pickle/torch_globals.h"

#include "core/pickle/pickle_machine.h"

#include "core/base/checked_math.h"
#include "core/model/narrow_floats.h"
#include "core/model/numpy_dtype.h"

#include <QSet>

#include <cstring>
#include <limits>

namespace statelens {

namespace {

constexpr int kMaxRank = 256;             // far beyond any real tensor; bounds what we copy
constexpr int kMaxRebuildNesting = 4;     // _rebuild_from_type_v2 wrapping another rebuild call

constexpr int kMaxBytesFromList = 4096;   // bytes([...]): never how pickles write bytes
constexpr char kParameterClass[] = "torch.nn.parameter.Parameter";
constexpr char kTensorClass[] = "torch.Tensor";

Error badArguments(const QString& problem)
{
    return makeError(ErrorCode::Corrupt, problem);
}

Status expectArguments(const std::vector<Value*>& args, size_t least, size_t most)
{
    if (args.size() >= least && args.size() <= most)
        return Ok{};
    const QString expected = least == most ? QString::number(least) : QStringLiteral("%1 to %2").arg(least).arg(most);
    return badArguments(QStringLiteral("takes %1 arguments, got %2").arg(expected).arg(args.size()));
}

const std::vector<Value*>* itemsOf(const Value* value)
{
    if (value && (value->kind == ValueKind::Tuple || value->kind == ValueKind::List))
        return &value->items;
    return nullptr;
}

bool toInteger(const Value* value, qint64* out)
{
    if (value->kind == ValueKind::Int) {
        *out = value->integer;
        return true;
    }
    if (value->kind == ValueKind::Bool) {  // Python's bool is an int
        *out = value->boolean ? 1 : 0;
        return true;
    }
    return false;
}

bool toReal(const Value* value, double* out)
{
    qint64 integer = 0;
    if (value->kind == ValueKind::Float) {
        *out = value->real;
        return true;
    }
    if (toInteger(value, &integer)) {
        *out = double(integer);
        return true;
    }
    return false;
}

// Python truthiness, for requires_grad and metadata flags.
bool truthy(const Value* value)
{
    switch (value->kind) {
    case ValueKind::None: return false;
    case ValueKind::Bool: return value->boolean;
    case ValueKind::Int: return value->integer != 0;
    case ValueKind::BigInt: return true;  // never zero: zero fits in Int
    case ValueKind::Float: return value->real != 0.0;
    case ValueKind::Complex: return value->real != 0.0 || value->imag() != 0.0;
    case ValueKind::String: return !value->text.isEmpty();
    case ValueKind::Bytes: return !value->bytes().isEmpty();
    case ValueKind::Tuple:
    case ValueKind::List:
    case ValueKind::Set:
    case ValueKind::FrozenSet: return !value->items.empty();
    case ValueKind::Dict: return !value->entries().empty();
    default: return true;
    }
}

// str, or bytes as torch's _maybe_decode_ascii reads them.
bool textOf(const Value* value, QString* text)
{
    if (value->kind == ValueKind::String) {
        *text = value->text;
        return true;
    }
    if (value->kind == ValueKind::Bytes) {
        *text = QString::fromLatin1(value->bytes());
        return true;
    }
    return false;
}

// A tuple of ints (torch.Size arrives as a plain tuple). Signs are checked by the caller, which
// can then say which argument was wrong.
bool toShape(const Value* value, QVector<qint64>* shape)
{
    const auto* items = itemsOf(value);
    if (!items || items->size() > size_t(kMaxRank))
        return false;
    shape->clear();
    shape->reserve(qsizetype(items->size()));
    for (const Value* item : *items) {
        qint64 dim = 0;
        if (!toInteger(item, &dim))
            return false;
        shape->append(dim);
    }
    return true;
}

Status checkShape(const QVector<qint64>& shape, const Value* source, const char* what)
{
    qint64 numel = 0;
    for (qint64 dim : shape) {
        if (dim < 0)
            return badArguments(QStringLiteral("negative dimension in %1 %2").arg(QLatin1String(what), source->summary(80)));
    }
    if (!checkedNumel(shape, &numel))
        return badArguments(QStringLiteral("the element count of %1 %2 overflows").arg(QLatin1String(what), source->summary(80)));
    return Ok{};
}

Result<QVector<qint64>> shapeArgument(const Value* value, const char* what)
{
    QVector<qint64> shape;
    if (!toShape(value, &shape))
        return badArguments(QStringLiteral("%1 %2 is not a tuple of integers").arg(QLatin1String(what), value->summary(80)));
    if (Status status = checkShape(shape, value, what); !status)
        return status.error();
    return shape;
}

Result<QVector<qint64>> strideArgument(const Value* value, const QVector<qint64>& shape)
{
    QVector<qint64> strides;
    if (!toShape(value, &strides))
        return badArguments(QStringLiteral("stride %1 is not a tuple of integers").arg(value->summary(80)));
    if (strides.size() != shape.size())
        return badArguments(QStringLiteral("size has %1 dimensions but stride %2 has %3").arg(shape.size()).arg(value->summary(80)).arg(strides.size()));
    for (qint64 stride : strides) {
        if (stride < 0)  // torch never writes them; as_strided refuses them
            return badArguments(QStringLiteral("negative stride in %1").arg(value->summary(80)));
    }
    return strides;
}

QScheme qschemeFromName(const QString& name)
{
    if (name == QLatin1String("torch.per_tensor_affine"))
        return QScheme::PerTensorAffine;
    if (name == QLatin1String("torch.per_tensor_symmetric"))
        return QScheme::PerTensorSymmetric;
    if (name == QLatin1String("torch.per_channel_affine"))
        return QScheme::PerChannelAffine;
    if (name == QLatin1String("torch.per_channel_symmetric"))
        return QScheme::PerChannelSymmetric;
    if (name == QLatin1String("torch.per_channel_affine_float_qparams"))
        return QScheme::PerChannelAffineFloatQParams;
    return QScheme::None;
}

// A layout argument: `_get_layout('torch.sparse_coo')` made a Layout; older writers may name the
// layout object itself as a global.
Layout layoutOf(const Value* value)
{
    if (value->kind == ValueKind::Layout || value->kind == ValueKind::Global)
        return layoutFromTorchName(value->text);
    if (value->kind == ValueKind::None)
        return Layout::Strided;
    return Layout::Unknown;
}

bool isIndexType(DType dtype)
{
    return dtype == DType::Int64 || dtype == DType::Int32;
}

bool isTorchDtypeName(const QString& name, DType* dtype)
{
    if (!name.startsWith(QLatin1String("torch.")) || name.indexOf(u'.', 6) >= 0)
        return false;
    *dtype = dtypeFromName(name);
    // The F6 types exist only in safetensors; torch has no such attribute.
    return *dtype != DType::Unknown && *dtype != DType::Float6_e2m3fn && *dtype != DType::Float6_e3m2fn;
}

// ---- numpy ---------------------------------------------------------------------------------------

quint64 loadUnsigned(const char* bytes, int size, bool bigEndian)
{
    quint64 value = 0;
    for (int i = 0; i < size; ++i) {
        const int from = bigEndian ? i : size - 1 - i;
        value = (value << 8) | uchar(bytes[from]);
    }
    return value;
}

double realFromBits(quint64 bits, int size)
{
    if (size == 2)
        return double(halfToFloat(quint16(bits)));  // float holds every half value exactly
    if (size == 4) {
        const quint32 narrow = quint32(bits);
        float value = 0;
        std::memcpy(&value, &narrow, sizeof value);
        return double(value);
    }
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

}  // namespace

// ---- the allow list ----------------------------------------------------------------------------

bool isSafeGlobal(const QString& qualifiedName)
{
    // torch's weights_only allow list (torch/_weights_only_unpickler.py), plus what we interpret
    // without any risk: frozenset, slice, bytes, CSR tensors, numpy arrays and scalars, joblib's
    // array wrapper (a plain object: NEWOBJ and BUILD set its attributes, the machine reads the
    // array it describes), and the typed-container helpers of TorchScript archives.
    static const QSet<QString> kExact = {
        QStringLiteral("collections.OrderedDict"), QStringLiteral("collections.Counter"),
        QStringLiteral("torch.nn.parameter.Parameter"), QStringLiteral("torch.serialization._get_layout"),
        QStringLiteral("torch.Size"), QStringLiteral("torch.Tensor"), QStringLiteral("torch.device"),
        QStringLiteral("_codecs.encode"), QStringLiteral("builtins.set"), QStringLiteral("builtins.frozenset"),
        QStringLiteral("builtins.bytearray"), QStringLiteral("builtins.bytes"), QStringLiteral("builtins.complex"),
        QStringLiteral("builtins.slice"), QStringLiteral("torch.storage.UntypedStorage"),
        QStringLiteral("torch.storage.TypedStorage"), QStringLiteral("torch.per_tensor_affine"),
        QStringLiteral("torch.per_tensor_symmetric"), QStringLiteral("torch.per_channel_affine"),
        QStringLiteral("torch.per_channel_symmetric"), QStringLiteral("torch.per_channel_affine_float_qparams"),
        QStringLiteral("torch._utils._rebuild_parameter"), QStringLiteral("torch._utils._rebuild_parameter_with_state"),
        QStringLiteral("torch._utils._rebuild_qtensor"), QStringLiteral("torch._utils._rebuild_tensor"),
        QStringLiteral("torch._utils._rebuild_tensor_v2"), QStringLiteral("torch._utils._rebuild_tensor_v3"),
        QStringLiteral("torch._utils._rebuild_sparse_tensor"), QStringLiteral("torch._utils._rebuild_sparse_csr_tensor"),
        QStringLiteral("torch._utils._rebuild_meta_tensor_no_storage"), QStringLiteral("torch._utils._rebuild_wrapper_subclass"),
        QStringLiteral("torch._utils._rebuild_device_tensor_from_numpy"), QStringLiteral("torch._utils._rebuild_xla_tensor"),
        QStringLiteral("torch._utils._rebuild_device_tensor_from_cpu_tensor"),
        QStringLiteral("torch._tensor._rebuild_from_type_v2"), QStringLiteral("torch._tensor._rebuild_from_type"),
        QStringLiteral("numpy.core.multiarray._reconstruct"), QStringLiteral("numpy.core.multiarray.scalar"),
        QStringLiteral("numpy._core.multiarray._reconstruct"), QStringLiteral("numpy._core.multiarray.scalar"),
        QStringLiteral("numpy.ndarray"), QStringLiteral("numpy.dtype"), QStringLiteral("joblib.numpy_pickle.NumpyArrayWrapper"),
        QStringLiteral("torch.jit._pickle.build_intlist"), QStringLiteral("torch.jit._pickle.build_tensorlist"),
        QStringLiteral("torch.jit._pickle.build_doublelist"), QStringLiteral("torch.jit._pickle.build_boollist"),
        QStringLiteral("torch.jit._pickle.build_tensor_from_id"), QStringLiteral("torch.jit._pickle.restore_type_tag"),
    };
    if (kExact.contains(qualifiedName))
        return true;
    DType dtype = DType::Unknown;
    if (isTorchDtypeName(qualifiedName, &dtype))
        return true;
    // Legacy classes: torch.FloatStorage / torch.cuda.FloatStorage (torch._storage_classes), and
    // torch.FloatTensor, torch.cuda.FloatTensor, torch.sparse.FloatTensor... (torch._tensor_classes).
    const qsizetype dot = qualifiedName.lastIndexOf(u'.');
    const QStringView module = QStringView(qualifiedName).left(qMax<qsizetype>(dot, 0));
    const QString name = qualifiedName.mid(dot + 1);
    const bool torchOrCuda = module == u"torch" || module == u"torch.cuda";
    if (torchOrCuda && name.endsWith(QLatin1String("Storage")) && name != QLatin1String("UntypedStorage")
        && name != QLatin1String("TypedStorage") && dtypeFromStorageClass(name) != DType::Unknown)
        return true;
    if ((torchOrCuda || module == u"torch.sparse" || module == u"torch.cuda.sparse") && name.endsWith(QLatin1String("Tensor"))) {
        static const QSet<QString> kScalarNames = {
            QStringLiteral("Double"), QStringLiteral("Float"), QStringLiteral("Half"), QStringLiteral("BFloat16"),
            QStringLiteral("Long"), QStringLiteral("Int"), QStringLiteral("Short"), QStringLiteral("Char"),
            QStringLiteral("Byte"), QStringLiteral("Bool"), QStringLiteral("ComplexDouble"), QStringLiteral("ComplexFloat"),
        };
        return kScalarNames.contains(name.chopped(6));
    }
    return false;
}

// ---- dispatch ----------------------------------------------------------------------------------

TorchGlobals::TorchGlobals(Checkpoint& checkpoint, ValueBuilder& builder) : m_checkpoint(checkpoint), m_builder(builder) {}

const QHash<QString, TorchGlobals::Handler>& TorchGlobals::handlers()
{
    static const QHash<QString, Handler> kHandlers = {
        {QStringLiteral("torch._utils._rebuild_tensor"), &TorchGlobals::rebuildTensor},
        {QStringLiteral("torch._utils._rebuild_tensor_v2"), &TorchGlobals::rebuildTensorV2},
        {QStringLiteral("torch._utils._rebuild_tensor_v3"), &TorchGlobals::rebuildTensorV3},
        {QStringLiteral("torch._utils._rebuild_parameter"), &TorchGlobals::rebuildParameter},
        {QStringLiteral("torch._utils._rebuild_parameter_with_state"), &TorchGlobals::rebuildParameter},
        {QStringLiteral("torch.nn.parameter.Parameter"), &TorchGlobals::parameter},
        {QStringLiteral("torch._tensor._rebuild_from_type_v2"), &TorchGlobals::rebuildFromType},
        {QStringLiteral("torch._tensor._rebuild_from_type"), &TorchGlobals::rebuildFromType},
        {QStringLiteral("torch._utils._rebuild_qtensor"), &TorchGlobals::rebuildQTensor},
        {QStringLiteral("torch._utils._rebuild_sparse_tensor"), &TorchGlobals::rebuildSparse},
        {QStringLiteral("torch._utils._rebuild_sparse_csr_tensor"), &TorchGlobals::rebuildSparse},
        {QStringLiteral("torch._utils._rebuild_meta_tensor_no_storage"), &TorchGlobals::rebuildMeta},
        {QStringLiteral("torch._utils._rebuild_wrapper_subclass"), &TorchGlobals::rebuildWrapperSubclass},
        {QStringLiteral("torch._utils._rebuild_device_tensor_from_cpu_tensor"), &TorchGlobals::rebuildFromCpuTensor},
        {QStringLiteral("torch.Tensor"), &TorchGlobals::legacyTensor},
        {QStringLiteral("torch.Size"), &TorchGlobals::torchSize},
        {QStringLiteral("torch.device"), &TorchGlobals::torchDevice},
        {QStringLiteral("torch.serialization._get_layout"), &TorchGlobals::getLayout},
        {QStringLiteral("collections.OrderedDict"), &TorchGlobals::orderedDict},
        {QStringLiteral("collections.Counter"), &TorchGlobals::counter},
        {QStringLiteral("_codecs.encode"), &TorchGlobals::codecsEncode},
        {QStringLiteral("builtins.bytes"), &TorchGlobals::bytes},
        {QStringLiteral("builtins.bytearray"), &TorchGlobals::bytes},
        {QStringLiteral("builtins.set"), &TorchGlobals::set},
        {QStringLiteral("builtins.frozenset"), &TorchGlobals::set},
        {QStringLiteral("builtins.complex"), &TorchGlobals::complex},
        {QStringLiteral("builtins.slice"), &TorchGlobals::slice},
        {QStringLiteral("numpy.core.multiarray._reconstruct"), &TorchGlobals::numpyReconstruct},
        {QStringLiteral("numpy._core.multiarray._reconstruct"), &TorchGlobals::numpyReconstruct},
        {QStringLiteral("numpy.dtype"), &TorchGlobals::numpyDtype},
        {QStringLiteral("numpy.core.multiarray.scalar"), &TorchGlobals::numpyScalar},
        {QStringLiteral("numpy._core.multiarray.scalar"), &TorchGlobals::numpyScalar},
        {QStringLiteral("torch.jit._pickle.build_intlist"), &TorchGlobals::jitList},
        {QStringLiteral("torch.jit._pickle.build_tensorlist"), &TorchGlobals::jitList},
        {QStringLiteral("torch.jit._pickle.build_doublelist"), &TorchGlobals::jitList},
        {QStringLiteral("torch.jit._pickle.build_boollist"), &TorchGlobals::jitList},
        {QStringLiteral("torch.jit._pickle.restore_type_tag"), &TorchGlobals::restoreTypeTag},
    };
    return kHandlers;
}

Value* TorchGlobals::global(const QString& qualifiedName)
{
    DType dtype = DType::Unknown;
    if (isTorchDtypeName(qualifiedName, &dtype)) {
        Value* value = m_builder.make(ValueKind::DType);
        value->dtype = dtype;
        return value;
    }
    Value* value = m_builder.make(ValueKind::Global);
    value->text = qualifiedName;
    return value;
}

Result<Value*> TorchGlobals::call(Value* callee, Value* args, CallKind kind)
{
    return dispatch(callee, args, kind, 0);
}

Result<Value*> TorchGlobals::dispatch(Value* callee, Value* args, CallKind kind, int nesting)
{
    if (callee->kind != ValueKind::Global)
        return nullptr;
    const Handler handler = handlers().value(callee->text, nullptr);
    if (!handler)
        return nullptr;
    const auto* items = itemsOf(args);
    if (!items)
        return badArguments(QStringLiteral("the arguments are %1, not a tuple").arg(args->summary(60)));
    return (this->*handler)(Call{callee, args, *items, kind, nesting});
}

// ---- tensors -----------------------------------------------------------------------------------

Value* TorchGlobals::addTensor(TensorInfo tensor)
{
    const DType dtype = tensor.dtype;
    m_checkpoint.rebuilt.push_back(std::move(tensor));
    Value* value = m_builder.make(ValueKind::Tensor);
    value->index = int(m_checkpoint.rebuilt.size() - 1);
    value->dtype = dtype;
    return value;
}

const TensorInfo* TorchGlobals::tensorInfo(const Value* value) const
{
    if (value->kind != ValueKind::Tensor || value->index < 0 || size_t(value->index) >= m_checkpoint.rebuilt.size())
        return nullptr;
    return &m_checkpoint.rebuilt[size_t(value->index)];
}

Value* TorchGlobals::deriveTensor(const Value* tensor, TensorInfo** info)
{
    const TensorInfo* source = tensorInfo(tensor);
    if (!source)
        return nullptr;
    TensorInfo copy = *source;  // copied first: push_back may move the source
    Value* value = addTensor(std::move(copy));
    *info = &m_checkpoint.rebuilt.back();
    return value;
}

// storage, offset, size, stride: the geometry every strided rebuild shares, checked against the
// storage before the tensor exists (an empty tensor needs no storage, so its offset is free).
Result<TensorInfo> TorchGlobals::stridedTensor(Value* storage, const Value* offset, const Value* size, const Value* stride, DType dtype)
{
    if (storage->kind != ValueKind::Storage || storage->index < 0 || storage->index >= m_checkpoint.storages.size())
        return badArguments(QStringLiteral("the storage argument is %1, not a storage").arg(storage->summary(60)));
    const StorageInfo& info = m_checkpoint.storages[storage->index];
    TensorInfo tensor;
    tensor.storage = storage->index;
    tensor.dtype = dtype != DType::Unknown ? dtype : storage->dtype != DType::Unknown ? storage->dtype : info.dtype;
    if (!info.location.isEmpty())
        tensor.device = info.location;
    if (!toInteger(offset, &tensor.storageOffset) || tensor.storageOffset < 0)
        return badArguments(QStringLiteral("storage offset %1 is not a non-negative integer").arg(offset->summary(40)));
    auto shape = shapeArgument(size, "size");
    if (!shape)
        return shape.error();
    tensor.shape = std::move(*shape);
    auto strides = strideArgument(stride, tensor.shape);
    if (!strides)
        return strides.error();
    tensor.strides = std::move(*strides);
    if (tensor.numel() > 0) {
        qint64 extent = 0;
        if (!checkedExtent(tensor.shape, tensor.strides, tensor.storageOffset, &extent))
            return badArguments(QStringLiteral("the view (offset %1, size %2, stride %3) overflows").arg(tensor.storageOffset).arg(size->summary(60), stride->summary(60)));
        const qint64 held = info.nbytes / dtypeItemSize(tensor.dtype);
        if (extent >= held)
            return badArguments(QStringLiteral("tensor needs %1 elements of storage '%2' but it holds %3")
                                    .arg(quint64(extent) + 1).arg(info.key).arg(held));
    }
    return tensor;
}

// _rebuild_tensor(storage, storage_offset, size, stride): the oldest form.
Result<Value*> TorchGlobals::rebuildTensor(const Call& call)
{
    if (Status status = expectArguments(call.items, 4, 4); !status)
        return status.error();
    auto tensor = stridedTensor(call.items[0], call.items[1], call.items[2], call.items[3], DType::Unknown);
    if (!tensor)
        return tensor.error();
    return addTensor(std::move(*tensor));
}

namespace {
// The optional metadata dict of _rebuild_tensor_v2/v3 (torch._C._get_tensor_metadata): the
// conj and neg bits, present only when set.
void applyTensorMetadata(const Value* metadata, TensorInfo* tensor)
{
    if (metadata->kind != ValueKind::Dict)
        return;
    if (const Value* conj = metadata->find(u"conj"))
        tensor->conj = truthy(conj);
    if (const Value* neg = metadata->find(u"neg"))
        tensor->neg = truthy(neg);
}
}  // namespace

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
Result<Value*> TorchGlobals::rebuildTensorV2(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 6, 7); !status)
        return status.error();
    auto tensor = stridedTensor(a[0], a[1], a[2], a[3], DType::Unknown);
    if (!tensor)
        return tensor.error();
    tensor->requiresGrad = truthy(a[4]);
    if (a.size() > 6)
        applyTensorMetadata(a[6], &*tensor);
    return addTensor(std::move(*tensor));
}

// _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata]):
// the storage is untyped (counted in bytes) and the dtype explicit.
Result<Value*> TorchGlobals::rebuildTensorV3(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 7, 8); !status)
        return status.error();
    if (a[6]->kind != ValueKind::DType)
        return badArguments(QStringLiteral("the dtype argument is %1, not a dtype").arg(a[6]->summary(40)));
    auto tensor = stridedTensor(a[0], a[1], a[2], a[3], a[6]->dtype);
    if (!tensor)
        return tensor.error();
    tensor->requiresGrad = truthy(a[4]);
    if (a.size() > 7)
        applyTensorMetadata(a[7], &*tensor);
    return addTensor(std::move(*tensor));
}

// _rebuild_parameter(data, requires_grad, backward_hooks) and _rebuild_parameter_with_state(...,
// state): the tensor, marked as a parameter. Its Python attributes (state) are not kept. A
// parameter around something we could not interpret stays opaque.
Result<Value*> TorchGlobals::rebuildParameter(const Call& call)
{
    if (Status status = expectArguments(call.items, 3, 4); !status)
        return status.error();
    TensorInfo* info = nullptr;
    Value* value = deriveTensor(call.items[0], &info);
    if (!value)
        return nullptr;
    info->isParameter = true;
    info->requiresGrad = truthy(call.items[1]);
    return value;
}

// Parameter(data, requires_grad=True), through REDUCE or NEWOBJ.
Result<Value*> TorchGlobals::parameter(const Call& call)
{
    if (Status status = expectArguments(call.items, 0, 2); !status)
        return status.error();
    TensorInfo* info = nullptr;
    Value* value = call.items.empty() ? nullptr : deriveTensor(call.items[0], &info);
    if (!value)
        return nullptr;
    info->isParameter = true;
    info->requiresGrad = call.items.size() < 2 || truthy(call.items[1]);
    return value;
}

// _rebuild_from_type_v2(func, new_type, args, state) (and v1 with the same shape): func(*args),
// converted to a tensor subclass. The subclass's Python state is not kept.
Result<Value*> TorchGlobals::rebuildFromType(const Call& call)
{
    if (Status status = expectArguments(call.items, 4, 4); !status)
        return status.error();
    if (call.nesting >= kMaxRebuildNesting)
        return badArguments(QStringLiteral("rebuild calls nested more than %1 deep").arg(kMaxRebuildNesting));
    Value* func = call.items[0];
    const Value* type = call.items[1];
    auto inner = dispatch(func, call.items[2], CallKind::Call, call.nesting + 1);
    if (!inner)
        return badArguments(QStringLiteral("%1: %2").arg(func->text, inner.error().message));
    if (!*inner || (*inner)->kind != ValueKind::Tensor)
        return nullptr;  // func is not a rebuild we know: the whole call stays opaque
    TensorInfo* info = nullptr;
    Value* value = deriveTensor(*inner, &info);
    if (type->kind == ValueKind::Global) {
        if (type->text == QLatin1String(kParameterClass))
            info->isParameter = true;
        else if (type->text != QLatin1String(kTensorClass))
            info->subclass = type->text;
    }
    return value;
}

// _rebuild_qtensor(storage, storage_offset, size, stride, quantizer_params, requires_grad, backward_hooks)
Result<Value*> TorchGlobals::rebuildQTensor(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 7, 7); !status)
        return status.error();
    auto tensor = stridedTensor(a[0], a[1], a[2], a[3], DType::Unknown);
    if (!tensor)
        return tensor.error();
    const auto* params = itemsOf(a[4]);
    if (!params || params->empty())
        return badArguments(QStringLiteral("quantizer parameters %1 are not a tuple").arg(a[4]->summary(80)));
    QuantizationInfo& q = tensor->quantization;
    const Value* scheme = params->front();
    q.scheme = scheme->kind == ValueKind::Global ? qschemeFromName(scheme->text) : QScheme::None;
    switch (q.scheme) {
    case QScheme::PerTensorAffine:
    case QScheme::PerTensorSymmetric:
        // (scheme, scale, zero_point)
        if (params->size() != 3 || !toReal((*params)[1], &q.scale) || !toInteger((*params)[2], &q.zeroPoint))
            return badArguments(QStringLiteral("per-tensor quantizer parameters %1 are not (scheme, scale, zero_point)").arg(a[4]->summary(80)));
        break;
    case QScheme::PerChannelAffine:
    case QScheme::PerChannelSymmetric:
    case QScheme::PerChannelAffineFloatQParams: {
        // (scheme, scales, zero_points, axis); scales and zero points are tensors (or lists).
        if (params->size() != 4 || !toInteger((*params)[3], &q.axis) || q.axis < 0 || q.axis >= qMax<qint64>(tensor->shape.size(), 1))
            return badArguments(QStringLiteral("per-channel quantizer parameters %1 are not (scheme, scales, zero_points, axis)").arg(a[4]->summary(80)));
        if (const TensorInfo* scales = tensorInfo((*params)[1]))
            q.scales = std::make_shared<TensorInfo>(*scales);
        if (const TensorInfo* zeroPoints = tensorInfo((*params)[2]))
            q.zeroPoints = std::make_shared<TensorInfo>(*zeroPoints);
        break;
    }
    case QScheme::None:
        return badArguments(QStringLiteral("unknown quantization scheme %1").arg(scheme->summary(60)));
    }
    tensor->requiresGrad = truthy(a[5]);
    return addTensor(std::move(*tensor));
}

// _rebuild_sparse_tensor(layout, data) and the older _rebuild_sparse_csr_tensor(layout, data):
//   COO:     data = (indices [sparse_dims, nnz], values [nnz, dense...], size[, is_coalesced])
//   CSR/BSR: data = (crow_indices, col_indices, values, size)
//   CSC/BSC: data = (ccol_indices, row_indices, values, size)
// The result has no storage of its own; its component tensors carry the bytes.
Result<Value*> TorchGlobals::rebuildSparse(const Call& call)
{
    if (Status status = expectArguments(call.items, 2, 2); !status)
        return status.error();
    const Layout layout = layoutOf(call.items[0]);
    if (layout == Layout::Strided || layout == Layout::Meta || layout == Layout::Unknown)
        return badArguments(QStringLiteral("%1 is not a sparse layout").arg(call.items[0]->summary(60)));
    const auto* data = itemsOf(call.items[1]);
    if (!data)
        return badArguments(QStringLiteral("the sparse data %1 is not a tuple").arg(call.items[1]->summary(60)));
    const bool coo = layout == Layout::SparseCoo;
    if (coo ? (data->size() < 3 || data->size() > 4) : data->size() != 4)
        return badArguments(QStringLiteral("the %1 data has %2 parts").arg(layoutName(layout)).arg(data->size()));
    const size_t indexCount = coo ? 1 : 2;
    QVector<const TensorInfo*> parts;
    for (size_t i = 0; i <= indexCount; ++i) {
        const TensorInfo* part = tensorInfo((*data)[i]);
        if (!part)
            return badArguments(QStringLiteral("part %1 of the %2 data is %3, not a tensor").arg(i).arg(layoutName(layout), (*data)[i]->summary(40)));
        if (i < indexCount && !isIndexType(part->dtype))
            return badArguments(QStringLiteral("the %1 indices are %2, not int64 or int32").arg(layoutName(layout), dtypeName(part->dtype)));
        parts.append(part);
    }
    const TensorInfo& values = *parts.back();
    auto size = shapeArgument((*data)[indexCount + 1], "size");
    if (!size)
        return size.error();
    qint64 nnz = 0;
    if (coo) {
        const TensorInfo& indices = *parts[0];
        if (indices.shape.size() != 2 || values.shape.isEmpty())
            return badArguments(QStringLiteral("COO indices must be 2-D and values at least 1-D"));
        nnz = indices.shape[1];
        if (size->size() != indices.shape[0] + values.shape.size() - 1)
            return badArguments(QStringLiteral("a COO tensor of %1 sparse and %2 dense dimensions cannot have size %3")
                                    .arg(indices.shape[0]).arg(values.shape.size() - 1).arg((*data)[2]->summary(60)));
    } else {
        const TensorInfo& compressed = *parts[0];
        const TensorInfo& plain = *parts[1];
        const qsizetype batch = compressed.shape.size() - 1;
        if (compressed.shape.isEmpty() || plain.shape.size() != compressed.shape.size() || values.shape.size() <= batch
            || size->size() < batch + 2)
            return badArguments(QStringLiteral("the %1 index, value and size ranks do not agree").arg(layoutName(layout)));
        nnz = plain.shape.back();
        if (values.shape[batch] != nnz)
            return badArguments(QStringLiteral("%1 values hold %2 entries but the indices %3").arg(layoutName(layout)).arg(values.shape[batch]).arg(nnz));
    }
    if (coo && values.shape[0] != nnz)
        return badArguments(QStringLiteral("sparse_coo values hold %1 entries but the indices %2").arg(values.shape[0]).arg(nnz));
    TensorInfo tensor;
    tensor.layout = layout;
    tensor.dtype = values.dtype;
    tensor.shape = std::move(*size);
    tensor.device = values.device;
    for (const TensorInfo* part : parts)
        tensor.components.append(std::make_shared<TensorInfo>(*part));
    return addTensor(std::move(tensor));
}

// _rebuild_meta_tensor_no_storage(dtype, size, stride[, requires_grad]): shape only.
Result<Value*> TorchGlobals::rebuildMeta(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 3, 4); !status)
        return status.error();
    if (a[0]->kind != ValueKind::DType)
        return badArguments(QStringLiteral("the dtype argument is %1, not a dtype").arg(a[0]->summary(40)));
    TensorInfo tensor;
    tensor.dtype = a[0]->dtype;
    tensor.device = QStringLiteral("meta");
    auto shape = shapeArgument(a[1], "size");
    if (!shape)
        return shape.error();
    tensor.shape = std::move(*shape);
    auto strides = strideArgument(a[2], tensor.shape);
    if (!strides)
        return strides.error();
    tensor.strides = std::move(*strides);
    tensor.requiresGrad = a.size() > 3 && truthy(a[3]);
    return addTensor(std::move(tensor));
}

// _rebuild_wrapper_subclass(cls, dtype, size, stride, storage_offset, layout, device, requires_grad):
// a storage-less subclass instance (FakeTensor, FunctionalTensor...).
Result<Value*> TorchGlobals::rebuildWrapperSubclass(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 8, 8); !status)
        return status.error();
    if (a[1]->kind != ValueKind::DType)
        return badArguments(QStringLiteral("the dtype argument is %1, not a dtype").arg(a[1]->summary(40)));
    TensorInfo tensor;
    tensor.dtype = a[1]->dtype;
    if (a[0]->kind == ValueKind::Global && a[0]->text != QLatin1String(kTensorClass))
        tensor.subclass = a[0]->text;
    tensor.layout = layoutOf(a[5]);
    auto shape = shapeArgument(a[2], "size");
    if (!shape)
        return shape.error();
    tensor.shape = std::move(*shape);
    if (tensor.layout == Layout::Strided) {  // other layouts have no strides to check
        auto strides = strideArgument(a[3], tensor.shape);
        if (!strides)
            return strides.error();
        tensor.strides = std::move(*strides);
    }
    if (!toInteger(a[4], &tensor.storageOffset) || tensor.storageOffset < 0)
        return badArguments(QStringLiteral("storage offset %1 is not a non-negative integer").arg(a[4]->summary(40)));
    QString device;
    if (a[6]->kind == ValueKind::Device || textOf(a[6], &device))
        tensor.device = a[6]->kind == ValueKind::Device ? a[6]->text : device;
    tensor.requiresGrad = truthy(a[7]);
    return addTensor(std::move(tensor));
}

// _rebuild_device_tensor_from_cpu_tensor(cpu_tensor, dtype, device, requires_grad): the data is
// the CPU tensor's; only the recorded device changes. (torch would also convert to `dtype`, but
// the bytes in the file are the CPU tensor's, in its dtype.)
Result<Value*> TorchGlobals::rebuildFromCpuTensor(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 4, 4); !status)
        return status.error();
    TensorInfo* info = nullptr;
    Value* value = deriveTensor(a[0], &info);
    if (!value)
        return nullptr;
    QString device;
    if (a[2]->kind == ValueKind::Device)
        info->device = a[2]->text;
    else if (textOf(a[2], &device))
        info->device = device;
    info->requiresGrad = truthy(a[3]);
    return value;
}

// torch.Tensor() (legacy pickles follow it with BUILD (storage, offset, size, stride)): an empty
// float tensor until then.
Result<Value*> TorchGlobals::legacyTensor(const Call& call)
{
    if (!call.items.empty())
        return nullptr;
    TensorInfo tensor;
    tensor.dtype = DType::Float32;
    tensor.shape = {0};
    tensor.strides = {1};
    return addTensor(std::move(tensor));
}

Result<bool> TorchGlobals::build(Value* target, Value* state)
{
    if (target->kind != ValueKind::Tensor)
        return false;
    const TensorInfo* current = tensorInfo(target);
    const auto* items = itemsOf(state);
    // Tensor.__setstate__ with four items is set_(storage, offset, size, stride); any other state
    // (requires_grad, hooks, Python attributes) changes nothing a reader shows.
    if (!current || current->storage >= 0 || state->kind != ValueKind::Tuple || items->size() != 4)
        return true;
    auto tensor = stridedTensor((*items)[0], (*items)[1], (*items)[2], (*items)[3], DType::Unknown);
    if (!tensor)
        return tensor.error();
    TensorInfo& entry = m_checkpoint.rebuilt[size_t(target->index)];
    tensor->requiresGrad = entry.requiresGrad;
    entry = std::move(*tensor);
    target->dtype = entry.dtype;
    return true;
}

Status TorchGlobals::buildArray(Value* target, const Value* state)
{
    // numpy's ndarray.__setstate__ takes (version, shape, dtype, is_fortran, data) or the same
    // without the version.
    const auto* items = itemsOf(state);
    if (!items || state->kind != ValueKind::Tuple || (items->size() != 4 && items->size() != 5))
        return badArguments(QStringLiteral("a numpy array state must be (version, shape, dtype, fortran, data), got %1").arg(state->summary(80)));
    const size_t first = items->size() - 4;
    const Value* shapeValue = (*items)[first];
    const Value* dtype = (*items)[first + 1];
    const Value* fortran = (*items)[first + 2];
    const Value* data = (*items)[first + 3];
    TensorInfo array;
    array.kind = TensorKind::Array;
    qint64 numel = 0;
    if (!toShape(shapeValue, &array.shape) || !checkedNumel(array.shape, &numel))
        return badArguments(QStringLiteral("a numpy array shape must be a tuple of sizes, got %1").arg(shapeValue->summary(80)));
    QString code;
    if (dtype->kind != ValueKind::Object || dtype->text != QLatin1String("numpy.dtype") || !dtype->args() || dtype->args()->items.empty()
        || !textOf(dtype->args()->items[0], &code))
        return badArguments(QStringLiteral("a numpy array dtype must be a numpy.dtype, got %1").arg(dtype->summary(80)));
    // The byte order is the second item of the dtype's own BUILD state ('<', '>', '|' or '=').
    QString order = QStringLiteral("|");
    if (dtype->state() && dtype->state()->kind == ValueKind::Tuple && dtype->state()->items.size() > 1
        && dtype->state()->items[1]->kind == ValueKind::String)
        order = dtype->state()->items[1]->text;
    const bool columnMajor = fortran->kind == ValueKind::Bool && fortran->boolean;
    const NumpyType type = describeNumpyArray(&array, order, code, columnMajor);
    if (type.dtype != DType::Unknown && data->kind == ValueKind::Bytes) {
        const QByteArray& bytes = data->bytes();
        const bool fits = numel <= std::numeric_limits<qint64>::max() / type.size;
        if (!fits || bytes.size() != numel * type.size)
            return badArguments(QStringLiteral("a numpy %1 array of %2 elements needs %3 bytes, the pickle holds %4")
                                    .arg(array.numpyDtype)
                                    .arg(numel)
                                    .arg(fits ? QString::number(numel * type.size) : QStringLiteral("more than 2^63"))
                                    .arg(bytes.size()));
        StorageInfo storage;
        storage.key = QStringLiteral("numpy array %1").arg(m_checkpoint.storages.size());
        storage.dtype = type.dtype;
        storage.nbytes = bytes.size();
        storage.location = QStringLiteral("cpu");
        storage.file = -1;
        storage.isInline = true;
        storage.inlineBytes = bytes;  // shared with the pickle's value
        storage.bigEndian = order == QLatin1String(">") && type.size > 1;
        m_checkpoint.storages.append(storage);
        array.storage = int(m_checkpoint.storages.size() - 1);
        array.dtype = type.dtype;
    }
    // Strings, objects and records are listed with NumPy's dtype and no storage: nothing is computed on them.
    m_checkpoint.rebuilt.push_back(std::move(array));
    target->index = int(m_checkpoint.rebuilt.size() - 1);
    return Ok{};
}

Result<Value*> TorchGlobals::torchSize(const Call& call)
{
    if (Status status = expectArguments(call.items, 0, 1); !status)
        return status.error();
    Value* size = m_builder.make(ValueKind::Tuple);
    if (call.items.empty())
        return size;
    QVector<qint64> dims;
    if (!toShape(call.items[0], &dims))
        return badArguments(QStringLiteral("torch.Size takes a tuple of integers, not %1").arg(call.items[0]->summary(60)));
    size->items = call.items[0]->items;
    return size;
}

// torch.device('cuda', 1), torch.device('cuda:1'), torch.device('cpu').
Result<Value*> TorchGlobals::torchDevice(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 1, 2); !status)
        return status.error();
    QString type;
    if (a[0]->kind == ValueKind::Device)
        type = a[0]->text;
    else if (!textOf(a[0], &type))
        return badArguments(QStringLiteral("device type %1 is not a string").arg(a[0]->summary(40)));
    const QString name = type.section(u':', 0, 0);
    const QString index = type.section(u':', 1);
    bool validIndex = true;
    if (type.contains(u':'))
        index.toUInt(&validIndex);
    if (name.isEmpty() || !validIndex || type.count(u':') > 1)
        return badArguments(QStringLiteral("'%1' is not a device").arg(type.left(40)));
    if (a.size() == 2 && a[1]->kind != ValueKind::None) {
        qint64 number = 0;
        if (type.contains(u':') || !toInteger(a[1], &number) || number < 0)
            return badArguments(QStringLiteral("device index %1 for '%2' is not valid").arg(a[1]->summary(40), type.left(40)));
        type += u':' + QString::number(number);
    }
    Value* device = m_builder.make(ValueKind::Device);
    device->text = type;
    return device;
}

// torch.serialization._get_layout('torch.sparse_coo'): how layouts pickle.
Result<Value*> TorchGlobals::getLayout(const Call& call)
{
    QString name;
    if (call.items.size() != 1 || !textOf(call.items[0], &name))
        return badArguments(QStringLiteral("takes one layout name"));
    Value* layout = m_builder.make(ValueKind::Layout);
    layout->text = name;
    return layout;
}

// ---- collections and builtins --------------------------------------------------------------------

Status TorchGlobals::fillDict(Value* dict, const Value* source)
{
    if (source->kind == ValueKind::Dict) {
        for (const auto& [key, value] : source->entries()) {
            if (Status status = m_builder.setItem(dict, key, value); !status)
                return status;
        }
        return Ok{};
    }
    const auto* pairs = itemsOf(source);
    if (!pairs)
        return badArguments(QStringLiteral("cannot make a dict from %1").arg(source->summary(60)));
    for (const Value* pair : *pairs) {
        const auto* kv = itemsOf(pair);
        if (!kv || kv->size() != 2)
            return badArguments(QStringLiteral("dict item %1 is not a key/value pair").arg(pair->summary(60)));
        if (Status status = m_builder.setItem(dict, (*kv)[0], (*kv)[1]); !status)
            return status;
    }
    return Ok{};
}

// OrderedDict() then SETITEMS (how state dicts pickle), or OrderedDict([(k, v), ...]).
Result<Value*> TorchGlobals::orderedDict(const Call& call)
{
    if (call.kind == CallKind::Call) {
        if (Status status = expectArguments(call.items, 0, 1); !status)
            return status.error();
    }
    Value* dict = m_builder.make(ValueKind::Dict);
    dict->text = QStringLiteral("OrderedDict");
    // NEWOBJ calls only __new__, which leaves the dict empty whatever the arguments.
    if (call.kind == CallKind::Call && !call.items.empty()) {
        if (Status status = fillDict(dict, call.items[0]); !status)
            return status.error();
    }
    return dict;
}

// Counter({key: count}) is how a Counter pickles; counting an iterable is left opaque.
Result<Value*> TorchGlobals::counter(const Call& call)
{
    if (call.kind == CallKind::Call && (call.items.size() > 1 || (call.items.size() == 1 && call.items[0]->kind != ValueKind::Dict)))
        return nullptr;
    Value* dict = m_builder.make(ValueKind::Dict);
    dict->text = QStringLiteral("Counter");
    if (call.kind == CallKind::Call && !call.items.empty()) {
        if (Status status = fillDict(dict, call.items[0]); !status)
            return status.error();
    }
    return dict;
}

Result<Value*> TorchGlobals::encodeText(const QString& text, const QString& encoding)
{
    const QString codec = encoding.toLower().replace(u'_', u'-');
    Value* bytes = m_builder.make(ValueKind::Bytes);
    if (codec == QLatin1String("utf-8") || codec == QLatin1String("utf8")) {
        bytes->extras().bytes = text.toUtf8();
        return bytes;
    }
    int highest = 0;
    if (codec == QLatin1String("latin1") || codec == QLatin1String("latin-1") || codec == QLatin1String("iso-8859-1")
        || codec == QLatin1String("iso8859-1") || codec == QLatin1String("l1"))
        highest = 0xFF;
    else if (codec == QLatin1String("ascii"))
        highest = 0x7F;
    else
        return nullptr;  // a codec we do not reproduce: the call stays opaque
    // Protocol 2 writes bytes as encode(latin-1 text, 'latin1'): one code point per byte.
    bytes->extras().bytes.resize(text.size());
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t unit = text[i].unicode();
        if (unit > highest)
            return badArguments(QStringLiteral("code point U+%1 cannot be encoded as %2").arg(unit, 4, 16, QLatin1Char('0')).arg(encoding.left(20)));
        bytes->extras().bytes[i] = char(unit);
    }
    return bytes;
}

// _codecs.encode(text, encoding='utf-8'[, errors])
Result<Value*> TorchGlobals::codecsEncode(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 1, 3); !status)
        return status.error();
    if (a[0]->kind != ValueKind::String)
        return badArguments(QStringLiteral("encodes a str, not %1").arg(a[0]->summary(40)));
    QString encoding = QStringLiteral("utf-8");
    if (a.size() > 1 && !textOf(a[1], &encoding))
        return badArguments(QStringLiteral("the encoding %1 is not a string").arg(a[1]->summary(40)));
    return encodeText(a[0]->text, encoding);
}

// bytes() / bytearray(): empty (protocol 2's empty bytes), a copy of bytes, a list of byte
// values, or (text, encoding). bytes(n) would allocate n zero bytes, and long lists are not how
// pickles write bytes: both are left opaque.
Result<Value*> TorchGlobals::bytes(const Call& call)
{
    const Args& a = call.items;
    const bool bytearray = call.callee->text == QLatin1String("builtins.bytearray");
    if (a.empty() || (call.kind == CallKind::New && bytearray))
        return m_builder.make(ValueKind::Bytes);
    if (a.size() >= 2 && a.size() <= 3 && a[0]->kind == ValueKind::String) {
        QString encoding;
        if (!textOf(a[1], &encoding))
            return nullptr;
        return encodeText(a[0]->text, encoding);
    }
    if (a.size() != 1)
        return nullptr;
    if (a[0]->kind == ValueKind::Bytes) {
        Value* copy = m_builder.make(ValueKind::Bytes);
        copy->extras().bytes = a[0]->bytes();
        return copy;
    }
    const auto* values = itemsOf(a[0]);
    if (!values || values->size() > size_t(kMaxBytesFromList))
        return nullptr;
    QByteArray data;
    data.reserve(qsizetype(values->size()));
    for (const Value* item : *values) {
        qint64 byte = 0;
        if (!toInteger(item, &byte) || byte < 0 || byte > 255)
            return badArguments(QStringLiteral("%1 is not a byte value").arg(item->summary(20)));
        data.append(char(byte));
    }
    Value* result = m_builder.make(ValueKind::Bytes);
    result->extras().bytes = std::move(data);
    return result;
}

// set(iterable) / frozenset(iterable). set.__new__ (NEWOBJ) leaves the set empty.
Result<Value*> TorchGlobals::set(const Call& call)
{
    const Args& a = call.items;
    const bool frozen = call.callee->text == QLatin1String("builtins.frozenset");
    if (a.size() > 1)
        return badArguments(QStringLiteral("takes at most one iterable"));
    const std::vector<Value*>* items = nullptr;
    std::vector<Value*> keys;
    if (!a.empty() && (frozen || call.kind == CallKind::Call)) {
        const Value* source = a[0];
        if (source->kind == ValueKind::Dict) {
            for (const auto& entry : source->entries())
                keys.push_back(entry.first);
            items = &keys;
        } else if (source->kind == ValueKind::Tuple || source->kind == ValueKind::List || source->kind == ValueKind::Set
                   || source->kind == ValueKind::FrozenSet) {
            items = &source->items;
        } else {
            return nullptr;  // a string, a generator...: not a form pickles use
        }
    }
    Value* set = m_builder.make(frozen ? ValueKind::FrozenSet : ValueKind::Set);
    if (items) {
        for (Value* item : *items) {
            if (Status status = m_builder.addItem(set, item); !status)
                return status.error();
        }
    }
    return set;
}

// complex(real=0, imag=0)
Result<Value*> TorchGlobals::complex(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 0, 2); !status)
        return status.error();
    double parts[2] = {0.0, 0.0};
    for (size_t i = 0; i < a.size(); ++i) {
        if (!toReal(a[i], &parts[i]))
            return nullptr;  // complex('1+2j') or complex(complex): not how complex pickles
    }
    Value* value = m_builder.make(ValueKind::Complex);
    value->real = parts[0];
    value->extras().imag = parts[1];
    return value;
}

// slice(stop) / slice(start, stop[, step]): items are (start, stop, step).
Result<Value*> TorchGlobals::slice(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 1, 3); !status)
        return status.error();
    Value* value = m_builder.make(ValueKind::Slice);
    auto none = [this] { return m_builder.make(ValueKind::None); };
    if (a.size() == 1)
        value->items = {none(), a[0], none()};
    else
        value->items = {a[0], a[1], a.size() == 3 ? a[2] : none()};
    return value;
}

// ---- numpy -----------------------------------------------------------------------------------------

// _reconstruct(numpy.ndarray, (0,), b'b') makes an empty array; BUILD then gives it
// (version, shape, dtype, is_fortran, raw bytes). The bytes are never read here.
Result<Value*> TorchGlobals::numpyReconstruct(const Call& call)
{
    if (Status status = expectArguments(call.items, 3, 3); !status)
        return status.error();
    Value* array = m_builder.make(ValueKind::Object);
    array->extras().callee = call.callee;
    array->extras().args = call.args;
    array->text = QStringLiteral("numpy.ndarray");
    return array;
}

// numpy.dtype('f4', False, True), followed by BUILD (3, '<', ...) with the byte order.
Result<Value*> TorchGlobals::numpyDtype(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 1, 3); !status)
        return status.error();
    QString code;
    if (!textOf(a[0], &code))
        return nullptr;  // structured dtypes: opaque
    Value* dtype = m_builder.make(ValueKind::Object);
    dtype->extras().callee = call.callee;
    dtype->extras().args = call.args;
    dtype->text = QStringLiteral("numpy.dtype");
    dtype->dtype = numpyType(code).dtype;
    return dtype;
}

// numpy.core.multiarray.scalar(dtype, bytes) for the common numeric types: an Int, Float, Bool
// or Complex. Other types (strings, datetimes, object) stay opaque.
Result<Value*> TorchGlobals::numpyScalar(const Call& call)
{
    const Args& a = call.items;
    if (Status status = expectArguments(a, 1, 2); !status)
        return status.error();
    const Value* dtype = a[0];
    QString code;
    if (a.size() != 2 || dtype->kind != ValueKind::Object || dtype->text != QLatin1String("numpy.dtype") || !dtype->args()
        || dtype->args()->items.empty() || !textOf(dtype->args()->items[0], &code) || a[1]->kind != ValueKind::Bytes)
        return nullptr;
    const NumpyType type = numpyType(code);
    if (type.dtype == DType::Unknown)
        return nullptr;
    const QByteArray& raw = a[1]->bytes();
    if (raw.size() != type.size)
        return badArguments(QStringLiteral("a numpy %1 scalar needs %2 bytes, got %3").arg(code).arg(type.size).arg(raw.size()));
    // The byte order is the second item of the dtype's BUILD state ('<', '>', '|' or '=').
    bool bigEndian = code.startsWith(u'>');
    if (dtype->state() && dtype->state()->kind == ValueKind::Tuple && dtype->state()->items.size() > 1
        && dtype->state()->items[1]->kind == ValueKind::String)
        bigEndian = dtype->state()->items[1]->text == QLatin1String(">");
    const int partSize = type.kind == 'c' ? type.size / 2 : type.size;
    const quint64 bits = loadUnsigned(raw.constData(), partSize, bigEndian);
    Value* value = nullptr;
    switch (type.kind) {
    case 'b':
        value = m_builder.make(ValueKind::Bool);
        value->boolean = bits != 0;
        break;
    case 'i': {
        const int unused = 64 - 8 * type.size;  // sign-extend from the top bit
        value = m_builder.make(ValueKind::Int);
        value->integer = unused ? qint64(bits << unused) >> unused : qint64(bits);
        break;
    }
    case 'u':
        if (bits > quint64(std::numeric_limits<qint64>::max())) {
            value = m_builder.make(ValueKind::BigInt);
            value->text = QString::number(bits);
        } else {
            value = m_builder.make(ValueKind::Int);
            value->integer = qint64(bits);
        }
        break;
    case 'f':
        value = m_builder.make(ValueKind::Float);
        value->real = realFromBits(bits, type.size);
        break;
    case 'c':
        value = m_builder.make(ValueKind::Complex);
        value->real = realFromBits(bits, partSize);
        value->extras().imag = realFromBits(loadUnsigned(raw.constData() + partSize, partSize, bigEndian), partSize);
        break;
    default:
        return nullptr;
    }
    return value;
}

// ---- TorchScript -------------------------------------------------------------------------------

// build_intlist([1, 2]) and friends: the list itself, typed by the TorchScript side.
Result<Value*> TorchGlobals::jitList(const Call& call)
{
    if (call.items.size() != 1 || call.items[0]->kind != ValueKind::List)
        return nullptr;
    return call.items[0];
}

// restore_type_tag(obj, 'Dict[str, Tensor]'): the object itself.
Result<Value*> TorchGlobals::restoreTypeTag(const Call& call)
{
    if (Status status = expectArguments(call.items, 1, 2); !status)
        return status.error();
    return call.items[0];
}

}  // namespace statelens
