// One matching of a checkpoint against an architecture, ready to print: the verdict, the causes,
// the suggestions (its `match` JSON is core/report/match_json.h).
#pragma once

#include "core/match/architecture.h"
#include "core/match/fix_suggestions.h"
#include "core/match/load_state_dict_rules.h"
#include "core/match/state_dict_view.h"

namespace statelens {

struct MatchRequest {
    QString architecture;    // as typed: a built-in name, a file, ref:FILE
    bool strict = true;
    QString key;             // null: find the state dict; otherwise its dotted path
    QStringList stripPrefixes;
    QString addPrefix;
    QVector<KeyEdit> keyEdits;  // renames and ties, after the prefixes
    QVector<FixSuggestion> fixes;  // then these, in order (the application's one-click fixes)
};

struct MatchReport {
    QString file;
    MatchRequest request;
    Architecture architecture;
    StateDictView stateDict;     // after the prefix changes
    LoadVerdict verdict;         // mismatch causes filled in
    QVector<FixSuggestion> suggestions;

    // Strict: torch would load it. Lenient: at least one tensor loads.
    bool ok() const;
};

// Opens nothing: matches an opened checkpoint against a loaded architecture.
Result<MatchReport> matchCheckpoint(const Checkpoint& checkpoint, const QString& file, const Architecture& architecture,
                                    const MatchRequest& request);

QString matchText(const MatchReport& report);

}  // namespace statelens
