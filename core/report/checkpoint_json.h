// The CLI contract's JSON documents (docs/cli.md), built from the model.
#pragma once

#include "core/model/checkpoint.h"

#include <QJsonObject>

namespace statelens {

// `ls --json`: file, format, tensors, counts, unsafe_globals; streamed (see JsonWriter).
QByteArray listingJsonText(const Checkpoint& checkpoint, const QString& displayPath);
// `info --json`: the listing's summary fields plus bytes per dtype, candidates, metadata, warnings.
QJsonObject summaryJson(const Checkpoint& checkpoint, const QString& displayPath);

// Bytes per dtype over the listing, in descending order of bytes.
QVector<QPair<QString, qint64>> bytesPerDtype(const Checkpoint& checkpoint);

}  // namespace statelens
