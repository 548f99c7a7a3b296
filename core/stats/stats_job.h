// A whole-checkpoint statistics job: tensors in parallel across cores, large tensors in chunks,
// memory bounded whatever the file size, progress and cancellation, results as tensors finish.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"
#include "core/stats/tensor_stats.h"

#include <QString>
#include <QVector>

#include <atomic>
#include <functional>
#include <memory>

namespace statelens {

struct StatsOptions {
    enum class Engine {
        Auto,   // the fused CPU pass on "cpu", libtorch on any other device
        Fused,  // always the fused CPU pass (device must be "cpu")
        Torch,  // always libtorch's separate reductions (a cross-check on "cpu")
    };
    int bins = 64;
    QString device = QStringLiteral("cpu");
    Engine engine = Engine::Auto;
    int threads = 0;                 // 0: one per core
    qint64 chunkElements = qint64(1) << 22;  // elements per unit of work (4 Mi: 16 MiB of float32)
};

class StatsJob {
public:
    static constexpr int kMaxBins = 1 << 16;

    StatsJob(CheckpointPtr checkpoint, StatsOptions options);
    ~StatsJob();
    StatsJob(const StatsJob&) = delete;
    StatsJob& operator=(const StatsJob&) = delete;

    // One result per tensor (indices into Checkpoint::tensors).
    void addTensors(const QVector<int>& tensors);
    // One result over all the given tensors' values together, e.g. a module subtree "layer1.".
    void addGroup(const QString& name, const QVector<int>& tensors);

    // Called from worker threads, in the order tensors finish.
    std::function<void(const TensorStats&)> onResult;
    // Called from worker threads at most every 50 ms, and once at the end: bytes of tensor data
    // whose statistics are complete (a pass over a byte counts half) and the total.
    std::function<void(qint64 done, qint64 total)> onProgress;

    // Checks the options and the device, then computes, blocking until every result is delivered
    // or the job is cancelled. Per-tensor problems are results with an error, not a failure here.
    Status run();
    // From any thread; run() returns a Cancelled error within one chunk (milliseconds).
    void cancel();
    bool isCancelled() const;

    qint64 totalBytes() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

}  // namespace statelens
