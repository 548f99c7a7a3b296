#include "core/diff/diff_job.h"

#include "core/diff/diff_kernels.h"
#include "core/model/element_decoder.h"
#include "core/runtime/device_check.h"
#include "core/runtime/torch_runtime.h"

#include "core/base/work_queue.h"

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace statelens {

namespace {

// Views, narrow dtypes and mixed precisions are decoded in blocks this small, so they stay in L1
// between decoding and reducing, and cancellation is checked often.
constexpr qint64 kDecodeBlock = 8192;

struct Side {
    std::optional<ElementDecoder> decoder;
    const MappedFile* file = nullptr;  // for releasing pages after reading them
    qint64 itemBytes = 0;
};

struct Pair {
    int entry = -1;  // index into the plan
    Side a, b;
    qint64 numel = 0;
    bool inDouble = false;  // either side computes in float64: both are widened
    int pendingUnits = 0;
    bool failed = false;
    DiffSums sums;
};

struct Unit {
    int pair = 0;
    qint64 begin = 0;
    qint64 count = 0;
};

struct Buffers {
    std::vector<float> floatsA, floatsB;
    std::vector<double> doublesA, doublesB;
};

// Values [begin, begin + count) of one side in the pair's precision: in place when the storage
// already holds them so, else decoded (and widened) into `floats` or `doubles`.
const float* floatsOf(const ElementDecoder& decoder, qint64 begin, qint64 count, std::vector<float>& floats)
{
    if (const void* direct = decoder.direct(begin))
        return static_cast<const float*>(direct);
    floats.resize(size_t(count));
    decoder.decode(begin, count, floats.data());
    return floats.data();
}

const double* doublesOf(const ElementDecoder& decoder, qint64 begin, qint64 count, std::vector<float>& floats,
                        std::vector<double>& doubles)
{
    if (decoder.precision() == Precision::Float64) {
        if (const void* direct = decoder.direct(begin))
            return static_cast<const double*>(direct);
        doubles.resize(size_t(count));
        decoder.decode(begin, count, doubles.data());
        return doubles.data();
    }
    const float* narrow = floatsOf(decoder, begin, count, floats);
    doubles.assign(narrow, narrow + count);
    return doubles.data();
}

// Why a side's values cannot be read, or empty; fills the side when they can.
QString openSide(const Checkpoint& checkpoint, int tensor, Side* side)
{
    const TensorInfo& info = checkpoint.tensors[tensor];
    if (info.storage >= 0 && info.storage < checkpoint.storages.size()) {
        const size_t file = size_t(checkpoint.storages[info.storage].file);
        const MappedFile* map = file < checkpoint.files.size() ? checkpoint.files[file].map.get() : nullptr;
        const qint64 now = map ? map->sizeOnDisk() : -1;
        // A file truncated since it was opened would fault on the first read past its new end.
        if (now >= 0 && now < map->size())
            return QStringLiteral("%1 shrank from %2 to %3 bytes since it was opened; reopen it")
                .arg(map->path()).arg(map->size()).arg(now);
        side->file = map;
    }
    if (info.dtype == DType::Complex32 || info.dtype == DType::Complex64 || info.dtype == DType::Complex128)
        return QStringLiteral("values of complex tensors are not compared");
    auto decoder = ElementDecoder::create(checkpoint, info);
    if (!decoder)
        return decoder.error().toString();  // "FILE: problem" for bytes that cannot be read
    side->itemBytes = dtypeItemSize(info.dtype);
    side->decoder = std::move(decoder.value());
    return {};
}

}  // namespace

struct DiffJob::State {
    CheckpointPtr a, b;
    DiffPlan plan;
    QVector<TensorDiff> results;
    DiffOptions options;
    bool useTorch = false;
    QByteArray device;
    std::vector<Pair> pairs;

    WorkQueue<Unit> work;

    qint64 totalBytes = 0;
    std::atomic<qint64> bytesDone{0};
    ProgressThrottle progress;
    std::function<void(const TensorDiff&)> onResult;
    std::function<void(qint64, qint64)> onProgress;

    void setUp(std::vector<int>* answered);
    void worker();
    Status processUnit(const Unit& unit, Buffers& buffers, DiffSums* sums);
    void reportProgress(bool force);
    void deliver(int entry);
};

DiffJob::DiffJob(CheckpointPtr a, CheckpointPtr b, DiffPlan plan, DiffOptions options) : d(std::make_unique<State>())
{
    d->a = std::move(a);
    d->b = std::move(b);
    d->plan = std::move(plan);
    d->results = d->plan.entries;
    d->options = std::move(options);
}

DiffJob::~DiffJob() = default;

void DiffJob::cancel()
{
    d->work.cancel();
}

bool DiffJob::isCancelled() const
{
    return d->work.isCancelled();
}

const DiffPlan& DiffJob::plan() const
{
    return d->plan;
}

const QVector<TensorDiff>& DiffJob::results() const
{
    return d->results;
}

qint64 DiffJob::totalBytes() const
{
    return d->totalBytes;
}

// Decoders for both sides of every pair that needs its values; entries answered without reading
// (and pairs whose values cannot be read) go to `answered`.
void DiffJob::State::setUp(std::vector<int>* answered)
{
    for (int e = 0; e < results.size(); ++e) {
        TensorDiff& diff = results[e];
        if (!plan.needsValues(e)) {
            answered->push_back(e);
            continue;
        }
        Pair pair;
        pair.entry = e;
        QString problem = openSide(*a, diff.a.tensor, &pair.a);
        if (!problem.isEmpty()) {
            problem = QStringLiteral("A: ") + problem;
        } else {
            problem = openSide(*b, diff.b.tensor, &pair.b);
            if (!problem.isEmpty())
                problem = QStringLiteral("B: ") + problem;
        }
        if (problem.isEmpty() && pair.a.decoder->numel() != pair.b.decoder->numel())
            problem = QStringLiteral("the two tensors hold different numbers of values");
        if (!problem.isEmpty()) {
            // Never silently `same`: a pair whose values could not be read stays changed (or
            // dtype_changed) with the reason.
            diff.error = problem;
            answered->push_back(e);
            continue;
        }
        pair.numel = pair.a.decoder->numel();
        pair.inDouble = pair.a.decoder->precision() == Precision::Float64
                        || pair.b.decoder->precision() == Precision::Float64;
        totalBytes += pair.numel * (pair.a.itemBytes + pair.b.itemBytes);
        const qint64 chunk = qMax<qint64>(1, options.chunkElements);
        const int index = int(pairs.size());
        for (qint64 begin = 0; begin < pair.numel; begin += chunk) {
            work.pushBack(Unit{index, begin, qMin(chunk, pair.numel - begin)});
            ++pair.pendingUnits;
        }
        if (pair.pendingUnits == 0) {  // no values at all: nothing differs
            diff.compared = true;
            diff.status = diff.status == DiffStatus::DtypeChanged ? DiffStatus::DtypeChanged : DiffStatus::Same;
            answered->push_back(e);
            continue;
        }
        pairs.push_back(std::move(pair));
    }
    // Locating zip records read their local headers, and the kernel mapped the pages around them
    // (fault-around). Drop them all now; each unit maps what it reads.
    for (const CheckpointPtr& checkpoint : {a, b}) {
        for (const SourceFile& source : checkpoint->files) {
            if (source.map)
                source.map->releasePages(source.map->data(), source.map->size());
        }
    }
}

Status DiffJob::State::processUnit(const Unit& unit, Buffers& buffers, DiffSums* sums)
{
    const Pair& pair = pairs[size_t(unit.pair)];
    const ElementDecoder& decoderA = *pair.a.decoder;
    const ElementDecoder& decoderB = *pair.b.decoder;

    if (useTorch) {
        // libtorch takes the whole unit at once: in place when the storage allows, else decoded.
        const void* valuesA = nullptr;
        const void* valuesB = nullptr;
        if (pair.inDouble) {
            valuesA = doublesOf(decoderA, unit.begin, unit.count, buffers.floatsA, buffers.doublesA);
            valuesB = doublesOf(decoderB, unit.begin, unit.count, buffers.floatsB, buffers.doublesB);
        } else {
            valuesA = floatsOf(decoderA, unit.begin, unit.count, buffers.floatsA);
            valuesB = floatsOf(decoderB, unit.begin, unit.count, buffers.floatsB);
        }
        auto result = TorchRuntime::instance().diffSums(device, pair.inDouble, valuesA, valuesB, unit.count);
        if (!result)
            return result.error();
        *sums = result.value();
        return Ok{};
    }

    // The fused pass: the whole unit in place when both sides allow, otherwise in small blocks.
    if (!pair.inDouble) {
        const void* directA = decoderA.direct(unit.begin);
        const void* directB = decoderB.direct(unit.begin);
        if (directA && directB) {
            *sums = kernels::diffSums(static_cast<const float*>(directA), static_cast<const float*>(directB),
                                      size_t(unit.count));
            return Ok{};
        }
    } else {
        const void* directA = decoderA.precision() == Precision::Float64 ? decoderA.direct(unit.begin) : nullptr;
        const void* directB = decoderB.precision() == Precision::Float64 ? decoderB.direct(unit.begin) : nullptr;
        if (directA && directB) {
            *sums = kernels::diffSums(static_cast<const double*>(directA), static_cast<const double*>(directB),
                                      size_t(unit.count));
            return Ok{};
        }
    }
    for (qint64 start = 0; start < unit.count; start += kDecodeBlock) {
        if (work.isCancelled())
            return makeError(ErrorCode::Cancelled, QStringLiteral("cancelled"));
        const qint64 begin = unit.begin + start;
        const qint64 part = qMin(kDecodeBlock, unit.count - start);
        if (pair.inDouble) {
            const double* x = doublesOf(decoderA, begin, part, buffers.floatsA, buffers.doublesA);
            const double* y = doublesOf(decoderB, begin, part, buffers.floatsB, buffers.doublesB);
            sums->merge(kernels::diffSums(x, y, size_t(part)));
        } else {
            const float* x = floatsOf(decoderA, begin, part, buffers.floatsA);
            const float* y = floatsOf(decoderB, begin, part, buffers.floatsB);
            sums->merge(kernels::diffSums(x, y, size_t(part)));
        }
    }
    return Ok{};
}

void DiffJob::State::reportProgress(bool force)
{
    if (!onProgress)
        return;
    progress.offer(force, [this] { onProgress(qMin(totalBytes, bytesDone.load()), totalBytes); });
}

void DiffJob::State::deliver(int entry)
{
    if (onResult)
        onResult(std::as_const(results)[entry]);  // const: never detaches while workers write
}

void DiffJob::State::worker()
{
    Buffers buffers;
    for (;;) {
        const std::optional<Unit> taken = work.take();
        if (!taken)
            return;
        const Unit& unit = *taken;
        Pair& pair = pairs[size_t(unit.pair)];
        // A pair that already failed gets no more work; its units only count down.
        const bool skip = [&] { std::lock_guard<std::mutex> lock(work.mutex()); return pair.failed; }();
        DiffSums sums;
        Status status = skip ? Status(Ok{}) : processUnit(unit, buffers, &sums);
        // Each byte is read once: its pages leave the resident set as soon as it is compared.
        if (!skip) {
            for (const Side* side : {&pair.a, &pair.b}) {
                if (side->file)
                    side->file->releasePages(side->decoder->span(unit.begin, unit.count).data(),
                                             unit.count * side->itemBytes);
            }
        }
        bytesDone += unit.count * (pair.a.itemBytes + pair.b.itemBytes);
        if (!status && status.error().code == ErrorCode::Cancelled) {
            work.cancel();
            return;
        }
        int finished = -1;
        work.finish([&] {
            TensorDiff& diff = results[pair.entry];
            if (!status && !pair.failed) {
                pair.failed = true;
                diff.error = status.error().message;
            }
            if (!pair.failed)
                pair.sums.merge(sums);
            if (--pair.pendingUnits == 0) {
                if (!pair.failed) {
                    diff.compared = true;
                    diff.sums = pair.sums;
                    if (diff.status != DiffStatus::DtypeChanged)
                        diff.status = pair.sums.differing == 0 ? DiffStatus::Same : DiffStatus::Changed;
                }
                finished = pair.entry;
            }
        });
        if (finished >= 0)
            deliver(finished);
        reportProgress(false);
    }
}

Status DiffJob::run()
{
    const DiffOptions& options = d->options;
    const bool onCpu = options.device == QLatin1String("cpu");
    if (options.engine == DiffOptions::Engine::Fused && !onCpu)
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("the fused difference pass runs on the CPU only, not on %1").arg(options.device));
    if (auto status = checkDeviceAvailable(options.device); !status)
        return status;
    d->useTorch = options.engine == DiffOptions::Engine::Torch || !onCpu;
    if (d->useTorch) {
        if (auto status = TorchRuntime::instance().checkDevice(options.device); !status)
            return status;
    }
    d->device = options.device.toUtf8();
    d->onResult = onResult;
    d->onProgress = onProgress;

    std::vector<int> answered;
    d->setUp(&answered);
    for (int entry : answered)
        d->deliver(entry);
    d->progress.start();
    runOnThreads(options.threads, [this] { d->worker(); });
    d->reportProgress(true);
    if (d->work.isCancelled())
        return makeError(ErrorCode::Cancelled, QStringLiteral("diff cancelled"));
    return Ok{};
}

}  // namespace statelens
