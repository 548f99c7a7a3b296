// The `stats` JSON of the CLI contract, written as it is walked (see core/report/json_writer.h).
#pragma once

#include "core/stats/tensor_stats.h"

#include <QByteArray>
#include <QString>
#include <QVector>

namespace statelens {

struct StatsReport {
    QString file;
    QString device;
    QString engine;               // "fused" or "libtorch"
    int bins = 64;
    QVector<TensorStats> tensors;  // in listing order
    QVector<TensorStats> groups;   // --group aggregates
};

QByteArray statsJsonText(const StatsReport& report);

}  // namespace statelens
