// Compares the values of two checkpoints' paired tensors (a DiffPlan): tensors in parallel across
// cores, large ones in chunks, memory bounded whatever the file sizes, progress, cancellation,
// and a result per tensor as it finishes; on the CPU by the fused kernel, on CUDA or MPS by
// libtorch. Like StatsJob, it is synchronous: run it off the GUI thread.
#pragma once

#include "core/base/result.h"
#include "core/diff/checkpoint_diff.h"
#include "core/model/checkpoint.h"

#include <QString>

#include <functional>
#include <memory>

namespace statelens {

struct DiffOptions {
    enum class Engine {
        Auto,   // the fused CPU pass on "cpu", libtorch on any other device
        Fused,  // always the fused CPU pass (device must be "cpu")
        Torch,  // always libtorch's reductions (a cross-check on "cpu")
    };
    QString device = QStringLiteral("cpu");
    Engine engine = Engine::Auto;
    int threads = 0;                         // 0: one per core
    qint64 chunkElements = qint64(1) << 22;  // pairs per unit of work
};

class DiffJob {
public:
    DiffJob(CheckpointPtr a, CheckpointPtr b, DiffPlan plan, DiffOptions options = {});
    ~DiffJob();
    DiffJob(const DiffJob&) = delete;
    DiffJob& operator=(const DiffJob&) = delete;

    // Called from worker threads, once per plan entry: first (before any value is read, from the
    // thread calling run()) the entries decided without values (only_a, only_b, shape_changed,
    // unreadable values), then the compared ones in the order they finish. TensorDiff::index is
    // the entry's position in the plan.
    std::function<void(const TensorDiff&)> onResult;
    // Called from worker threads at most every 50 ms, and once at the end: bytes of both sides
    // whose comparison is complete, and the total.
    std::function<void(qint64 done, qint64 total)> onProgress;

    // Checks the options and the device, then compares, blocking until every result is delivered
    // or the job is cancelled. Per-tensor problems are results with an error, not a failure here.
    Status run();
    // From any thread; run() returns a Cancelled error within one block (milliseconds).
    void cancel();
    bool isCancelled() const;

    const DiffPlan& plan() const;
    // The plan with every result in place: read it after run() returns (during the run, use the
    // copies onResult delivers).
    const QVector<TensorDiff>& results() const;
    qint64 totalBytes() const;  // known once run() has started

private:
    struct State;
    std::unique_ptr<State> d;
};

}  // namespace statelens
