#include "core/scan/weights_only_releases.h"

#include <QSet>

namespace statelens {

namespace {

void insertTensorAndStorageClasses(QHash<QString, AllowedGlobal>* t)
{
    // torch._tensor_classes (C++): the legacy tensor types, dense and sparse, CPU and CUDA.
    const char* const tensorTypes[] = {"Byte", "Double", "Short", "Char", "Long", "Bool", "Half", "BFloat16", "Float", "Int"};
    for (const char* type : tensorTypes) {
        const QString name = QLatin1String(type) + QStringLiteral("Tensor");
        t->insert(QStringLiteral("torch.") + name, {GlobalKind::TensorType});
        t->insert(QStringLiteral("torch.cuda.") + name, {GlobalKind::TensorType});
        if (qstrcmp(type, "Bool") != 0) {  // no sparse bool tensor type
            t->insert(QStringLiteral("torch.sparse.") + name, {GlobalKind::TensorType});
            t->insert(QStringLiteral("torch.cuda.sparse.") + name, {GlobalKind::TensorType});
        }
    }
    // torch._storage_classes, and the CUDA ones torch/cuda/__init__.py adds.
    const std::pair<const char*, int> storages[] = {
        {"Double", 8}, {"Float", 4}, {"Half", 2}, {"BFloat16", 2}, {"Long", 8}, {"Int", 4}, {"Short", 2},
        {"Char", 1}, {"Byte", 1}, {"Bool", 1}, {"ComplexDouble", 16}, {"ComplexFloat", 8}};
    for (const auto& [type, size] : storages) {
        const QString name = QLatin1String(type) + QStringLiteral("Storage");
        t->insert(QStringLiteral("torch.") + name, {GlobalKind::StorageClass, size});
        t->insert(QStringLiteral("torch.cuda.") + name, {GlobalKind::StorageClass, size});
    }
    for (const auto& [type, size] : std::initializer_list<std::pair<const char*, int>>{
             {"QUInt8", 1}, {"QInt8", 1}, {"QInt32", 4}, {"QUInt4x2", 1}, {"QUInt2x4", 1}})
        t->insert(QStringLiteral("torch.") + QLatin1String(type) + QStringLiteral("Storage"), {GlobalKind::StorageClass, size});
    t->insert(QStringLiteral("torch.storage.TypedStorage"), {GlobalKind::StorageClass, 1});
    t->insert(QStringLiteral("torch.storage.UntypedStorage"), {GlobalKind::StorageClass, 1});
}

// torch 1.13.1, _get_allowed_globals() (90 names on Debian's build).
QHash<QString, AllowedGlobal> allowList1_13()
{
    QHash<QString, AllowedGlobal> t;
    for (const char* name : {"collections.OrderedDict", "torch.nn.parameter.Parameter", "torch.Size", "torch.Tensor"})
        t.insert(QLatin1String(name), {GlobalKind::Class});
    t.insert(QStringLiteral("torch.serialization._get_layout"), {GlobalKind::Function});
    for (const char* name : {"_rebuild_parameter", "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_sparse_tensor",
                             "_rebuild_meta_tensor_no_storage", "_rebuild_sparse_csr_tensor"})
        t.insert(QStringLiteral("torch._utils.") + QLatin1String(name), {GlobalKind::Function});
    for (const char* name : {"complex32", "complex64", "complex128", "float16", "float32", "float64", "int8", "int16", "int32", "int64"})
        t.insert(QStringLiteral("torch.") + QLatin1String(name), {GlobalKind::DType});
    insertTensorAndStorageClasses(&t);
    return t;
}

// torch 2.4 (the 2.4 docs build of serialization.py and the unpickler of that time): dtypes from
// storage._dtype_to_storage_type_map() and _new_dtypes(), qschemes, the rebuild functions of 2.4.
QHash<QString, AllowedGlobal> allowList2_4()
{
    QHash<QString, AllowedGlobal> t;
    for (const char* name : {"collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter", "torch.Size",
                             "torch.Tensor", "torch.device"})
        t.insert(QLatin1String(name), {GlobalKind::Class});
    t.insert(QStringLiteral("torch.serialization._get_layout"), {GlobalKind::Function});
    for (const char* name : {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "bfloat16",
                             "complex128", "complex64", "qint8", "qint32", "quint8", "quint4x2", "quint2x4", "float8_e5m2",
                             "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "bits8", "bits16", "bits1x8", "bits2x4",
                             "bits4x2", "complex32", "uint16", "uint32", "uint64"})
        t.insert(QStringLiteral("torch.") + QLatin1String(name), {GlobalKind::DType});
    insertTensorAndStorageClasses(&t);
    for (const char* name : {"per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
                             "per_channel_affine_float_qparams"})
        t.insert(QStringLiteral("torch.") + QLatin1String(name), {GlobalKind::QScheme});
    for (const char* name : {"_rebuild_parameter", "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_tensor",
                             "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage",
                             "_rebuild_nested_tensor", "_rebuild_wrapper_subclass"})
        t.insert(QStringLiteral("torch._utils.") + QLatin1String(name), {GlobalKind::Function});
    t.insert(QStringLiteral("torch._tensor._rebuild_from_type_v2"), {GlobalKind::Function});
    return t;
}

// torch 2.6.0 (Debian trixie's python3-torch 2.6.0+dfsg), _get_allowed_globals().
QHash<QString, AllowedGlobal> allowList2_6()
{
    QHash<QString, AllowedGlobal> t = allowList2_4();
    for (const char* name : {"builtins.bytearray", "builtins.set", "builtins.complex"})
        t.insert(QLatin1String(name), {GlobalKind::Class});
    t.insert(QStringLiteral("_codecs.encode"), {GlobalKind::Function});
    for (const char* name : {"_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor"})
        t.insert(QStringLiteral("torch._utils.") + QLatin1String(name), {GlobalKind::Function});
    return t;
}

// torch 2.14.1 (Debian sid's python3-torch 2.14.1+dfsg): 2.6 and the dtypes added since.
QHash<QString, AllowedGlobal> allowList2_14()
{
    QHash<QString, AllowedGlobal> t = allowList2_6();
    for (const char* name : {"float8_e8m0fnu", "float4_e2m1fn_x2", "bcomplex32", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6",
                             "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7"})
        t.insert(QStringLiteral("torch.") + QLatin1String(name), {GlobalKind::DType});
    return t;
}

const char kDocsMessage[] = "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
                            "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.";

}  // namespace

QString torchReleaseName(TorchRelease release)
{
    switch (release) {
    case TorchRelease::Torch1_13: return QStringLiteral("1.13");
    case TorchRelease::Torch2_4: return QStringLiteral("2.4");
    case TorchRelease::Torch2_6: return QStringLiteral("2.6");
    case TorchRelease::Torch2_14: return QStringLiteral("2.14");
    }
    return QString();
}

const QList<TorchRelease>& weightsOnlyReleases()
{
    static const QList<TorchRelease> releases{TorchRelease::Torch1_13, TorchRelease::Torch2_4, TorchRelease::Torch2_6, TorchRelease::Torch2_14};
    return releases;
}

const WeightsOnlyReleaseRules& weightsOnlyRules(TorchRelease release)
{
    static const QHash<QString, AllowedGlobal> list1_13 = allowList1_13();
    static const QHash<QString, AllowedGlobal> list2_4 = allowList2_4();
    static const QHash<QString, AllowedGlobal> list2_6 = allowList2_6();
    static const QHash<QString, AllowedGlobal> list2_14 = allowList2_14();
    static const WeightsOnlyReleaseRules rules1_13{TorchRelease::Torch1_13, &list1_13, false, true, false, false, false, false, false,
                                                   QStringLiteral("RuntimeError")};
    static const WeightsOnlyReleaseRules rules2_4{TorchRelease::Torch2_4, &list2_4, true, false, true, false, false, false, false,
                                                  QStringLiteral("RuntimeError")};
    static const WeightsOnlyReleaseRules rules2_6{TorchRelease::Torch2_6, &list2_6, true, false, true, true, true, true, true,
                                                  QStringLiteral("UnpicklingError")};
    static const WeightsOnlyReleaseRules rules2_14{TorchRelease::Torch2_14, &list2_14, true, false, true, true, true, true, true,
                                                   QStringLiteral("UnpicklingError"), true, true, true};
    switch (release) {
    case TorchRelease::Torch1_13: return rules1_13;
    case TorchRelease::Torch2_4: return rules2_4;
    case TorchRelease::Torch2_6: return rules2_6;
    case TorchRelease::Torch2_14: return rules2_14;
    }
    return rules1_13;
}

QString unsupportedGlobalMessage(TorchRelease release, const QString& module, const QString& name)
{
    const QString full = module + u'.' + name;
    switch (release) {
    case TorchRelease::Torch1_13:
        return QStringLiteral("Unsupported class %1").arg(full);
    case TorchRelease::Torch2_4:
        return QStringLiteral("Unsupported global: GLOBAL %1 was not an allowed global by default. Please use "
                              "`torch.serialization.add_safe_globals` to allowlist this global if you trust this class/function.")
            .arg(full);
    case TorchRelease::Torch2_6:
    case TorchRelease::Torch2_14:
        break;
    }
    return QStringLiteral("Unsupported global: GLOBAL %1 was not an allowed global by default. Please use "
                          "`torch.serialization.add_safe_globals([%2])` or the `torch.serialization.safe_globals([%2])` "
                          "context manager to allowlist this global if you trust this class/function.")
        .arg(full, name);
}

QString blockedGlobalMessage(const QString& module, const QString& name)
{
    return QStringLiteral("Trying to load unsupported GLOBAL %1.%2 whose module %1 is blocked.").arg(module, name);
}

QString specialGlobalMessage(const QString& qualifiedName)
{
    static const QSet<QString> nested{QStringLiteral("torch.nested._internal.nested_tensor.NestedTensor"),
                                      QStringLiteral("torch.nested._internal.nested_tensor._rebuild_njt"),
                                      QStringLiteral("torch._dynamo.decorators._DimRange")};
    static const QSet<QString> distributed{
        QStringLiteral("torch.distributed.device_mesh.DeviceMesh"), QStringLiteral("torch.distributed.tensor._dtensor_spec.DTensorSpec"),
        QStringLiteral("torch.distributed.tensor._dtensor_spec.TensorMeta"), QStringLiteral("torch.distributed.tensor.DTensor"),
        QStringLiteral("torch.distributed.tensor.placement_types.Partial"), QStringLiteral("torch.distributed.tensor.placement_types.Replicate"),
        QStringLiteral("torch.distributed.tensor.placement_types.Shard")};
    if (nested.contains(qualifiedName))
        return QStringLiteral("``torch.nested`` and ``torch._dynamo`` must be imported to load nested jagged tensors (NJTs)");
    if (distributed.contains(qualifiedName))
        return QStringLiteral("``torch.distributed.tensor`` must be imported to load DTensors");
    return QString();
}

QString unsupportedNewObjMessage(TorchRelease release, const QString& cls)
{
    if (release == TorchRelease::Torch2_6 || release == TorchRelease::Torch2_14)
        return QStringLiteral("Can only create new object for nn.Parameter or classes allowlisted via `add_safe_globals` but got %1").arg(cls);
    return QStringLiteral("Trying to instantiate unsupported class %1").arg(cls);
}

QString unsupportedBuildMessage(TorchRelease release, const QString& type)
{
    if (release == TorchRelease::Torch2_6 || release == TorchRelease::Torch2_14)
        return QStringLiteral("Can only build Tensor, Parameter, OrderedDict or types allowlisted via `add_safe_globals`, but got %1").arg(type);
    return QStringLiteral("Can only build Tensor, parameter or dict objects, but got %1").arg(type);
}

QString torch26UnsafeMessage()
{
    return QStringLiteral("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from `False` to "
                          "`True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can result in "
                          "arbitrary code execution. Do it only if you got the file from a trusted source.");
}

QString weightsOnlyWrappedMessage(TorchRelease release, const QString& exception, const QString& error)
{
    switch (release) {
    case TorchRelease::Torch1_13:
        if (exception != QLatin1String("RuntimeError"))
            return QString();
        return QStringLiteral("Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
                              "but it can result in arbitrary code execution.Do it only if you get the file from a trusted source. "
                              "WeightsUnpickler error: ") + error;
    case TorchRelease::Torch2_4:
        if (exception != QLatin1String("RuntimeError"))
            return QString();
        return QStringLiteral("Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
                              "but it can result in arbitrary code execution. Do it only if you get the file from a trusted source. "
                              "Alternatively, to load with `weights_only` please check the recommended steps in the following error "
                              "message. WeightsUnpickler error: ") + error;
    case TorchRelease::Torch2_6:
    case TorchRelease::Torch2_14:
        break;
    }
    // torch/serialization.py (2.6) _get_wo_message; from 2.10 the error comes after a blank line.
    const QString gap = release == TorchRelease::Torch2_14 ? QStringLiteral("\n\n") : QString();
    if (exception != QLatin1String("UnpicklingError"))
        return QString();
    const QString unsafe = torch26UnsafeMessage();
    if (error.contains(QLatin1String(" was not an allowed global by default."))) {
        return QStringLiteral("Weights only load failed. This file can still be loaded, to do so you have two options, "
                              "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. \n\t(1) ") + unsafe
               + QStringLiteral("\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the "
                                "following error message.\n\tWeightsUnpickler error: ") + error + QLatin1String(kDocsMessage);
    }
    if (error.contains(QLatin1String(" must be imported to load ")))
        return QStringLiteral("Weights only load failed. ") + error + QStringLiteral("\n ") + unsafe + u'\n';
    QString message = QStringLiteral("Weights only load failed. ") + unsafe + u'\n';
    if (!error.contains(QLatin1String(" is blocked.")))
        message += QStringLiteral("Please file an issue with the following so that we can make `weights_only=True` compatible with your "
                                  "use case: WeightsUnpickler error: ");
    return message + gap + error + QLatin1String(kDocsMessage);
}

void mapPython2Global(QString* module, QString* name, bool python2Exceptions)
{
    // 2.14: ("exceptions", X) -> ("builtins", X) for CPython's PYTHON2_EXCEPTIONS; StandardError
    // keeps its own mapping below.
    if (python2Exceptions && *module == QLatin1String("exceptions") && *name != QLatin1String("StandardError")) {
        *module = QStringLiteral("builtins");
        return;
    }
    struct Rename { const char* module; const char* name; const char* newModule; const char* newName; };
    static const Rename kNames[] = {
        {"__builtin__", "xrange", "builtins", "range"},   {"__builtin__", "reduce", "functools", "reduce"},
        {"__builtin__", "intern", "sys", "intern"},       {"__builtin__", "unichr", "builtins", "chr"},
        {"__builtin__", "unicode", "builtins", "str"},    {"__builtin__", "long", "builtins", "int"},
        {"itertools", "izip", "builtins", "zip"},         {"itertools", "imap", "builtins", "map"},
        {"itertools", "ifilter", "builtins", "filter"},   {"itertools", "ifilterfalse", "itertools", "filterfalse"},
        {"itertools", "izip_longest", "itertools", "zip_longest"}, {"UserDict", "IterableUserDict", "collections", "UserDict"},
        {"UserList", "UserList", "collections", "UserList"}, {"UserString", "UserString", "collections", "UserString"},
        {"__builtin__", "basestring", "builtins", "str"}, {"exceptions", "StandardError", "builtins", "Exception"},
        {"UserDict", "UserDict", "collections", "UserDict"}};
    for (const Rename& rename : kNames) {
        if (*module == QLatin1String(rename.module) && *name == QLatin1String(rename.name)) {
            *module = QLatin1String(rename.newModule);
            *name = QLatin1String(rename.newName);
            return;
        }
    }
    static const std::pair<const char*, const char*> kModules[] = {
        {"__builtin__", "builtins"}, {"copy_reg", "copyreg"}, {"Queue", "queue"}, {"repr", "reprlib"}, {"_abcoll", "collections.abc"},
        {"UserDict", "collections"}, {"UserList", "collections"}, {"UserString", "collections"}, {"whichdb", "dbm"},
        {"StringIO", "io"}, {"cStringIO", "io"}};
    for (const auto& [from, to] : kModules) {
        if (*module == QLatin1String(from)) {
            *module = QLatin1String(to);
            return;
        }
    }
}

bool isBlockedModule(const QString& module)
{
    return module == QLatin1String("sys") || module == QLatin1String("os") || module == QLatin1String("posix") || module == QLatin1String("nt");
}

}  // namespace statelens
