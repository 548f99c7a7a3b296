// The statistics of one tensor, or of a group of tensors taken together (a module subtree).
#pragma once

#include "core/model/dtype.h"
#include "core/stats/moments.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

struct TensorStats {
    int tensor = -1;          // index in Checkpoint::tensors; -1 for a group
    QString name;             // the tensor's name, or the group's (e.g. "layer1.")
    DType dtype = DType::Unknown;  // Unknown for a group
    qint64 numel = 0;
    int tensorCount = 1;      // tensors taken together (groups)
    Moments moments;          // counts, extremes and moments over the finite values
    HistogramRange range;     // what the histogram spans ([min, max], as torch.histc)
    QVector<qint64> histogram;  // one count per bin; empty when there is no finite value
    QString skipped;          // why there are no statistics (sparse, meta), or empty
    QString error;            // why they could not be computed (bytes missing, dtype), or empty
    QStringList warnings;     // groups: members left out and why

    bool hasValues() const { return skipped.isEmpty() && error.isEmpty(); }
    // The problems a researcher wants first: NaN, infinities, all values zero.
    bool hasNan() const { return moments.nan > 0; }
    bool hasInf() const { return moments.inf() > 0; }
    bool allZero() const { return hasValues() && numel > 0 && moments.zeros == numel; }
};

}  // namespace statelens
