// The name a pickled global is looked up by: Python 2 names mapped to Python 3 ones as CPython's
// Unpickler.find_class does for protocols < 3 (_compat_pickle), and torch's own rename of
// torch.tensor to torch._tensor. Shared by the pickle machine and the global sweep.
#pragma once

#include <QString>

namespace statelens {

// "module.name" as torch.load looks it up, for a pickle of protocol `protocol`.
QString qualifiedGlobalName(const QString& module, const QString& name, int protocol);

}  // namespace statelens
