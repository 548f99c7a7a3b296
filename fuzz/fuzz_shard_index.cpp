// Sharded checkpoints: the fuzzed bytes are written as the index of a scratch folder holding
// copies of the fixture shards (two safetensors, two torch zips), then opened with openCheckpoint,
// so weight_map names reach the path checks and, when they name a real shard, the merge.
#include "fuzz/fuzz_common.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>

using namespace statelens;

namespace {

QString scratchFolder()
{
    static QTemporaryDir* folder = [] {
        auto* dir = new QTemporaryDir(QDir::tempPath() + QStringLiteral("/statelens-fuzz-shards-XXXXXX"));
        if (!dir->isValid()) {
            std::fprintf(stderr, "cannot create a scratch folder\n");
            std::abort();
        }
        for (const char* sub : {"sharded_st", "sharded_bin"}) {
            const QDir source(QStringLiteral(STATELENS_TEST_DATA "/") + QLatin1String(sub));
            for (const QString& name : source.entryList(QDir::Files)) {
                if (!name.endsWith(QLatin1String(".json")))
                    QFile::copy(source.filePath(name), dir->filePath(name));
            }
        }
        std::atexit([] { delete folder; });
        return dir;
    }();
    return folder->path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString index = scratchFolder() + QStringLiteral("/model.safetensors.index.json");
    {
        QFile file(index);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(reinterpret_cast<const char*>(data), qint64(size)) != qint64(size))
            std::abort();
    }
    auto opened = openCheckpoint(index);
    if (!opened) {
        fuzz::checkError(opened.error().message);
        return 0;
    }
    fuzz::touch(*opened);
    return 0;
}
