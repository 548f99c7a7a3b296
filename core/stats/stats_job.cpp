#include "core/stats/stats_job.h"

#include "core/runtime/device_check.h"

#include "core/model/element_decoder.h"
#include "core/runtime/torch_runtime.h"
#include "core/stats/stats_kernels.h"

#include "core/base/work_queue.h"

#include <QRegularExpression>

#include <mutex>
#include <optional>

namespace statelens {

namespace {

// Views and narrow dtypes are decoded in blocks this small, so they stay in L1 between decoding
// and reducing, and cancellation is checked often.
constexpr qint64 kDecodeBlock = 8192;
// A tensor up to this size stays mapped between its two passes (the second follows at once), so
// its pages are faulted in once; larger ones are released after each pass to bound memory.
constexpr qint64 kKeepBetweenPassesBytes = qint64(64) << 20;

struct Member {
    int tensor = -1;
    std::optional<ElementDecoder> decoder;
    qint64 numel = 0;
    qint64 itemBytes = 0;
    const MappedFile* file = nullptr;  // for releasing pages after reading them
};

// What one result is computed over: a single tensor, or several taken together.
struct Group {
    TensorStats result;
    std::vector<Member> members;
    bool binInDouble = false;  // float32 values bin in float (as torch.histc) unless mixed in a group
    int pass = 1;
    int pendingUnits = 0;
    bool failed = false;
    Moments moments;
    std::vector<qint64> counts;
};

struct Unit {
    int group = 0;
    int member = 0;
    qint64 begin = 0;
    qint64 count = 0;
    int pass = 1;
};

struct Buffers {
    std::vector<float> floats;
    std::vector<double> doubles;
};

}  // namespace

struct StatsJob::State {
    CheckpointPtr checkpoint;
    StatsOptions options;
    bool useTorch = false;
    QByteArray device;
    std::vector<Group> groups;

    WorkQueue<Unit> work;

    qint64 totalBytes = 0;
    std::atomic<qint64> passBytesDone{0};  // bytes read, summed over both passes
    ProgressThrottle progress;
    std::function<void(const TensorStats&)> onResult;
    std::function<void(qint64, qint64)> onProgress;

