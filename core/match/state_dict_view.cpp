#include "core/match/state_dict_view.h"

#include "core/model/value.h"

namespace statelens {

namespace {

// Names training scripts give the model's weights, most telling first (EMA weights are a
// deliberate choice: asked for by --key, never picked over the model itself).
const char* const kPreferredNames[] = {"state_dict", "model_state_dict", "model", "module", "net",
                                       "network", "weights", "params", "generator", "student"};

int preference(const CandidateStateDict& candidate)
{
    const QString last = candidate.path.section(u'.', -1);
    for (int i = 0; i < int(std::size(kPreferredNames)); ++i) {
        if (last == QLatin1String(kPreferredNames[i]))
            return i;
    }
    return int(std::size(kPreferredNames)) + (candidate.kind == QLatin1String("ema") ? 1 : 0);
}

void readMetadata(const Value* dict, StateDictView* view)
{
    if (!dict || dict->kind != ValueKind::Dict || !dict->attributes())
        return;
    const Value* metadata = dict->attributes()->find(u"_metadata");
    if (!metadata || metadata->kind != ValueKind::Dict)
        return;
    view->hasMetadata = true;
    for (const auto& [key, entry] : metadata->entries()) {
        if (key->kind != ValueKind::String || !entry || entry->kind != ValueKind::Dict)
            continue;
        const Value* version = entry->find(u"version");
        if (version && version->kind == ValueKind::Int)
            view->versions.insert(key->text, version->integer);
    }
}

QString describeCandidates(const Checkpoint& checkpoint)
{
    QStringList paths;
    for (const CandidateStateDict& candidate : checkpoint.candidates) {
        paths.append(QStringLiteral("%1 (%2, %3 tensors)")
                         .arg(candidate.path.isEmpty() ? QStringLiteral("<root>") : candidate.path, candidate.kind)
                         .arg(candidate.tensorCount));
    }
    return paths.isEmpty() ? QStringLiteral("none") : paths.join(QStringLiteral(", "));
}

}  // namespace

Result<StateDictView> selectStateDict(const Checkpoint& checkpoint, const QString& keyPath)
{
    const CandidateStateDict* chosen = nullptr;
    if (!keyPath.isNull()) {
        for (const CandidateStateDict& candidate : checkpoint.candidates) {
            if (candidate.path == keyPath)
                chosen = &candidate;
        }
        if (!chosen)
            return makeError(ErrorCode::Unsupported, QStringLiteral("no state dict at '%1'; the file has: %2")
                                                         .arg(keyPath, describeCandidates(checkpoint)));
        if (chosen->kind == QLatin1String("optimizer"))
            return makeError(ErrorCode::Unsupported, QStringLiteral("'%1' is an optimizer state, not model weights").arg(keyPath));
    } else {
        for (const CandidateStateDict& candidate : checkpoint.candidates) {
            if (candidate.kind == QLatin1String("optimizer") || candidate.tensorCount == 0)
                continue;
            if (!chosen || preference(candidate) < preference(*chosen)
                || (preference(candidate) == preference(*chosen) && candidate.nbytes > chosen->nbytes))
                chosen = &candidate;
        }
        if (!chosen)
            return makeError(ErrorCode::Unsupported, QStringLiteral("the file holds no state dict (no dict of tensors or module)"));
    }
    StateDictView view;
    view.path = chosen->path;
    const QString prefix = view.path.isEmpty() ? QString() : view.path + u'.';
    for (int i = 0; i < checkpoint.tensors.size(); ++i) {
        const QString& name = checkpoint.tensors[i].name;
        // Held by a module outside its state_dict(), or a NumPy array: load_state_dict never
        // takes either.
        if (checkpoint.tensors[i].origin != TensorOrigin::State || checkpoint.tensors[i].kind != TensorKind::Tensor)
            continue;
        if (prefix.isEmpty() || name.startsWith(prefix))
            view.entries.append({name.mid(prefix.size()), i});
    }
    readMetadata(chosen->value, &view);
    return view;
}

StateDictView withPrefixes(const StateDictView& view, const QStringList& strip, const QString& add)
{
    StateDictView result = view;
    auto rename = [&](QString key) {
        for (const QString& prefix : strip) {
            if (!prefix.isEmpty() && key.startsWith(prefix))
                key = key.mid(prefix.size());
        }
        return add + key;
    };
    for (StateDictEntry& entry : result.entries)
        entry.key = rename(entry.key);
    // Metadata keys are module prefixes without the trailing dot: "module.layer1" -> "layer1",
    // and "module" itself becomes the root.
    result.versions.clear();
    for (auto it = view.versions.begin(); it != view.versions.end(); ++it) {
        QString renamed = rename(it.key() + u'.');
        renamed.chop(1);
        result.versions.insert(renamed, it.value());
    }
    return result;
}

StateDictView withKeyEdits(const StateDictView& view, const QVector<KeyEdit>& edits)
{
    StateDictView result = view;
    for (const KeyEdit& edit : edits) {
        for (int i = 0; i < result.entries.size(); ++i) {
            if (result.entries[i].key != edit.from)
                continue;
            if (edit.copy)
                result.entries.append(StateDictEntry{edit.to, result.entries[i].tensor});
            else
                result.entries[i].key = edit.to;
            break;
        }
    }
    return result;
}

}  // namespace statelens
