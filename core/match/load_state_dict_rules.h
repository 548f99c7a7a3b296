// torch.nn.Module.load_state_dict's verdict, computed without torch: which keys it loads, which
// are missing, unexpected or of another shape, in the order torch reports them, and the exact
// RuntimeError text a strict load raises (so users can search for it).
#pragma once

#include "core/match/architecture.h"
#include "core/match/state_dict_view.h"
#include "core/model/checkpoint.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

struct ShapeMismatch {
    QString name;
    QVector<qint64> checkpoint;
    QVector<qint64> model;
    QString cause;  // filled by classifyShapeMismatches(): "transposed", "classifier head", ...
};

struct DtypeDifference {
    QString name;
    DType checkpoint = DType::Unknown;
    DType model = DType::Unknown;  // load_state_dict copies with a cast: informational only
};

struct LoadVerdict {
    QStringList matched;        // model order: loaded by both strict and lenient loads
    QStringList filledByTorch;  // among `matched`: not in the checkpoint, set by torch itself
                                // (BatchNorm's num_batches_tracked without version metadata)
    QStringList missing;        // torch's order (module traversal)
    QStringList unexpected;     // torch's order
    QVector<ShapeMismatch> shapeMismatches;
    QVector<DtypeDifference> dtypeDifferences;
    QString strictMessage;      // empty when a strict load succeeds
    qint64 loadedParameters = 0;  // elements of the matched tensors
    qint64 modelParameters = 0;   // elements of every model tensor

    bool strictOk() const { return missing.isEmpty() && unexpected.isEmpty() && shapeMismatches.isEmpty(); }
    // Names a lenient load leaves at their initial values: missing and mismatched ones.
    QStringList leftInitial() const;
};

LoadVerdict judgeLoad(const Checkpoint& checkpoint, const StateDictView& stateDict, const Architecture& architecture);

// How many model tensors a view would load (same name and shape): what a fix is worth.
int countLoadable(const Checkpoint& checkpoint, const StateDictView& stateDict, const Architecture& architecture);

}  // namespace statelens
