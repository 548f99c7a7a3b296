// The restricted pickle machine on raw pickle bytes (protocols 0-5), with a persistent loader
// that hands out storages over a zero-filled map, so fuzzed tensor geometry (sizes, strides,
// offsets, quantization) reaches naming and element decoding. The same bytes then go through
// the opcode walker and the weights-only emulation.
#include "fuzz/fuzz_common.h"

#include "core/formats/storage_pid.h"
#include "core/model/tensor_naming.h"
#include "core/pickle/pickle_machine.h"
#include "core/pickle/pickle_opcodes.h"
#include "core/scan/weights_only_rules.h"


using namespace statelens;

namespace {

constexpr qint64 kStorageBytes = 1 << 16;
alignas(64) char g_zeros[kStorageBytes];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const char* bytes = reinterpret_cast<const char*>(data);
    {
        PickleOpWalker walker(bytes, qint64(size));
        PickleOp op;
        while (walker.next(&op)) {
            if (op.argOffset < 0 || op.argLength < 0 || op.argOffset + op.argLength > qint64(size))
                __builtin_trap();  // the walker promised bytes past the input
        }
        WeightsOnlyPickle pickle;
        pickle.data = bytes;
        pickle.size = qint64(size);
        pickle.fileSize = qint64(size);
        pickle.recordBytes = [](const QString& key) { return key.size() < 4 ? kStorageBytes : qint64(-1); };
        (void)runWeightsOnlyPickle(pickle);
        pickle.recordBytes = nullptr;
        pickle.legacyPersistentIds = true;
        (void)runWeightsOnlyPickle(pickle);
    }

    auto checkpoint = std::make_shared<Checkpoint>();
    checkpoint->path = QStringLiteral("fuzz-input");
    checkpoint->files.push_back(SourceFile{MappedFile::fromMemory(QStringLiteral("zeros"), g_zeros, kStorageBytes), nullptr});
    QHash<QString, int> byKey;
    PickleMachine machine(*checkpoint);
    machine.setTorchScriptMode(QByteArrayView(bytes, qsizetype(size)).contains(QByteArrayView("__torch__")));
    machine.setPersistentLoader([&](Value* pid) -> Result<Value*> {
        auto parsed = parseStoragePid(pid);
        if (!parsed)
            return parsed.error();
        if (parsed->nbytes > kStorageBytes)
            return makeError(ErrorCode::Corrupt, QStringLiteral("storage too large"));
        int index = byKey.value(parsed->key, -1);
        if (index < 0) {
            StorageInfo info;
            info.key = parsed->key;
            info.dtype = parsed->dtype;
            info.nbytes = parsed->nbytes;
            info.fileOffset = 0;
            index = checkpoint->storages.size();
            checkpoint->storages.append(info);
            byKey.insert(parsed->key, index);
        }
        Value* value = checkpoint->arena.make(ValueKind::Storage);
        value->index = index;
        value->dtype = parsed->dtype;
        return value;
    });
    qint64 end = 0;
    auto root = machine.run(bytes, qint64(size), &end);
    if (!root) {
        fuzz::checkError(root.error().message);
        return 0;
    }
    if (end <= 0 || end > qint64(size))
        __builtin_trap();  // STOP must lie inside the input
    checkpoint->root = *root;
    if (auto status = nameTensors(*checkpoint); !status) {
        fuzz::checkError(status.error().message);
        return 0;
    }
    findCandidateStateDicts(*checkpoint);
    fuzz::touch(checkpoint, /*verdict=*/false);  // no archive behind it: runWeightsOnlyPickle ran above
    return 0;
}