    void setUp();
    void queueFirstPass();
    void worker();
    Status processUnit(const Unit& unit, Buffers& buffers, Moments* moments, std::vector<qint64>* counts);
    void finishUnit(const Unit& unit, const Status& status, const Moments& moments,
                    const std::vector<qint64>& counts, std::vector<TensorStats>* finished);
    void reportProgress(bool force);
};

StatsJob::StatsJob(CheckpointPtr checkpoint, StatsOptions options) : d(std::make_unique<State>())
{
    d->checkpoint = std::move(checkpoint);
    d->options = std::move(options);
}

StatsJob::~StatsJob() = default;

void StatsJob::addTensors(const QVector<int>& tensors)
{
    for (int index : tensors) {
        Group group;
        group.members.push_back(Member{index, std::nullopt, 0, 0, nullptr});
        d->groups.push_back(std::move(group));
    }
}

void StatsJob::addGroup(const QString& name, const QVector<int>& tensors)
{
    Group group;
    group.result.name = name;
    group.result.tensorCount = int(tensors.size());
    group.binInDouble = true;
    for (int index : tensors)
        group.members.push_back(Member{index, std::nullopt, 0, 0, nullptr});
    d->groups.push_back(std::move(group));
}

void StatsJob::cancel()
{
    d->work.cancel();
}

bool StatsJob::isCancelled() const
{
    return d->work.isCancelled();
}

qint64 StatsJob::totalBytes() const
{
    return d->totalBytes;
}

// Decoders for every member, errors and skips recorded, and the totals progress reports against.
void StatsJob::State::setUp()
{
    const Checkpoint& cp = *checkpoint;
    // A file truncated since it was opened would fault on the first read past its new end.
    std::vector<QString> changedFiles(cp.files.size());
    for (size_t f = 0; f < cp.files.size(); ++f) {
        const MappedFile* map = cp.files[f].map.get();
        const qint64 now = map ? map->sizeOnDisk() : -1;
        if (now >= 0 && now < map->size())
            changedFiles[f] = QStringLiteral("%1 shrank from %2 to %3 bytes since it was opened; reopen it")
                                  .arg(map->path()).arg(map->size()).arg(now);
    }
    for (Group& group : groups) {
        const bool single = group.members.size() == 1 && group.result.name.isEmpty();
        for (Member& member : group.members) {
            const TensorInfo& tensor = cp.tensors[member.tensor];
            if (single) {
                group.result.tensor = member.tensor;
                group.result.name = tensor.name;
                group.result.dtype = tensor.dtype;
            }
            qint64 numel = 0;
            checkedNumel(tensor.shape, &numel);
            group.result.numel += numel;
            QString problem = ElementDecoder::skipReason(tensor);
            const bool skipped = !problem.isEmpty();
            if (problem.isEmpty() && tensor.storage >= 0 && tensor.storage < cp.storages.size()) {
                const size_t file = size_t(cp.storages[tensor.storage].file);
                if (file < changedFiles.size())
                    problem = changedFiles[file];
            }
            if (problem.isEmpty()) {
                auto decoder = ElementDecoder::create(cp, tensor);
                if (decoder) {
                    member.decoder = std::move(decoder.value());
                    member.numel = member.decoder->numel();
                    member.itemBytes = dtypeItemSize(tensor.dtype);
                    const size_t file = size_t(cp.storages[tensor.storage].file);
                    member.file = file < cp.files.size() ? cp.files[file].map.get() : nullptr;
                    if (member.decoder->precision() == Precision::Float64)
                        group.binInDouble = true;
                    totalBytes += member.numel * member.itemBytes;
                    continue;
                }
                problem = decoder.error().toString();  // "FILE: problem" for bytes that cannot be read
            }
            if (single) {
                (skipped ? group.result.skipped : group.result.error) = problem;
                group.failed = !skipped;
            } else {
                group.result.warnings.append(QStringLiteral("%1: %2").arg(tensor.name, problem));
            }
        }
    }
    // Locating each zip record read its local header, and the kernel mapped the pages around it
    // (fault-around): tens of KiB per tensor. Drop them all now; each pass maps what it reads.
    for (const SourceFile& source : cp.files) {
        if (source.map)
            source.map->releasePages(source.map->data(), source.map->size());
    }
}

void StatsJob::State::queueFirstPass()
{
    const qint64 chunk = qMax<qint64>(1, options.chunkElements);
    for (int g = 0; g < int(groups.size()); ++g) {
        Group& group = groups[size_t(g)];
        for (int m = 0; m < int(group.members.size()); ++m) {
            const Member& member = group.members[size_t(m)];
            if (!member.decoder)
                continue;
            for (qint64 begin = 0; begin < member.numel; begin += chunk) {
                work.pushBack(Unit{g, m, begin, qMin(chunk, member.numel - begin), 1});
                ++group.pendingUnits;
            }
        }
    }
}

Status StatsJob::State::processUnit(const Unit& unit, Buffers& buffers, Moments* moments, std::vector<qint64>* counts)
{
    const Group& group = groups[size_t(unit.group)];
    const Member& member = group.members[size_t(unit.member)];
    const ElementDecoder& decoder = *member.decoder;
    const bool narrow = decoder.precision() == Precision::Float32;
    const int bins = options.bins;

    if (useTorch) {
        // libtorch takes the whole unit at once: in place when the storage allows, else decoded.
        const void* values = decoder.direct(unit.begin);
        if (!values) {
            if (narrow) {
                buffers.floats.resize(size_t(unit.count));
                decoder.decode(unit.begin, unit.count, buffers.floats.data());
                values = buffers.floats.data();
            } else {
                buffers.doubles.resize(size_t(unit.count));
                decoder.decode(unit.begin, unit.count, buffers.doubles.data());
                values = buffers.doubles.data();
            }
        }
        bool isDouble = !narrow;
        if (unit.pass == 2 && narrow && group.binInDouble) {
            const float* f = static_cast<const float*>(values);
            buffers.doubles.assign(f, f + unit.count);
            values = buffers.doubles.data();
            isDouble = true;
        }
        TorchRuntime& runtime = TorchRuntime::instance();
        if (unit.pass == 1) {
            auto result = runtime.moments(device, isDouble, values, unit.count);
            if (!result)
                return result.error();
            *moments = result.value();
            return Ok{};
        }
        return runtime.histogram(device, isDouble, values, unit.count, group.result.range.lo,
                                 group.result.range.hi, bins, counts->data());
    }

    // The fused CPU pass: in place where possible, otherwise through a small decoded block.
    kernels::HistogramAccumulator histogram(unit.pass == 2 ? bins : 1);
    const HistogramRange range = group.result.range;
    auto consume = [&](const void* values, qint64 n) {
        if (unit.pass == 1) {
            moments->merge(narrow ? kernels::moments(static_cast<const float*>(values), size_t(n))
                                  : kernels::moments(static_cast<const double*>(values), size_t(n)));
        } else if (!narrow) {
            histogram.add(static_cast<const double*>(values), size_t(n), range.lo, range.hi);
        } else if (!group.binInDouble) {
            histogram.add(static_cast<const float*>(values), size_t(n), range.lo, range.hi);
        } else {
            const float* f = static_cast<const float*>(values);
            for (qint64 start = 0; start < n; start += kDecodeBlock) {
                const qint64 part = qMin(kDecodeBlock, n - start);
                buffers.doubles.assign(f + start, f + start + part);
                histogram.add(buffers.doubles.data(), size_t(part), range.lo, range.hi);
            }
        }
    };
    if (const void* values = decoder.direct(unit.begin)) {
        consume(values, unit.count);
    } else {
        buffers.floats.resize(size_t(kDecodeBlock));
        buffers.doubles.resize(size_t(kDecodeBlock));
        for (qint64 start = 0; start < unit.count; start += kDecodeBlock) {
            if (work.isCancelled())
                return makeError(ErrorCode::Cancelled, QStringLiteral("cancelled"));
            const qint64 part = qMin(kDecodeBlock, unit.count - start);
            void* block = narrow ? static_cast<void*>(buffers.floats.data()) : static_cast<void*>(buffers.doubles.data());
            decoder.decode(unit.begin + start, part, block);
            if (narrow && unit.pass == 2 && group.binInDouble) {
                // consume() converts through buffers.doubles: keep the decoded floats apart.
                std::vector<float> copy(buffers.floats.begin(), buffers.floats.begin() + part);
                consume(copy.data(), part);
            } else {
                consume(block, part);
            }
        }
    }
    if (unit.pass == 2)
        histogram.flushInto(counts->data());
    return Ok{};
}

void StatsJob::State::finishUnit(const Unit& unit, const Status& status, const Moments& moments,
                                 const std::vector<qint64>& counts, std::vector<TensorStats>* finished)
{
    Group& group = groups[size_t(unit.group)];
    if (!status && !group.failed) {
        group.failed = true;
        group.result.error = status.error().message;
    }
    if (!group.failed) {
        if (unit.pass == 1) {
            group.moments.merge(moments);
        } else {
            for (size_t b = 0; b < counts.size(); ++b)
                group.counts[b] += counts[b];
        }
    }
    if (--group.pendingUnits > 0)
        return;
    // Bytes that vanished under the map read as zeros (mapped_file_guard.h): not a result.
    for (const Member& member : group.members) {
        if (!group.failed && member.file && member.file->changedOnDisk()) {
            group.failed = true;
            group.result.error = QStringLiteral("%1: %2").arg(member.file->path(), member.file->changedError().message);
        }
    }
    if (group.failed) {
        finished->push_back(group.result);
        return;
    }
    if (group.pass == 1) {
        group.result.moments = group.moments;
        if (group.moments.finite > 0) {
            group.result.range = histogramRange(group.moments.min, group.moments.max);
            group.counts.assign(size_t(options.bins), 0);
            group.pass = 2;
            const qint64 chunk = qMax<qint64>(1, options.chunkElements);
            // The second pass goes to the front: the first pass's bytes may still be cached.
            for (int m = int(group.members.size()) - 1; m >= 0; --m) {
                const Member& member = group.members[size_t(m)];
                if (!member.decoder)
                    continue;
                const qint64 last = ((member.numel - 1) / chunk) * chunk;
                for (qint64 begin = last; begin >= 0; begin -= chunk) {
                    work.pushFront(Unit{unit.group, m, begin, qMin(chunk, member.numel - begin), 2});
                    ++group.pendingUnits;
                }
            }
            if (group.pendingUnits > 0)
                return;
        }
    }
    group.result.histogram = QVector<qint64>(group.counts.begin(), group.counts.end());
    finished->push_back(group.result);
}

void StatsJob::State::reportProgress(bool force)
{
    if (!onProgress)
        return;
    // Each byte is read twice (moments, then histogram): half a byte's worth per pass.
    progress.offer(force, [this] { onProgress(qMin(totalBytes, passBytesDone.load() / 2), totalBytes); });
}

void StatsJob::State::worker()
{
    Buffers buffers;
    for (;;) {
        const std::optional<Unit> taken = work.take();
        if (!taken)
            return;
        const Unit& unit = *taken;
        const Group& group = groups[size_t(unit.group)];
        const Member& member = group.members[size_t(unit.member)];
        Moments moments;
        std::vector<qint64> counts(unit.pass == 2 ? size_t(options.bins) : 0, 0);
        // A group that already failed gets no more work; its units only count down.
        const bool skip = [&] { std::lock_guard<std::mutex> lock(work.mutex()); return group.failed; }();
        Status status = skip ? Status(Ok{}) : processUnit(unit, buffers, &moments, &counts);
        // Read pages leave the resident set once done with: after the histogram pass, or after
        // the first pass already for tensors too large to keep mapped until their second.
        const bool lastRead = unit.pass == 2 || member.numel * member.itemBytes > kKeepBetweenPassesBytes;
        if (!skip && member.file && lastRead)
            member.file->releasePages(member.decoder->span(unit.begin, unit.count).data(),
                                      unit.count * member.itemBytes);
        passBytesDone += unit.count * member.itemBytes;
        if (!status && status.error().code == ErrorCode::Cancelled) {
            work.cancel();
            return;
        }
        std::vector<TensorStats> finished;
        work.finish([&] { finishUnit(unit, status, moments, counts, &finished); });
        for (const TensorStats& result : finished) {
            if (onResult)
                onResult(result);
        }
        reportProgress(false);
    }
}

Status StatsJob::run()
{
    const StatsOptions& options = d->options;
    if (options.bins < 1 || options.bins > kMaxBins)
        return makeError(ErrorCode::Unsupported, QStringLiteral("the number of histogram bins must be between 1 and %1, not %2").arg(kMaxBins).arg(options.bins));
    const bool onCpu = options.device == QLatin1String("cpu");
    if (options.engine == StatsOptions::Engine::Fused && !onCpu)
        return makeError(ErrorCode::Unsupported, QStringLiteral("the fused statistics pass runs on the CPU only, not on %1").arg(options.device));
    if (auto status = checkDeviceAvailable(options.device); !status)
        return status;
    d->useTorch = options.engine == StatsOptions::Engine::Torch || !onCpu;
    if (d->useTorch) {
        if (auto status = TorchRuntime::instance().checkDevice(options.device); !status)
            return status;
    }
    d->device = options.device.toUtf8();
    d->onResult = onResult;
    d->onProgress = onProgress;

    d->setUp();
    d->queueFirstPass();
    // Tensors with nothing to read (skipped, failed, empty) are answered at once.
    for (Group& group : d->groups) {
        if (group.pendingUnits == 0) {
            if (!group.failed)
                group.result.moments = group.moments;
            if (d->onResult)
                d->onResult(group.result);
        }
    }
    d->progress.start();
    runOnThreads(options.threads, [this] { d->worker(); });
    d->reportProgress(true);
    if (d->work.isCancelled())
        return makeError(ErrorCode::Cancelled, QStringLiteral("statistics cancelled"));
    return Ok{};
}

}  // namespace statelens
