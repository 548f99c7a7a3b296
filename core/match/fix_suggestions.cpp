#include "core/match/fix_suggestions.h"

#include <QHash>
#include <QSet>

#include <algorithm>

namespace statelens {

namespace {

// Prefixes wrappers add to every key: DataParallel/DDP, torch.compile, Lightning, FSDP.
const char* const kWrapperPrefixes[] = {"module.", "_orig_mod.", "model.", "_forward_module.",
                                        "_fsdp_wrapped_module.", "_checkpoint_wrapped_module."};

QString shapeText(const QVector<qint64>& shape)
{
    QStringList parts;
    for (qint64 size : shape)
        parts.append(QString::number(size));
    return u'[' + parts.join(QStringLiteral(", ")) + u']';
}

QString moduleOf(const QString& name)
{
    const int dot = name.lastIndexOf(u'.');
    return dot < 0 ? QString() : name.left(dot);
}

// The dotted prefix ("a.b.") every name shares, or empty.
QString commonDottedPrefix(const QStringList& names)
{
    if (names.isEmpty())
        return {};
    QString prefix = moduleOf(names.first());
    for (const QString& name : names) {
        while (!prefix.isEmpty() && !(name.startsWith(prefix) && name.size() > prefix.size() && name[prefix.size()] == u'.'))
            prefix = moduleOf(prefix);
        if (prefix.isEmpty())
            return {};
    }
    return prefix + u'.';
}

// Wrapper prefixes stacked at the start of a key, outermost first ("module._orig_mod.x").
QStringList wrapperChain(QString key)
{
    QStringList chain;
    for (bool found = true; found;) {
        found = false;
        for (const char* wrapper : kWrapperPrefixes) {
            if (key.startsWith(QLatin1String(wrapper))) {
                chain.append(QLatin1String(wrapper));
                key = key.mid(int(qstrlen(wrapper)));
                found = true;
                break;
            }
        }
    }
    return chain;
}

int editDistance(const QString& a, const QString& b)
{
    std::vector<int> row(size_t(b.size()) + 1);
    for (int j = 0; j <= b.size(); ++j)
        row[size_t(j)] = j;
    for (int i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = i;
        for (int j = 1; j <= b.size(); ++j) {
            const int above = row[size_t(j)];
            row[size_t(j)] = std::min({above + 1, row[size_t(j) - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[size_t(b.size())];
}

bool isEmbeddingName(const QString& name)
{
    return name.endsWith(QLatin1String("wte.weight")) || name.endsWith(QLatin1String("embed_tokens.weight"))
           || name.endsWith(QLatin1String("word_embeddings.weight")) || name.endsWith(QLatin1String("tok_embeddings.weight"))
           || name.endsWith(QLatin1String("shared.weight"));
}

bool isOutputHeadName(const QString& name)
{
    return name.endsWith(QLatin1String("lm_head.weight")) || name.endsWith(QLatin1String("output.weight"))
           || name.endsWith(QLatin1String("decoder.weight"));
}

}  // namespace

QString FixSuggestion::description() const
{
    QString what;
    if (kind == QLatin1String("strip-prefix"))
        what = QStringLiteral("strip %1").arg(strip.join(QStringLiteral(" then ")));
    else if (kind == QLatin1String("add-prefix"))
        what = QStringLiteral("add prefix %1").arg(add);
    else if (kind == QLatin1String("replace-prefix"))
        what = QStringLiteral("replace prefix %1 with %2").arg(strip.join(QString()), add);
    else if (kind == QLatin1String("rename"))
        what = QStringLiteral("rename %1 to %2").arg(from, to);
    else if (kind == QLatin1String("tied-weights"))
        return QStringLiteral("%1 is tied to %2: the model fills it from there").arg(to, from);
    return QStringLiteral("%1: %2 -> %3 tensors load").arg(what).arg(loadableBefore).arg(loadableAfter);
}

StateDictView withFix(const StateDictView& view, const FixSuggestion& fix)
{
    StateDictView result = view;
    if (!fix.strip.isEmpty() || !fix.add.isEmpty())
        result = withPrefixes(result, fix.strip, fix.add);
    if (!fix.assumedStrip.isEmpty() || !fix.assumedAdd.isEmpty())
        result = withPrefixes(result, fix.assumedStrip, fix.assumedAdd);
    if (fix.kind == QLatin1String("rename"))
        result = withKeyEdits(result, {KeyEdit{fix.from, fix.to, false}});
    else if (fix.kind == QLatin1String("tied-weights"))
        result = withKeyEdits(result, {KeyEdit{fix.from, fix.to, true}});
    return result;
}

StateDictView withFixes(const StateDictView& view, const QVector<FixSuggestion>& fixes)
{
    StateDictView result = view;
    for (const FixSuggestion& fix : fixes)
        result = withFix(result, fix);
    return result;
}

void classifyShapeMismatches(const Architecture& architecture, LoadVerdict* verdict)
{
    const QString headModule = architecture.tensors.isEmpty() ? QString() : moduleOf(architecture.tensors.last().name);
    for (ShapeMismatch& mismatch : verdict->shapeMismatches) {
        const QVector<qint64>& a = mismatch.checkpoint;
        const QVector<qint64>& b = mismatch.model;
        const bool sameRank = a.size() == b.size();
        const bool onlyFirstDiffers = sameRank && !a.isEmpty() && a[0] != b[0] && a.mid(1) == b.mid(1);
        const QString lower = mismatch.name.toLower();
        if (mismatch.name.endsWith(QLatin1String("num_batches_tracked"))) {
            mismatch.cause = QStringLiteral("benign: num_batches_tracked is a step counter");
        } else if (a.size() == 2 && b.size() == 2 && a[0] == b[1] && a[1] == b[0]) {
            mismatch.cause = QStringLiteral("transposed: %1 vs %2 (GPT-2 Conv1D stores [in, out], nn.Linear [out, in])")
                                 .arg(shapeText(a), shapeText(b));
        } else if (onlyFirstDiffers && moduleOf(mismatch.name) == headModule) {
            mismatch.cause = QStringLiteral("classifier head: %1 outputs in the checkpoint, %2 in the model (num_classes)")
                                 .arg(a[0]).arg(b[0]);
        } else if (onlyFirstDiffers && (lower.contains(QLatin1String("wpe")) || lower.contains(QLatin1String("pos"))
                                        || lower.contains(QLatin1String("position")))) {
            mismatch.cause = QStringLiteral("position embedding: %1 positions in the checkpoint, %2 in the model")
                                 .arg(a[0]).arg(b[0]);
        } else if (onlyFirstDiffers && (isEmbeddingName(mismatch.name) || isOutputHeadName(mismatch.name))) {
            mismatch.cause = QStringLiteral("vocabulary: %1 tokens in the checkpoint, %2 in the model").arg(a[0]).arg(b[0]);
        } else if (!sameRank) {
            mismatch.cause = QStringLiteral("different rank: %1 vs %2").arg(shapeText(a), shapeText(b));
        } else {
            mismatch.cause = QStringLiteral("different shape: %1 vs %2").arg(shapeText(a), shapeText(b));
        }
    }
}

QVector<FixSuggestion> suggestFixes(const Checkpoint& checkpoint, const StateDictView& stateDict,
                                    const Architecture& architecture, const LoadVerdict& verdict)
{
    QVector<FixSuggestion> suggestions;
    const int before = countLoadable(checkpoint, stateDict, architecture);
    QStringList keys, modelNames;
    for (const StateDictEntry& entry : stateDict.entries)
        keys.append(entry.key);
    for (const ExpectedTensor& tensor : architecture.tensors)
        modelNames.append(tensor.name);

    // Prefix changes: each wrapper prefix, the wrapper chain the keys start with, the prefix all
    // keys share, and the model's own shared prefix to add.
    QVector<QPair<QStringList, QString>> changes;
    for (const char* wrapper : kWrapperPrefixes)
        changes.append({{QLatin1String(wrapper)}, QString()});
    QHash<QString, int> chains;
    for (const QString& key : keys) {
        const QStringList chain = wrapperChain(key);
        if (chain.size() > 1)
            chains[chain.join(u'\n')] += 1;
    }
    for (auto it = chains.begin(); it != chains.end(); ++it)
        changes.append({it.key().split(u'\n'), QString()});
    const QString shared = commonDottedPrefix(keys);
    if (!shared.isEmpty())
        changes.append({{shared}, QString()});
    const QString modelShared = commonDottedPrefix(modelNames);
    if (!modelShared.isEmpty()) {
        changes.append({{}, modelShared});
        if (!shared.isEmpty())
            changes.append({{shared}, modelShared});
    }
    QSet<QString> seen;
    for (const auto& [strip, add] : changes) {
        const StateDictView changed = withPrefixes(stateDict, strip, add);
        QStringList changedKeys;
        for (const StateDictEntry& entry : changed.entries)
            changedKeys.append(entry.key);
        const QString signature = changedKeys.join(u'\n');
        if (seen.contains(signature))
            continue;
        seen.insert(signature);
        const int after = countLoadable(checkpoint, changed, architecture);
        if (after <= before)
            continue;
        FixSuggestion suggestion;
        suggestion.kind = add.isEmpty() ? QStringLiteral("strip-prefix")
                          : strip.isEmpty() ? QStringLiteral("add-prefix") : QStringLiteral("replace-prefix");
        suggestion.strip = strip;
        suggestion.add = add;
        suggestion.loadableBefore = before;
        suggestion.loadableAfter = after;
        suggestions.append(suggestion);
    }

    // Near misses: an unexpected key of the same shape as a missing one, on a similar path, once
    // the best prefix change (if any) is made; names are given after that change.
    StateDictView fixedView = stateDict;
    LoadVerdict fixedVerdict = verdict;
    int fixedBefore = before;
    const FixSuggestion* bestPrefixChange = nullptr;
    for (const FixSuggestion& suggestion : suggestions) {
        if (suggestion.fixes() > fixedBefore - before) {
            fixedView = withPrefixes(stateDict, suggestion.strip, suggestion.add);
            fixedBefore = suggestion.loadableAfter;
            bestPrefixChange = &suggestion;
        }
    }
    const QStringList assumedStrip = bestPrefixChange ? bestPrefixChange->strip : QStringList();
    const QString assumedAdd = bestPrefixChange ? bestPrefixChange->add : QString();
    if (fixedBefore != before)
        fixedVerdict = judgeLoad(checkpoint, fixedView, architecture);
    QHash<QString, int> offered;
    for (const StateDictEntry& entry : fixedView.entries)
        offered.insert(entry.key, entry.tensor);
    QHash<QString, const ExpectedTensor*> expected;
    for (const ExpectedTensor& tensor : architecture.tensors)
        expected.insert(tensor.name, &tensor);
    QSet<QString> usedUnexpected;
    for (const QString& missing : fixedVerdict.missing) {
        const ExpectedTensor* model = expected.value(missing);
        QString best;
        int bestDistance = 1 << 30;
        for (const QString& unexpected : fixedVerdict.unexpected) {
            if (usedUnexpected.contains(unexpected) || unexpected.section(u'.', -1) != missing.section(u'.', -1))
                continue;
            // A key that differs only by a leading prefix is a prefix fix, suggested above.
            if (unexpected.endsWith(u'.' + missing) || missing.endsWith(u'.' + unexpected))
                continue;
            if (checkpoint.tensors[offered.value(unexpected)].shape != model->shape)
                continue;
            const int distance = editDistance(moduleOf(unexpected), moduleOf(missing));
            const int allowed = std::max(2, int(std::max(moduleOf(unexpected).size(), moduleOf(missing).size())) / 2);
            if (distance <= allowed && distance < bestDistance) {
                best = unexpected;
                bestDistance = distance;
            }
        }
        if (!best.isEmpty()) {
            usedUnexpected.insert(best);
            FixSuggestion suggestion;
            suggestion.kind = QStringLiteral("rename");
            suggestion.from = best;
            suggestion.to = missing;
            suggestion.assumedStrip = assumedStrip;
            suggestion.assumedAdd = assumedAdd;
            suggestion.loadableBefore = fixedBefore;
            suggestion.loadableAfter = fixedBefore + 1;
            suggestions.append(suggestion);
        }
        // Tied weights: an output head the model copies from its input embedding.
        if (isOutputHeadName(missing)) {
            for (const QString& matched : fixedVerdict.matched) {
                if (isEmbeddingName(matched) && expected.value(matched)->shape == model->shape) {
                    FixSuggestion tied;
                    tied.kind = QStringLiteral("tied-weights");
                    tied.from = matched;
                    tied.to = missing;
                    tied.assumedStrip = assumedStrip;
                    tied.assumedAdd = assumedAdd;
                    tied.loadableBefore = fixedBefore;
                    tied.loadableAfter = fixedBefore + 1;
                    suggestions.append(tied);
                    break;
                }
            }
        }
    }
    std::stable_sort(suggestions.begin(), suggestions.end(), [](const FixSuggestion& a, const FixSuggestion& b) {
        if (a.fixes() != b.fixes())
            return a.fixes() > b.fixes();
        return a.strip.size() < b.strip.size();
    });
    return suggestions;
}

}  // namespace statelens
