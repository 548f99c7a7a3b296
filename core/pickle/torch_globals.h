// What the allow-listed globals mean, interpreted without calling anything: torch's tensor
// rebuild functions become TensorInfo entries, containers become containers.
#pragma once

#include "../checkpoint.h"
#include "../result.h"

namespace statelens {

// Interprets `callee(*args)` for an allow-listed callee. Returns the resulting value, nullptr
// when the callee is not one we interpret (the machine then builds an opaque Object), or an error
// when a known callee gets malformed arguments (a view past its storage, a bad shape, ...).
Result<Value*> interpretCall(Checkpoint& checkpoint, const QString& callee, Value* args);

// A bare GLOBAL that is a value in itself (`torch.float16` is a dtype): that value, else nullptr.
Value* interpretGlobal(Checkpoint& checkpoint, const QString& qualifiedName);

// Python 2 names as Python 3 sees them (`__builtin__.set` -> `builtins.set`), and torch's own
// module renames (`torch.tensor` -> `torch._tensor`).
QString canonicalGlobalName(const QString& module, const QString& name);

}  // namespace statelens
