// What changed in torch.load(weights_only=True) from one torch release to the next, as the rules
// the emulator (weights_only_rules.cpp) follows: the allow list of globals, which opcodes and
// instances the unpickler accepts, the exception it raises and the text torch.load wraps it in.
// Read from each release's torch/_weights_only_unpickler.py and torch/serialization.py; the
// sources, and what could not be found, are in docs/weights-only-versions.md.
#pragma once

#include <QHash>
#include <QList>
#include <QString>

namespace statelens {

// The releases whose rules differ in ways a checkpoint can tell apart:
// - 1.13: the first weights-only unpickler (RuntimeError, 90 globals), what Debian ships.
// - 2.4: add_safe_globals; Counter, torch.device, every dtype and qscheme, the new rebuild
//   functions allowed; storage classes no longer callable; float opcodes read (as the 2.4 docs
//   build has them: RuntimeError, the longer wrapper text).
// - 2.6: weights_only=True by default; UnpicklingError; modules sys, os, posix, nt blocked;
//   set, complex, bytearray, _codecs.encode allowed; NEWOBJ and BUILD of allowed classes;
//   Python 2 names mapped; TorchScript archives and 0.1.x tar files refused.
// - 2.14 (Debian sid's 2.14.1, the newest release read): SETITEM(S) only into dict, OrderedDict
//   and Counter; APPEND(S) only to lists; int persistent ids pass the unpickler (the 2.10 fix) and
//   fail torch's persistent_load; more dtypes; a path ending in .safetensors read by safetensors.
enum class TorchRelease { Torch1_13, Torch2_4, Torch2_6, Torch2_14 };

QString torchReleaseName(TorchRelease release);  // "1.13", "2.4", "2.6", "2.14"
const QList<TorchRelease>& weightsOnlyReleases();  // oldest first

enum class GlobalKind {
    Class,         // a class: NEWOBJ and REDUCE make an instance of it
    Function,      // a rebuild function or another callable
    DType,         // torch.float32: a value, not callable
    QScheme,       // torch.per_tensor_affine: a value, not callable
    TensorType,    // torch.FloatTensor
    StorageClass,  // torch.FloatStorage (from 2.2 a StorageType wrapper, not callable)
};

struct AllowedGlobal {
    GlobalKind kind = GlobalKind::Class;
    int itemSize = 0;  // storage classes
};

struct WeightsOnlyReleaseRules {
    TorchRelease release = TorchRelease::Torch1_13;
    const QHash<QString, AllowedGlobal>* allowed = nullptr;  // _get_allowed_globals()
    bool readsFloats = false;            // BINFLOAT (from 2.2)
    bool storageClassesCallable = true;  // 1.13: the classes themselves; 2.2+: StorageType wrappers
    bool userGlobals = false;            // add_safe_globals exists (2.4)
    bool blocksModules = false;          // sys, os, posix, nt refused before any allow list (2.5)
    bool mapsPython2Names = false;       // torch._utils NAME_MAPPING / IMPORT_MAPPING on GLOBAL (2.6)
    bool buildsAllowedClasses = false;   // NEWOBJ and BUILD of any allowed class, not only Parameter (2.6)
    bool refusesScriptAndTar = false;    // TorchScript archives, 0.1.x tar files (2.6)
    QString ruleError;                   // the exception the rules raise: RuntimeError, UnpicklingError
    bool checksContainerTargets = false; // SETITEM(S) into dict/OrderedDict/Counter, APPEND(S) to lists only (2.14)
    bool persistentIdTypeFixed = false;  // refuses non-tuple non-int ids; ints reach persistent_load (2.10)
    bool readsSafetensorsPaths = false;  // torch.load("x.safetensors") is safetensors.torch.load_file (2.14)
};

const WeightsOnlyReleaseRules& weightsOnlyRules(TorchRelease release);

// The unpickler's messages, as each release words them.
QString unsupportedGlobalMessage(TorchRelease release, const QString& module, const QString& name);
QString blockedGlobalMessage(const QString& module, const QString& name);
QString specialGlobalMessage(const QString& qualifiedName);  // 2.6: NJT and DTensor globals; empty for others
QString unsupportedNewObjMessage(TorchRelease release, const QString& cls);
QString unsupportedBuildMessage(TorchRelease release, const QString& type);

// torch.load's text around an error it catches from the unpickler: `exception` is what the
// unpickler raised; empty when torch.load lets it through unchanged.
QString weightsOnlyWrappedMessage(TorchRelease release, const QString& exception, const QString& error);
// The explanation torch 2.6 appends when it refuses TorchScript and tar files.
QString torch26UnsafeMessage();

// torch._utils' NAME_MAPPING and IMPORT_MAPPING (Python 2 names torch 2.6 maps on GLOBAL);
// `python2Exceptions`: 2.14's exceptions.X -> builtins.X as well.
void mapPython2Global(QString* module, QString* name, bool python2Exceptions = false);

// Modules whose globals torch 2.5+ refuses whatever the allow lists say.
bool isBlockedModule(const QString& module);

}  // namespace statelens
