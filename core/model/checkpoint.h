// The checkpoint model: everything a reader learned from a file, without its tensor bytes.
#pragma once

#include "core/base/mapped_file.h"
#include "core/base/result.h"
#include "core/model/record_offsets.h"
#include "core/model/script_classes.h"
#include "core/model/tensor_info.h"
#include "core/model/value.h"

#include <QByteArrayView>
#include <QPair>
#include <QStringList>
#include <QVector>

#include <memory>
#include <vector>

namespace statelens {

// Pickle: a raw pickle file (pickle.dump), Joblib: joblib.dump's pickle with array bytes between
// its opcodes, NumpyArray: a .npy file, NumpyArchive: a .npz zip of them.
enum class Format { TorchZip, TorchLegacy, TorchTar, TorchScript, TorchExport, Safetensors, Sharded, Pickle, Joblib, NumpyArray, NumpyArchive };
// The contract's names: torch-zip, torch-legacy, torch-tar, torchscript, pt2, safetensors, sharded,
// pickle, joblib, npy, npz.
QString formatName(Format format);

// A dict inside the object tree that looks like a model's state dict (Lightning `state_dict`,
// `model_state_dict`, `ema`, optimizer state, or the root itself).
struct CandidateStateDict {
    QString path;        // dotted path of the dict ("" for the root, "state_dict", "optimizer.state")
    int tensorCount = 0;
    qint64 nbytes = 0;   // bytes of the distinct storages its tensors use
    double share = 0.0;  // nbytes / all tensor bytes in the file
    QString kind;        // "state_dict", "optimizer", "ema", "module"
    const Value* value = nullptr;  // the dict (or pickled module) itself, in Checkpoint::arena
};

// A global that another reading of a pickle reaches where ours did not: what a scanner must
// not forget. Found by sweeping opcodes without running them (core/pickle/global_sweep.h).
struct OtherReading {
    enum class Kind {
        AfterError,     // past the opcode where our reading stopped: an unpickler more lenient than
                        // ours (CPython goes on after BUILD on a module) may reach it
        FileUnpickler,  // read by CPython's C Unpickler from a file (torch.load of a zip) before
                        // 3.13.15 / 3.14.7, where a read straddles a FRAME's end
        AfterStop,      // in bytes after a pickle's STOP that torch.load never reads and another
                        // reader may take for a second pickle
        TwinRecord,     // in one of two zip records that loaders tell apart differently (one
                        // name twice, or names that differ only in letter case)
        ZipRecord,      // in a pickle record of a zip that is no torch layout, which other
                        // loaders unpickle
        NestedPickle,   // in a bytes literal that is itself a pickle, in a file that already
                        // calls something unsafe (pickle.loads of it: modelscan's malicious12)
    };
    Kind kind = Kind::AfterError;
    QString global;     // "module.name"; a part the opcodes compute at run time is "?"
    QString pickle;     // which pickle: "data.pkl", "legacy object pickle", ...
    qint64 offset = 0;  // of the opcode that names it, in that pickle's bytes
};
// The contract's names: after_error, file_unpickler, after_stop, twin_record, zip_record,
// nested_pickle.
QString otherReadingKindName(OtherReading::Kind kind);

// One file behind the checkpoint: the file itself, or one shard of a sharded checkpoint.
struct SourceFile {
    std::shared_ptr<MappedFile> map;
    // Set for archive formats (zip): where each record's data starts, found on first use and
    // cached by the archive, safe to ask from any thread. Null when every storage has fileOffset.
    std::shared_ptr<const RecordOffsets> records;
};

class Checkpoint {
public:
    Checkpoint() = default;
    Checkpoint(const Checkpoint&) = delete;
    Checkpoint& operator=(const Checkpoint&) = delete;
    ~Checkpoint();

    QString path;
    Format format = Format::TorchZip;
    QString formatDetail;           // e.g. "torch.save zip, version 3, pickle protocol 2"

    ValueArena arena;
    Value* root = nullptr;          // the unpickled object (safetensors: a dict of tensors)
    std::vector<TensorInfo> rebuilt;  // every tensor the pickle rebuilt; Value::index points here
    QVector<StorageInfo> storages;
    QVector<TensorInfo> tensors;    // the listing: one entry per tensor reachable from root, named
    QStringList globals;            // every global the pickle names, first-seen order
    QStringList unsafeGlobals;      // those not on the allow list
    // Places where CPython's unpicklers would read a pickle differently from each other (a read
    // across a FRAME's end): what torch.load runs may then not be what was listed. Never safe.
    QStringList readingDifferences;
    // Globals other readings of the pickles reach and ours did not; those outside the allow list
    // are in unsafeGlobals too (a loader that reads that way imports them).
    QVector<OtherReading> otherReadings;
    QVector<CandidateStateDict> candidates;
    QVector<QPair<QString, QString>> metadata;  // format facts (version, byteorder, __metadata__)
    QStringList warnings;
    std::vector<SourceFile> files;
    ScriptClasses scriptClasses;    // TorchScript: parameters and buffers of each class

    // No global outside the allow list and no pickle that reads differently in different unpicklers.
    bool looksSafe() const { return unsafeGlobals.isEmpty() && readingDifferences.isEmpty(); }

    qint64 totalNumel() const;
    qint64 totalNbytes() const;       // sum of tensor nbytes in the listing
    qint64 distinctStorageBytes() const;

    // The bytes of one storage, mapped (not copied); a zip record's offset comes from its file's
    // RecordOffsets. Writes nothing, so any number of threads may call it at once.
    Result<QByteArrayView> storageBytes(int storage) const;
};

using CheckpointPtr = std::shared_ptr<Checkpoint>;

}  // namespace statelens
