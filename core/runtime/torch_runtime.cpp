#include "core/runtime/torch_runtime.h"

#include "core/diff/tensor_diff.h"
#include "core/match/architecture.h"
#include "core/runtime/cuda_driver_info.h"
#include "core/stats/moments.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLibrary>

namespace statelens {

TorchRuntime& TorchRuntime::instance()
{
    static TorchRuntime runtime;
    return runtime;
}

QStringList TorchRuntime::candidatePaths()
{
    QStringList paths;
    const QString fromEnvironment = qEnvironmentVariable("STATELENS_TORCH_MODULE");
    if (!fromEnvironment.isEmpty())
        paths.append(fromEnvironment);
    const QString name = QStringLiteral(STATELENS_TORCH_MODULE_NAME);
    if (QCoreApplication::instance()) {
        const QDir appDir(QCoreApplication::applicationDirPath());
        paths.append(appDir.filePath(name));
        paths.append(appDir.filePath(QStringLiteral(STATELENS_TORCH_MODULE_RELDIR "/") + name));
        paths.append(appDir.filePath(QStringLiteral("../Frameworks/") + name));  // macOS bundles
    }
    return paths;
}

Status TorchRuntime::load()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_api)
        return Ok{};
    // A failed load is remembered: the candidates do not change while the process runs, and
    // trying every path again on each call cost a dlopen per statistic or device query.
    if (!m_loadError.isEmpty())
        return makeError(ErrorCode::Io, m_loadError);
    QStringList tried;
    for (const QString& path : candidatePaths()) {
        QLibrary library(path);
        // The module stays loaded for the life of the process: libtorch cannot be unloaded safely.
        library.setLoadHints(QLibrary::ResolveAllSymbolsHint);
        if (!library.load()) {
            tried.append(QStringLiteral("%1 (%2)").arg(path, library.errorString()));
            continue;
        }
        using EntryPoint = const StatelensTorchApi* (*)();
        auto entry = reinterpret_cast<EntryPoint>(library.resolve("statelens_torch_api"));
        const StatelensTorchApi* api = entry ? entry() : nullptr;
        if (!api || api->abiVersion != kTorchApiAbiVersion) {
            tried.append(QStringLiteral("%1 (not a matching Statelens torch module)").arg(path));
            continue;
        }
        m_api = api;
        return Ok{};
    }
    m_loadError = QStringLiteral("the libtorch compute module could not be loaded; tried: %1").arg(tried.join(QStringLiteral("; ")));
    return makeError(ErrorCode::Io, m_loadError);
}

bool TorchRuntime::isLoaded() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_api != nullptr;
}

Result<QString> TorchRuntime::libtorchVersion()
{
    if (auto status = load(); !status)
        return status.error();
    return QString::fromLatin1(m_api->libtorchVersion());
}

Result<QVector<DeviceInfo>> TorchRuntime::devices()
{
    if (auto status = load(); !status)
        return status.error();
    constexpr int kCapacity = 64;
    char ids[kCapacity][32] = {};
    char names[kCapacity][128] = {};
    long long memory[kCapacity] = {};
    const int count = qMin(m_api->listDevices(ids, names, memory, kCapacity), kCapacity);
    QVector<DeviceInfo> devices;
    QVector<CudaDeviceDescription> cuda;
    for (int i = 0; i < count; ++i) {
        DeviceInfo device{QString::fromUtf8(ids[i]), QString::fromUtf8(names[i]), memory[i]};
        // libtorch numbers the CUDA devices the driver shows (after CUDA_VISIBLE_DEVICES).
        if (device.id.startsWith(QLatin1String("cuda:"))) {
            if (cuda.isEmpty())
                cuda = queryCudaDevices();
            const int ordinal = device.id.mid(5).toInt();
            if (ordinal < cuda.size()) {
                if (!cuda[ordinal].name.isEmpty())
                    device.name = cuda[ordinal].name;
                device.memoryBytes = cuda[ordinal].memoryBytes;
            }
        }
        devices.append(device);
    }
    return devices;
}

Status TorchRuntime::checkDevice(const QString& device)
{
    if (auto status = load(); !status)
        return status;
    char error[512] = {};
    if (m_api->checkDevice(device.toUtf8().constData(), error, int(sizeof(error))) != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("device %1 is not available: %2").arg(device, QString::fromUtf8(error)));
    return Ok{};
}

Result<Moments> TorchRuntime::moments(const QByteArray& device, bool isDouble, const void* values, qint64 count)
{
    if (auto status = load(); !status)
        return status.error();
    StatelensMoments out{};
    char error[512] = {};
    if (m_api->moments(device.constData(), isDouble ? 1 : 0, values, count, &out, error, int(sizeof(error))) != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("libtorch on %1: %2").arg(QString::fromUtf8(device), QString::fromUtf8(error)));
    Moments m;
    m.finite = out.finite;
    m.nan = out.nan;
    m.posInf = out.posInf;
    m.negInf = out.negInf;
    m.zeros = out.zeros;
    m.min = out.min;
    m.max = out.max;
    m.mean = out.mean;
    m.m2 = out.m2;
    return m;
}

Status TorchRuntime::histogram(const QByteArray& device, bool isDouble, const void* values, qint64 count,
                               double lo, double hi, int bins, qint64* counts)
{
    if (auto status = load(); !status)
        return status;
    static_assert(sizeof(qint64) == sizeof(long long), "counts are passed as long long");
    char error[512] = {};
    if (m_api->histogram(device.constData(), isDouble ? 1 : 0, values, count, lo, hi, bins,
                         reinterpret_cast<long long*>(counts), error, int(sizeof(error))) != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("libtorch on %1: %2").arg(QString::fromUtf8(device), QString::fromUtf8(error)));
    return Ok{};
}

