#include "fuzz/fuzz_common.h"

#include "core/model/element_decoder.h"
#include "core/model/tensor_naming.h"
#include "core/report/checkpoint_json.h"
#include "core/scan/weights_only_rules.h"
#include "core/stats/stats_job.h"
#include "core/stats/value_reader.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace statelens::fuzz {

namespace {

// Bounds that keep one input under the fuzzer's timeout; the readers' own bounds are not changed.
constexpr int kMaxTensorsTouched = 64;
constexpr int kMaxListedTensors = 2000;
constexpr qint64 kElementsDecoded = 64;
constexpr qint64 kMaxStatsElements = qint64(1) << 12;  // statistics cover their code in a few thousand values

}  // namespace

void checkError(const QString& message)
{
    if (message.trimmed().isEmpty()) {
        std::fprintf(stderr, "a reader failed without a message\n");
        std::abort();
    }
}

CheckpointPtr openFromMemory(const uint8_t* data, size_t size, Reader reader)
{
    auto checkpoint = std::make_shared<Checkpoint>();
    checkpoint->path = QStringLiteral("fuzz-input");
    checkpoint->files.push_back(SourceFile{MappedFile::fromMemory(checkpoint->path, reinterpret_cast<const char*>(data), qint64(size)), nullptr});
    auto root = reader(*checkpoint, 0, &checkpoint->format);
    if (!root) {
        checkError(root.error().message);
        return nullptr;
    }
    checkpoint->root = *root;
    if (auto status = nameTensors(*checkpoint); !status) {
        checkError(status.error().message);
        return nullptr;
    }
    findCandidateStateDicts(*checkpoint);
    return checkpoint;
}

void touch(const CheckpointPtr& checkpoint, bool verdict)
{
    Checkpoint& cp = *checkpoint;
    // ls --json, info --json, scan. The listing is linear in the tensor count, and naming stops a
    // billion-laughs pickle only at 100 000 paths (hostile/memo_laughs.pt: 50 MB of JSON, 1 s
    // natively, over the 10 s timeout under the fuzzer's instrumentation): small listings cover it.
    if (cp.tensors.size() <= kMaxListedTensors) {
        (void)listingJsonText(cp, cp.path);
        (void)summaryJson(cp, cp.path);
    }
    if (verdict)
        (void)weightsOnlyVerdict(cp);
    (void)cp.totalNumel();
    (void)cp.totalNbytes();
    (void)cp.distinctStorageBytes();

    for (int i = 0; i < cp.storages.size() && i < kMaxTensorsTouched; ++i) {
        auto bytes = cp.storageBytes(i);
        if (bytes && !bytes->isEmpty()) {
            // Touch the first and last byte: ASan checks that the view lies in the input.
            volatile char first = bytes->front();
            volatile char last = bytes->back();
            (void)first;
            (void)last;
        }
    }

    qint64 statsElements = 0;
    QVector<int> statsTensors;
    for (int i = 0; i < cp.tensors.size() && i < kMaxTensorsTouched; ++i) {
        const TensorInfo& tensor = cp.tensors[i];
        if (!ElementDecoder::skipReason(tensor).isEmpty())
            continue;
        auto decoder = ElementDecoder::create(cp, tensor);
        if (decoder) {
            const qint64 numel = decoder->numel();
            const qint64 count = qMin(numel, kElementsDecoded);
            std::vector<double> out(size_t(count) + 1);
            if (count > 0) {
                decoder->decode(0, count, out.data());  // float* and double* both fit in doubles
                decoder->decode(numel - count, count, out.data());
                (void)decoder->direct(0);
                (void)decoder->span(0, count);
            }
            if (numel <= kMaxStatsElements - statsElements) {
                statsElements += numel;
                statsTensors.append(i);
            }
        } else {
            checkError(decoder.error().message);
        }
        auto reader = ValueReader::create(cp, tensor);
        if (reader) {
            if (reader->numel() > 0) {
                QVector<qint64> first(reader->shape().size(), 0);
                QVector<qint64> last = reader->shape();
                for (qint64& index : last)
                    index -= 1;
                (void)reader->at(first);
                (void)reader->at(last);
            }
            QVector<qint64> outside(reader->shape().size() + 1, 0);  // a wrong rank: an error, not a read
            (void)reader->at(outside);
        } else {
            checkError(reader.error().message);
        }
    }

    // What `stats` runs: the fused kernels over the decoded values, one thread.
    if (!statsTensors.isEmpty()) {
        StatsOptions options;
        options.bins = 16;
        options.threads = 1;
        options.chunkElements = 1 << 12;  // the default (4 Mi) allocates 16 MiB buffers per input
        StatsJob job(checkpoint, options);
        job.onResult = [](const TensorStats& stats) {
            if (!stats.error.isEmpty())
                checkError(stats.error);
        };
        job.addTensors(statsTensors);
        job.addGroup(QStringLiteral("all"), statsTensors);
        (void)job.run();
    }
}

}  // namespace statelens::fuzz
