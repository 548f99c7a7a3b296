// A restricted pickle machine (protocols 0-5) that never imports or calls anything.
//
// It builds a Value tree in the checkpoint's arena. REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ
// on a global from the allow list of torch rebuild functions and containers are *interpreted*
// (TorchGlobals): `_rebuild_tensor_v2(...)` becomes a Tensor value with a TensorInfo appended to
// Checkpoint::rebuilt, `collections.OrderedDict()` becomes a Dict, and so on. Any other callee
// becomes an opaque Object that records its name and arguments; its global is listed as unsafe.
// Every size, count and depth is bounded before anything is allocated.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"

#include <functional>
#include <optional>

namespace statelens {

struct PickleLimits {
    int maxDepth = 1000;             // nesting of containers built by the pickle
    qint64 maxStack = 1 << 24;       // values on the stack at once
    qint64 maxMemo = 1 << 24;        // memo entries
    // Values one run may create (each costs ~180 bytes; a real data.pkl has one per few bytes),
    // and container slots it may fill (memo references let a short pickle copy a big list often).
    qint64 maxValues = 1 << 24;
    qint64 maxItems = 1 << 27;
    // A string or byte length must also fit in the bytes left in the pickle; LONG1/LONG4
    // integers are limited to 1024 bytes.
};

class PickleMachine {
public:
    // Turns a persistent id (the tuple after BINPERSID, or the text after PERSID) into a value:
    // the format reader looks up the storage record and returns a Storage value (or an error).
    using PersistentLoader = std::function<Result<Value*>(Value* pid)>;

    explicit PickleMachine(Checkpoint& checkpoint, PickleLimits limits = {});

    void setPersistentLoader(PersistentLoader loader) { m_persistentLoader = std::move(loader); }
    // In TorchScript archives `__torch__.*` classes are defined by the archive's own TorchScript
    // code, not imported from Python: they count as safe there.
    void setTorchScriptMode(bool on) { m_torchScript = on; }
    // What the pickle is called in notes and other readings ("data.pkl", "legacy object pickle");
    // their byte offsets count from the pickle's first byte, as its error messages do.
    void setPickleName(const QString& name) { m_pickleName = name; }
    // joblib.dump writes each NumPy array's bytes straight into the stream after the BUILD of the
    // joblib.numpy_pickle.NumpyArrayWrapper describing it (joblib/numpy_pickle.py, write_array);
    // joblib.load reads them there (NumpyArrayWrapper.read). With this set the machine does the
    // same and lists the array. `fileOffset`: the file offset of the pickle's first byte, where
    // storages point; -1 keeps the bytes inline (a decompressed stream).
    struct JoblibArrays {
        int file = 0;
        qint64 fileOffset = 0;
    };
    void setJoblibArrays(const JoblibArrays& arrays) { m_joblib = arrays; }
    bool sawJoblibArrays() const { return m_sawJoblib; }

    // Runs one pickle starting at data[0] until STOP. `end` receives the offset just past STOP
    // (the legacy format is several pickles back to back). Errors carry the byte offset. After an
    // error, and where a read straddles a FRAME's end, the globals other unpicklers reach are
    // swept from the bytes into Checkpoint::otherReadings (see OtherReading).
    Result<Value*> run(const char* data, qint64 size, qint64* end = nullptr);

    int protocol() const { return m_protocol; }

private:
    Checkpoint& m_checkpoint;
    PickleLimits m_limits;
    PersistentLoader m_persistentLoader;
    int m_protocol = 0;
    bool m_torchScript = false;
    QString m_pickleName = QStringLiteral("pickle");
    std::optional<JoblibArrays> m_joblib;  // unset: joblib's array data is not read
    bool m_sawJoblib = false;
};

// Is `module.name` on the allow list (torch rebuild functions, storages, dtypes, containers, and
// what TorchGlobals interprets without risk)? TorchScript `__torch__` classes are the machine's call.
bool isSafeGlobal(const QString& qualifiedName);

}  // namespace statelens
