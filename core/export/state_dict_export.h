// Writing a state dict out: re-rooted (--key), re-prefixed, optionally only the keys a model
// matched, as a torch.save zip that torch.load(weights_only=True) reads back bit for bit, or as
// safetensors. Writes are atomic (QSaveFile) and never replace an input.
#pragma once

#include "core/base/result.h"
#include "core/match/fix_suggestions.h"
#include "core/match/state_dict_view.h"
#include "core/model/checkpoint.h"

#include <QSet>

#include <functional>

namespace statelens {

enum class ExportFormat { TorchZip, Safetensors };

struct ExportRequest {
    QString output;
    ExportFormat format = ExportFormat::TorchZip;
    QString key;               // null: the state dict found by itself
    QStringList stripPrefixes;
    QString addPrefix;
    QVector<KeyEdit> keyEdits; // renames and ties, after the prefixes
    QVector<FixSuggestion> fixes;  // then these, in order (the application's one-click fixes)
    bool onlySelected = false; // keep only `selected` (the keys a lenient match loads)
    QSet<QString> selected;
    // Called as tensor bytes are written (done, total); returning false cancels: the output is
    // not created and the result is ErrorCode::Cancelled.
    std::function<bool(qint64 done, qint64 total)> progress;
};

struct ExportSummary {
    QString output;
    int tensors = 0;
    qint64 bytes = 0;          // size of the file written
    StateDictView view;        // the keys as written
};

Result<ExportSummary> exportStateDict(const Checkpoint& checkpoint, const ExportRequest& request);

// Python that applies the same key map to the original file with torch itself.
QString exportSnippet(const Checkpoint& checkpoint, const ExportRequest& request, const StateDictView& written);

}  // namespace statelens
