// Why keys fail to load and what one change would fix them: prefixes to strip or add (DataParallel
// "module.", torch.compile "_orig_mod.", Lightning "model.", FSDP "_forward_module.", stacked ones,
// any prefix all keys share), the cause of each shape mismatch, and renames for near-miss keys.
// Suggestions carry before/after counts and are never applied by themselves.
#pragma once

#include "core/match/architecture.h"
#include "core/match/load_state_dict_rules.h"

namespace statelens {

struct FixSuggestion {
    QString kind;          // "strip-prefix", "add-prefix", "replace-prefix", "rename", "tied-weights"
    QStringList strip;     // prefixes to strip, outermost first ("module.", "_orig_mod.")
    QString add;           // prefix to add after stripping
    QString from, to;      // rename; tied-weights: the source of the tied copy and the missing key
    // rename and tied-weights name keys as they are after the best prefix change; applying one
    // makes that change first.
    QStringList assumedStrip;
    QString assumedAdd;
    int loadableBefore = 0;  // model tensors a load would fill, before and after the change
    int loadableAfter = 0;
    int fixes() const { return loadableAfter - loadableBefore; }
    QString description() const;  // one line for people
};

// The view with one suggestion applied: its prefix change, then its rename or tie. Suggestions
// name keys of the view they were made for, so several are applied one at a time, in order.
StateDictView withFix(const StateDictView& view, const FixSuggestion& fix);
StateDictView withFixes(const StateDictView& view, const QVector<FixSuggestion>& fixes);

// Fills ShapeMismatch::cause for each mismatch in the verdict.
void classifyShapeMismatches(const Architecture& architecture, LoadVerdict* verdict);

// The changes that would make more model tensors load, best first.
QVector<FixSuggestion> suggestFixes(const Checkpoint& checkpoint, const StateDictView& stateDict,
                                    const Architecture& architecture, const LoadVerdict& verdict);

}  // namespace statelens
