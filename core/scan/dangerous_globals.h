// Globals known to run code or reach the system when a pickle calls them: what a person must
// not add to torch's weights_only allow list to make a file load. The list is picklescan's
// (mmaitre314/picklescan, src/picklescan/scanner.py `_unsafe_globals`, commit f15d54d), the
// scanner whose samples tests/data/peers holds.
#pragma once

#include <QString>

namespace statelens {

// `module.name`; a whole module (os, subprocess) covers its submodules. A name with a part known
// only at run time ("?.os", picklescan's "unknown") counts as dangerous.
bool isKnownDangerousGlobal(const QString& qualifiedName);

}  // namespace statelens
