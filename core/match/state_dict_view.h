// The state dict a checkpoint offers to a model: found by itself inside training checkpoints
// (Lightning `state_dict`, `model_state_dict`, `model`, `ema`, ...) or named with --key, with
// prefixes stripped or added as the user asks, and torch's `_metadata` module versions.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

struct StateDictEntry {
    QString key;      // as load_state_dict sees it (after any prefix change)
    int tensor = -1;  // index into Checkpoint::tensors
};

struct StateDictView {
    QString path;                     // where the dict is in the file ("" for the root)
    QVector<StateDictEntry> entries;  // the file's order
    // `_metadata` of the pickled OrderedDict: module prefix ("" root, "layer1.0.bn1") -> version.
    // torch.load_state_dict reads it (BatchNorm fills in a missing num_batches_tracked only
    // for version < 2); a plain dict has none.
    bool hasMetadata = false;
    QHash<QString, qint64> versions;
};

// `keyPath` empty: the best candidate (a state dict by name and size, never an optimizer state).
// Otherwise the candidate at that dotted path; the error lists the candidates there are.
Result<StateDictView> selectStateDict(const Checkpoint& checkpoint, const QString& keyPath);

// Strips each prefix in turn from the keys that start with it (stacked: "module." then
// "_orig_mod."), then prepends `add`. The metadata's module names follow, so each module keeps
// its version (torch 1.13's consume_prefix_in_state_dict_if_present means to, but looks for
// "_metadata" among the keys and never finds it).
StateDictView withPrefixes(const StateDictView& view, const QStringList& strip, const QString& add);

// A one-key change after the prefixes: a rename (the tensor moves to `to`), or a tie (`copy`: the
// tensor stays under `from` and is also offered as `to`, as a model with tied embeddings fills
// its output head from its input embedding).
struct KeyEdit {
    QString from;
    QString to;
    bool copy = false;
};

// Applies the edits in order; an edit whose `from` is not a key changes nothing.
StateDictView withKeyEdits(const StateDictView& view, const QVector<KeyEdit>& edits);

}  // namespace statelens
