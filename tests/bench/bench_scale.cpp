// Benchmark: opening LLM-scale checkpoints (issue 17) against Python doing the least it can, in one run.
//
//   bench_scale [WORKDIR] [--keep]
//
// 1. A DeepSeek-V3-like sharded safetensors layout written here: 61 layers x 256 experts x 3
//    projections plus attention and norms, 47 278 tiny tensors in 163 shards and an index. Ours:
//    openCheckpoint of the index (in process) and `statelens-cli info` / `ls --json` (processes,
//    their wall time and peak RSS). Baseline: a Python script that opens every shard and
//    json.loads its header, timed inside Python (interpreter start-up excluded, in its favour).
// 2. The same 47 278 tensors in 1, 10, 100 and 1000 shards: microseconds per tensor should stay flat.
// 3. A 100 000-tensor torch.save file (make_many_tensors.py): ours vs CPython's C unpickler on its
//    data.pkl with torch's globals stubbed (find_class gives the real class for `collections`,
//    otherwise a function returning its arguments; persistent_load returns its argument), and vs
//    torch.load.
// Every figure is the median of five runs. Not a ctest test: it prints figures.
#include "core/formats/checkpoint_reader.h"

#include "tests/bench/bench_support.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <functional>
#include <vector>

using namespace statelens;
using namespace statelens::bench;

namespace {

constexpr int kRuns = 5;
constexpr int kLayers = 61;
constexpr int kExperts = 256;

// The tensor names of the DeepSeek-V3-like layout, in file order: 47 278 of them.
QStringList deepSeekLikeNames()
{
    QStringList names{QStringLiteral("model.embed_tokens.weight")};
    const char* const attention[] = {"self_attn.q_a_proj.weight", "self_attn.q_b_proj.weight", "self_attn.kv_a_proj_with_mqa.weight",
                                     "self_attn.kv_b_proj.weight", "self_attn.o_proj.weight", "input_layernorm.weight",
                                     "post_attention_layernorm.weight"};
    for (int layer = 0; layer < kLayers; ++layer) {
        const QString prefix = QStringLiteral("model.layers.%1.").arg(layer);
        for (const char* part : attention)
            names.append(prefix + QLatin1String(part));
        for (int expert = 0; expert < kExperts; ++expert) {
            for (const char* projection : {"gate_proj", "up_proj", "down_proj"})
                names.append(prefix + QStringLiteral("mlp.experts.%1.%2.weight").arg(expert).arg(QLatin1String(projection)));
        }
    }
    names.append(QStringLiteral("model.norm.weight"));
    names.append(QStringLiteral("lm_head.weight"));
    return names;
}

// Writes NAMES as float32 [4] tensors into SHARDS safetensors files and an index in FOLDER.
bool writeShardedLayout(const QString& folder, const QStringList& names, int shards)
{
    QDir(folder).removeRecursively();
    if (!QDir().mkpath(folder))
        return false;
    QJsonObject weightMap;
    const qsizetype perShard = (names.size() + shards - 1) / shards;
    for (int shard = 0; shard < shards; ++shard) {
        const QString file = QStringLiteral("model-%1-of-%2.safetensors").arg(shard + 1, 5, 10, QLatin1Char('0')).arg(shards, 5, 10, QLatin1Char('0'));
        QJsonObject header;
        qint64 offset = 0;
        const qsizetype first = shard * perShard;
        const qsizetype last = qMin<qsizetype>(names.size(), first + perShard);
        for (qsizetype i = first; i < last; ++i) {
            header.insert(names[i], QJsonObject{{QStringLiteral("dtype"), QStringLiteral("F32")},
                                                {QStringLiteral("shape"), QJsonArray{4}},
                                                {QStringLiteral("data_offsets"), QJsonArray{offset, offset + 16}}});
            offset += 16;
            weightMap.insert(names[i], file);
        }
        QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
        while (json.size() % 8)
            json.append(' ');
        QByteArray bytes(8, '\0');
        for (int b = 0; b < 8; ++b)
            bytes[b] = char((quint64(json.size()) >> (8 * b)) & 0xFF);
        bytes += json;
        bytes += QByteArray(offset, '\0');
        QFile out(folder + u'/' + file);
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size())
            return false;
    }
    const QJsonObject index{{QStringLiteral("metadata"), QJsonObject{{QStringLiteral("total_size"), qint64(names.size()) * 16}}},
                            {QStringLiteral("weight_map"), weightMap}};
    QFile out(folder + QStringLiteral("/model.safetensors.index.json"));
    return out.open(QIODevice::WriteOnly) && out.write(QJsonDocument(index).toJson()) > 0;
}

double medianOf(const std::function<double()>& measure)
{
    std::vector<double> times;
    for (int i = 0; i < kRuns; ++i) {
        const double t = measure();
        if (t < 0)
            return -1;
        times.push_back(t);
    }
    return median(times);
}

// openCheckpoint in this process, in ms; -1 on failure. *tensors: how many it listed.
double openMilliseconds(const QString& path, qsizetype* tensors)
{
    QElapsedTimer timer;
    timer.start();
    auto opened = openCheckpoint(path);
    const double ms = timer.nsecsElapsed() / 1e6;
    if (!opened) {
        std::fprintf(stderr, "open failed: %s\n", qPrintable(opened.error().toString()));
        return -1;
    }
    *tensors = (*opened)->tensors.size();
    return ms;
}

// A statelens-cli run's wall time in ms, start-up included; -1 on failure.
double cliMilliseconds(const QString& cli, const QStringList& arguments)
{
    QElapsedTimer timer;
    timer.start();
    QByteArray out;
    if (!runProcess(cli, arguments, &out))
        return -1;
    return timer.nsecsElapsed() / 1e6;
}

