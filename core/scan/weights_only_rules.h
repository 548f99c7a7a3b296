// What `torch.load(f, weights_only=True)` of torch 1.13, 2.4 and 2.6 would do with a file
// (weights_only_releases.h: what changed between them), found without torch and without running
// anything: the rules of torch/_weights_only_unpickler.py (its allow list of
// globals, its short list of opcodes, NEWOBJ only of Parameter, BUILD only on tensors, parameters
// and OrderedDicts, APPEND only to lists, persistent ids only of storages) applied symbolically to
// the opcodes of the pickle(s) torch.load would unpickle, plus the container steps torch.load takes
// around them (magic and protocol pickles of the legacy format, storage records of a zip, the
// dispatch of TorchScript archives to torch.jit.load).
#pragma once

#include "core/model/checkpoint.h"
#include "core/scan/weights_only_releases.h"

#include <QStringList>

#include <functional>

namespace statelens {

struct WeightsOnlyVerdict {
    TorchRelease release = TorchRelease::Torch1_13;
    QString torchVersion = QStringLiteral("1.13");
    QStringList userGlobals;  // add_safe_globals given before loading (2.4+)
    bool applies = true;     // false: torch.load cannot read this kind of file at all (safetensors, index)
    QString note;            // why it does not apply, or how torch.load reads the file
    bool loads = false;
    QString exception;       // the Python exception torch.load raises ("UnpicklingError", "EOFError", ...)
    QString error;           // the reason ("Unsupported class posix.system"), as the unpickler words it
    QString message;         // str() of that exception: error, after torch's warning when torch wraps it
    QStringList rejected;    // every rule the pickle(s) break, in file order, each once
    QStringList unsupportedGlobals;  // globals outside the allow list, as the release names them (after its Python 2 mapping)
    QStringList blockedGlobals;      // globals of the modules 2.5+ refuses whatever is allowed
};


// One pickle under the weights-only rules. `recordBytes` answers, for a storage key of a zip
// archive, the byte size of record data/<key> (-1 when missing); null for the legacy format.
struct WeightsOnlyPickle {
    const char* data = nullptr;
    qint64 size = 0;
    std::function<qint64(const QString& key)> recordBytes;
    qint64 fileSize = 0;               // a record claiming more than the file cannot be read
    bool legacyPersistentIds = false;  // the legacy format's 6-tuple storage ids
    bool tarPersistentIds = false;     // the 0.1.x tar format: ids are tensor keys (str)
    // torch gives a persistent_load to the pickle that holds tensors only; the legacy format's
    // other pickles (magic number, sys_info, ...) get the weights-only Unpickler's own, which raises.
    bool persistentLoader = true;
    TorchRelease release = TorchRelease::Torch1_13;
    QStringList userGlobals;           // add_safe_globals (2.4+)
};

struct WeightsOnlyRun {
    bool ok = false;          // the unpickler returned a value
    QString exception;        // otherwise: the Python exception and its message (unwrapped)
    QString error;
    QStringList rejected;     // every rule broken (the first one is `error` when it is a rule)
    qint64 end = 0;           // offset just past STOP (the legacy format reads pickles back to back)
    // For the legacy format: the value as far as torch.load checks it.
    bool isMagic = false;     // the LONG equal to torch's MAGIC_NUMBER
    qint64 integer = 0;       // an int result
    bool isInt = false;
    QString text;             // a str result (printed in messages)
    QStringList strings;      // a list of str result (the storage keys)
    QStringList storageKeys;  // legacy: storages the persistent ids named, with their element sizes
    QList<int> storageItemSizes;
    QList<qint64> storageNumels;
    QStringList unsupportedGlobals;
    QStringList blockedGlobals;
};

WeightsOnlyRun runWeightsOnlyPickle(const WeightsOnlyPickle& pickle);

// The verdict for an opened checkpoint (its first file; a sharded checkpoint: every shard), under
// RELEASE's rules, with USERGLOBALS passed to add_safe_globals first (2.4+).
WeightsOnlyVerdict weightsOnlyVerdict(const Checkpoint& checkpoint, TorchRelease release = TorchRelease::Torch1_13,
                                      const QStringList& userGlobals = {});

}  // namespace statelens
