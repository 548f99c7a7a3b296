// Why keys fail to load and what one change would fix them: prefixes to strip or add (DataParallel
// "module.", torch.compile "_orig_mod.", Lightning "model.", FSDP "_forward_module.", stacked ones,
// any prefix all keys share), the cause of each shape mismatch, and renames for near-miss keys.
// Suggestions carry before/after counts and are never applied by themselves.
#pragma once

#include "architecture.h"
#include "load_state_dict_rules.h"

namespace statelens {

struct FixSuggestion {
    QString kind;          // "strip-prefix", "add-prefix", "replace-prefix", "rename", "tied-weights"
    QStringList strip;     // prefixes to strip, outermost first ("module.", "_orig_mod.")
    QString add;           // prefix to add after stripping
    QString from, to;      // rename; tied-weights: the source of the tied copy and the missing key
    int loadableBefore = 0;  // model tensors a load would fill, before and after the change
    int loadableAfter = 0;
    int fixes() const { return loadableAfter - loadableBefore; }
    QString description() const;  // one line for people
};

// Fills ShapeMismatch::cause for each mismatch in the verdict.
void classifyShapeMismatches(const Architecture& architecture, LoadVerdict* verdict);

// The changes that would make more model tensors load, best first.
QVector<FixSuggestion> suggestFixes(const Checkpoint& checkpoint, const StateDictView& stateDict,
                                    const Architecture& architecture, const LoadVerdict& verdict);

}  // namespace statelens
