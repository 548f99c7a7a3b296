// The libtorch compute module, loaded at run time the first time something needs torch.
//
// Linking libtorch costs ~0.6 s and ~164 MB before main() (its static initialisers), so no
// executable links it: reading, listing and the first paint of the window never pay that.
// This header is torch-free; core/torch/ builds the module behind it.
#pragma once

#include "core/base/result.h"
#include "core/model/dtype.h"
#include "core/runtime/torch_api.h"

#include <QString>
#include <QVector>

#include <mutex>

namespace statelens {

// What the module computes is declared by the jobs that use it (stats, diff, match); the runtime
// sits below them and only names the types, so it depends on none of those folders.
struct Architecture;
struct DiffSums;
struct Moments;

struct DeviceInfo {
    QString id;          // "cpu", "cuda:0", "mps"
    QString name;        // human-readable
    qint64 memoryBytes = 0;  // 0 when unknown
};


class TorchRuntime {
public:
    static TorchRuntime& instance();

    // Loads the module (once; thread-safe). Errors say where it was looked for and why it failed.
    Status load();
    bool isLoaded() const;

    // Both load the module on first use.
    Result<QString> libtorchVersion();
    Result<QVector<DeviceInfo>> devices();
    // Ok when tensors can be placed on `device`; otherwise an error saying why (no CUDA in this
    // libtorch build, no such device index).
    Status checkDevice(const QString& device);
    // libtorch's reductions over values copied to `device` (see StatelensTorchApi). The module
    // must be loaded (checkDevice does it).
    Result<Moments> moments(const QByteArray& device, bool isDouble, const void* values, qint64 count);
    Status histogram(const QByteArray& device, bool isDouble, const void* values, qint64 count,
                     double lo, double hi, int bins, qint64* counts);
    // libtorch's float64 sums over the differences of `count` pairs copied to `device`.
    Result<DiffSums> diffSums(const QByteArray& device, bool isDouble, const void* a, const void* b, qint64 count);

    // Where load() looks: $STATELENS_TORCH_MODULE, beside the executable, then the installed module folder.
    static QStringList candidatePaths();

    struct ArchitectureEntry {
        QString name;
        QString description;
    };
    // The built-in architectures (the zoo in core/torch/zoo).
    Result<QVector<ArchitectureEntry>> builtInArchitectures();
    // A built-in ("resnet18:num_classes=10") or TorchScript ("torchscript:PATH") model's layout,
    // built by libtorch. exampleInput: the zero input a forward pass is checked with.
    Result<Architecture> describeArchitecture(const QString& spec, QVector<qint64>* exampleInput = nullptr);

    struct LoadTensor {
        QString name;
        const void* data = nullptr;  // first element
        DType dtype = DType::Float32;
        QVector<qint64> shape;
        QVector<qint64> strides;
    };
    struct LoadOutcome {
        qint64 loaded = 0;
        double loadSeconds = 0.0;
        bool ranForward = false;
        double forwardSeconds = 0.0;
        QVector<qint64> input;
        QVector<qint64> output;
    };
    Result<LoadOutcome> loadModel(const QString& spec, const QString& device, const QVector<LoadTensor>& tensors,
                                  bool runForward);

private:
    TorchRuntime() = default;
    mutable std::mutex m_mutex;
    const StatelensTorchApi* m_api = nullptr;
    QString m_loadError;
};

}  // namespace statelens
