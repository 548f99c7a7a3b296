// What the globals a checkpoint pickle names mean, worked out without importing or calling
// anything: torch's rebuild functions become TensorInfo entries in Checkpoint::rebuilt,
// `collections.OrderedDict()` becomes a Dict, `torch.device('cuda', 1)` a Device, and so on.
// The pickle machine asks TorchGlobals first; whatever it does not interpret stays an opaque
// Object. Objects that interpretation recognises but keeps as objects name their kind in
// Value::text ("numpy.ndarray", "numpy.dtype"), which Value::summary() describes.
// Interpretation is bounded like the machine itself: no recursion proportional to the input,
// and every size is checked before it is trusted.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"

#include <QHash>

#include <vector>

namespace statelens {

// What interpretation needs from the machine: values in its arena, and Python's rules for keys.
class ValueBuilder {
public:
    virtual ~ValueBuilder() = default;
    virtual Value* make(ValueKind kind) = 0;
    // dict[key] = value (Dict, or an Object standing for a dict subclass): an equal key already
    // present keeps its place and takes the new value, as in Python.
    virtual Status setItem(Value* dict, Value* key, Value* value) = 0;
    // set.add(item) for a Set or FrozenSet being built: equal items are kept once.
    virtual Status addItem(Value* set, Value* item) = 0;
};

// REDUCE / INST / OBJ call the callee; NEWOBJ calls `cls.__new__(cls, *args)`, which for the
// builtin containers makes them empty (their __init__ is what fills them).
enum class CallKind { Call, New };

class TorchGlobals {
public:
    TorchGlobals(Checkpoint& checkpoint, ValueBuilder& builder);

    // The value a bare GLOBAL stands for: a DType for `torch.float16` and the other dtypes, a
    // Global (text = the qualified name) for everything else.
    Value* global(const QString& qualifiedName);

    // `callee(*args)` for a Global callee. Returns the interpreted value, nullptr when the callee
    // is not one we interpret (the machine then records an opaque Object), or an error when a
    // callee we know gets arguments torch itself would refuse (a bad shape, a view that runs past
    // its storage, an unknown quantization scheme...).
    Result<Value*> call(Value* callee, Value* args, CallKind kind);

    // BUILD on a value interpretation made (the legacy `torch.Tensor` + `set_` state). Returns
    // true when the state was applied or is one to ignore (tensor attributes), false when the
    // target is not such a value.
    Result<bool> build(Value* target, Value* state);

    // BUILD on a NumPy array made by numpy's _reconstruct: its state (version, shape, dtype,
    // Fortran order, data) becomes a listed array in Checkpoint::rebuilt (target->index), its
    // numeric data a storage over the bytes inside the pickle. A state numpy itself would refuse
    // is an error, as torch.load would raise.
    Status buildArray(Value* target, const Value* state);

private:
    using Args = std::vector<Value*>;
    struct Call {
        Value* callee;     // the Global
        Value* args;       // the argument value as pickled
        const Args& items; // its items: the positional arguments
        CallKind kind;
        int nesting;       // rebuild calls inside _rebuild_from_type_v2
    };
    using Handler = Result<Value*> (TorchGlobals::*)(const Call& call);

    static const QHash<QString, Handler>& handlers();
    Result<Value*> dispatch(Value* callee, Value* args, CallKind kind, int nesting);

    // torch._utils and friends
    Result<Value*> rebuildTensor(const Call& call);
    Result<Value*> rebuildTensorV2(const Call& call);
    Result<Value*> rebuildTensorV3(const Call& call);
    Result<Value*> rebuildParameter(const Call& call);
    Result<Value*> parameter(const Call& call);
    Result<Value*> rebuildFromType(const Call& call);
    Result<Value*> rebuildQTensor(const Call& call);
    Result<Value*> rebuildSparse(const Call& call);
    Result<Value*> rebuildMeta(const Call& call);
    Result<Value*> rebuildWrapperSubclass(const Call& call);
    Result<Value*> rebuildFromCpuTensor(const Call& call);
    Result<Value*> legacyTensor(const Call& call);
    Result<Value*> torchSize(const Call& call);
    Result<Value*> torchDevice(const Call& call);
    Result<Value*> getLayout(const Call& call);
    // collections and builtins
    Result<Value*> orderedDict(const Call& call);
    Result<Value*> counter(const Call& call);
    Result<Value*> codecsEncode(const Call& call);
    Result<Value*> bytes(const Call& call);
    Result<Value*> set(const Call& call);
    Result<Value*> complex(const Call& call);
    Result<Value*> slice(const Call& call);
    // numpy (arrays in RNG states and training arguments)
    Result<Value*> numpyReconstruct(const Call& call);
    Result<Value*> numpyDtype(const Call& call);
    Result<Value*> numpyScalar(const Call& call);
    // TorchScript's typed containers
    Result<Value*> jitList(const Call& call);
    Result<Value*> restoreTypeTag(const Call& call);

    Result<TensorInfo> stridedTensor(Value* storage, const Value* offset, const Value* size, const Value* stride, DType dtype);
    Value* addTensor(TensorInfo tensor);
    // A new tensor value that starts as a copy of `tensor`'s entry (Parameter, device moves,
    // subclasses): the original keeps its own flags wherever else it is referenced.
    Value* deriveTensor(const Value* tensor, TensorInfo** info);
    const TensorInfo* tensorInfo(const Value* value) const;
    Status fillDict(Value* dict, const Value* source);
    Result<Value*> encodeText(const QString& text, const QString& encoding);

    Checkpoint& m_checkpoint;
    ValueBuilder& m_builder;
};

}  // namespace statelens