Result<DiffSums> TorchRuntime::diffSums(const QByteArray& device, bool isDouble, const void* a, const void* b,
                                        qint64 count)
{
    if (auto status = load(); !status)
        return status.error();
    StatelensDiffSums out{};
    char error[512] = {};
    if (m_api->diffSums(device.constData(), isDouble ? 1 : 0, a, b, count, &out, error, int(sizeof(error))) != 0)
        return makeError(ErrorCode::Unsupported, QStringLiteral("libtorch on %1: %2").arg(QString::fromUtf8(device), QString::fromUtf8(error)));
    DiffSums sums;
    sums.count = out.count;
    sums.differing = out.differing;
    sums.nanDiffs = out.nanDiffs;
    sums.maxAbs = out.maxAbs;
    sums.sumAbs.add(out.sumAbs);
    sums.sumSq.add(out.sumSq);
    sums.sumA2.add(out.sumA2);
    sums.sumB2.add(out.sumB2);
    sums.dot.add(out.dot);
    return sums;
}

namespace {

// Collects what the module reports through StatelensArchitectureSink.
struct ArchitectureCollector {
    QVector<TorchRuntime::ArchitectureEntry> entries;
    Architecture architecture;
    QVector<qint64> input;

    StatelensArchitectureSink sink()
    {
        StatelensArchitectureSink sink{};
        sink.context = this;
        sink.entry = [](void* context, const char* name, const char* description) {
            static_cast<ArchitectureCollector*>(context)->entries.append({QString::fromUtf8(name), QString::fromUtf8(description)});
        };
        sink.model = [](void* context, const char* modelClass, const long long* inputShape, int inputRank) {
            auto* self = static_cast<ArchitectureCollector*>(context);
            self->architecture.modelClass = QString::fromUtf8(modelClass);
            for (int i = 0; i < inputRank; ++i)
                self->input.append(inputShape[i]);
        };
        sink.module = [](void* context, const char* name) {
            static_cast<ArchitectureCollector*>(context)->architecture.modules.append(QString::fromUtf8(name));
        };
        sink.tensor = [](void* context, const char* name, const long long* shape, int rank, const char* dtype) {
            ExpectedTensor tensor;
            tensor.name = QString::fromUtf8(name);
            for (int i = 0; i < rank; ++i)
                tensor.shape.append(shape[i]);
            tensor.dtype = dtypeFromName(QString::fromLatin1(dtype));
            static_cast<ArchitectureCollector*>(context)->architecture.tensors.append(tensor);
        };
        return sink;
    }
};

}  // namespace

Result<QVector<TorchRuntime::ArchitectureEntry>> TorchRuntime::builtInArchitectures()
{
    if (auto status = load(); !status)
        return status.error();
    ArchitectureCollector collector;
    const StatelensArchitectureSink sink = collector.sink();
    m_api->listArchitectures(&sink);
    return collector.entries;
}

Result<Architecture> TorchRuntime::describeArchitecture(const QString& spec, QVector<qint64>* exampleInput)
{
    if (auto status = load(); !status)
        return status.error();
    ArchitectureCollector collector;
    const StatelensArchitectureSink sink = collector.sink();
    char error[1024] = {};
    if (m_api->describeArchitecture(spec.toUtf8().constData(), &sink, error, int(sizeof(error))) != 0)
        return makeError(ErrorCode::Unsupported, QString::fromUtf8(error));
    collector.architecture.id = spec;
    collector.architecture.source = spec.startsWith(QLatin1String("torchscript:")) ? QStringLiteral("torchscript")
                                                                                    : QStringLiteral("built-in");
    if (exampleInput)
        *exampleInput = collector.input;
    return collector.architecture;
}

Result<TorchRuntime::LoadOutcome> TorchRuntime::loadModel(const QString& spec, const QString& device,
                                                          const QVector<LoadTensor>& tensors, bool runForward)
{
    if (auto status = checkDevice(device); !status)
        return status.error();
    // The C structs point into these for the duration of the call.
    std::vector<QByteArray> names, dtypes;
    std::vector<std::vector<long long>> shapes, strides;
    std::vector<StatelensLoadTensor> views;
    names.reserve(size_t(tensors.size()));
    dtypes.reserve(size_t(tensors.size()));
    shapes.reserve(size_t(tensors.size()));
    strides.reserve(size_t(tensors.size()));
    for (const LoadTensor& tensor : tensors) {
        names.push_back(tensor.name.toUtf8());
        dtypes.push_back(dtypeName(tensor.dtype).toLatin1());
        shapes.emplace_back(tensor.shape.begin(), tensor.shape.end());
        strides.emplace_back(tensor.strides.begin(), tensor.strides.end());
        views.push_back({names.back().constData(), tensor.data, dtypes.back().constData(), shapes.back().data(),
                         strides.back().data(), int(tensor.shape.size())});
    }
    StatelensLoadOutcome outcome{};
    char error[1024] = {};
    if (m_api->loadModel(spec.toUtf8().constData(), device.toUtf8().constData(), views.data(), int(views.size()),
                         runForward ? 1 : 0, &outcome, error, int(sizeof(error))) != 0)
        return makeError(ErrorCode::Unsupported, QString::fromUtf8(error));
    LoadOutcome result;
    result.loaded = outcome.loaded;
    result.loadSeconds = outcome.loadSeconds;
    result.ranForward = outcome.ranForward != 0;
    result.forwardSeconds = outcome.forwardSeconds;
    for (int i = 0; i < outcome.inputRank; ++i)
        result.input.append(outcome.inputShape[i]);
    for (int i = 0; i < outcome.outputRank; ++i)
        result.output.append(outcome.outputShape[i]);
    return result;
}

}  // namespace statelens