const char* const kHeaderScript = R"(
import json, os, struct, sys, time
t = time.perf_counter()
index = json.load(open(sys.argv[1]))
folder = os.path.dirname(sys.argv[1])
count = 0
for shard in sorted(set(index["weight_map"].values())):
    with open(os.path.join(folder, shard), "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        count += len(header) - ("__metadata__" in header)
assert count == len(index["weight_map"])
print((time.perf_counter() - t) * 1000)
)";

const char* const kStubUnpicklerScript = R"(
import collections, io, pickle, sys, time, zipfile
z = zipfile.ZipFile(sys.argv[1])
data = z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0])
class Stubbed(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "collections":
            return getattr(collections, name)
        return lambda *args: args
    def persistent_load(self, pid):
        return pid
t = time.perf_counter()
Stubbed(io.BytesIO(data)).load()
print((time.perf_counter() - t) * 1000)
)";

double mib(long kib) { return kib < 0 ? -1 : kib / 1024.0; }

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const BenchArguments parsed = benchArguments(app.arguments(), QStringLiteral("statelens-bench-scale"));
    const QString& work = parsed.work;
    const QString& cli = parsed.cli;
    const bool keep = parsed.keep;
    int failures = 0;

    // 1. The 163-shard layout.
    const QStringList names = deepSeekLikeNames();
    const QString moe = work + QStringLiteral("/moe-163");
    if (!writeShardedLayout(moe, names, 163)) {
        std::fprintf(stderr, "could not write %s\n", qPrintable(moe));
        return 1;
    }
    const QString index = moe + QStringLiteral("/model.safetensors.index.json");
    qsizetype listed = 0;
    const double open = medianOf([&] { return openMilliseconds(index, &listed); });
    const double info = medianOf([&] { return cliMilliseconds(cli, {QStringLiteral("info"), index}); });
    const double ls = medianOf([&] { return cliMilliseconds(cli, {QStringLiteral("ls"), index, QStringLiteral("--json")}); });
    const double python = medianOf([&] { return pythonNumber(QLatin1String(kHeaderScript), index); });
    const double infoPeak = mib(peakResidentKiB(cli, {QStringLiteral("info"), index}));
    std::printf("163 shards, %lld tensors (%lld listed)\n", qlonglong(names.size()), qlonglong(listed));
    std::printf("  open in process %8.1f ms   Python header script %8.1f ms   ratio %.2fx (Python / ours; goal >= 2)\n",
                open, python, python / open);
    std::printf("  statelens-cli info %8.1f ms, ls --json %8.1f ms (ls / info %.2f; goal <= 2), start-up included\n", info, ls, ls / info);
    std::printf("  info peak RSS %.1f MiB (goal <= 64)\n", infoPeak);
    failures += open < 0 || python < 0 || listed != names.size();

    // 2. The same tensors over more and more shards.
    std::printf("\n%8s %12s %16s %18s\n", "shards", "open (ms)", "us per tensor", "vs 1 shard");
    double perTensorOne = -1;
    for (const int shards : {1, 10, 100, 1000}) {
        const QString folder = work + QStringLiteral("/shards-%1").arg(shards);
        if (!writeShardedLayout(folder, names, shards)) {
            ++failures;
            continue;
        }
        const QString path = folder + QStringLiteral("/model.safetensors.index.json");
        const double ms = medianOf([&] { return openMilliseconds(path, &listed); });
        const double perTensor = ms * 1000.0 / double(names.size());
        if (perTensorOne < 0)
            perTensorOne = perTensor;
        std::printf("%8d %12.1f %16.2f %17.2fx\n", shards, ms, perTensor, perTensor / perTensorOne);
        if (!keep)
            QDir(folder).removeRecursively();
    }

    // 3. The 100 000-tensor pickle.
    const QString many = work + QStringLiteral("/many-100000.pt");
    if (!QFileInfo::exists(many)
        && !runProcess(QLatin1String(kPython), {QStringLiteral(STATELENS_BENCH_DIR "/make_many_tensors.py"), many, QStringLiteral("100000")})) {
        std::fprintf(stderr, "could not write %s (needs %s with torch)\n", qPrintable(many), kPython);
        return 1;
    }
    const double pickleOpen = medianOf([&] { return openMilliseconds(many, &listed); });
    const double stubbed = medianOf([&] { return pythonNumber(QLatin1String(kStubUnpicklerScript), many); });
    const double torchLoad = medianOf([&] { return torchLoadMilliseconds(many); });
    const double pickleInfo = medianOf([&] { return cliMilliseconds(cli, {QStringLiteral("info"), many}); });
    const double picklePeak = mib(peakResidentKiB(cli, {QStringLiteral("info"), many}));
    std::printf("\n100 000-tensor torch.save file (%lld listed)\n", qlonglong(listed));
    std::printf("  open in process %8.1f ms   CPython stubbed unpickler %8.1f ms   ratio %.2fx (goal >= 6)\n", pickleOpen, stubbed,
                stubbed / pickleOpen);
    std::printf("  torch.load %8.1f ms   ratio %.2fx\n", torchLoad, torchLoad / pickleOpen);
    std::printf("  statelens-cli info %8.1f ms, start-up included; peak RSS %.1f MiB (goal <= 96)\n", pickleInfo, picklePeak);
    failures += pickleOpen < 0 || stubbed < 0;

    if (!keep) {
        QDir(moe).removeRecursively();
        QFile::remove(many);
    }
    return failures ? 1 : 0;
}
