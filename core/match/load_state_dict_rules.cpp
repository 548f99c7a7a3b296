#include "core/match/load_state_dict_rules.h"

#include <QHash>
#include <QSet>

namespace statelens {

namespace {

struct ModuleNode {
    QString prefix;            // "" for the root, "layer1.0." otherwise
    QStringList localKeys;     // its own parameters and persistent buffers, full names, in order
    QSet<QString> localNames;  // their last components
    QSet<QString> children;    // names of direct submodules
    bool fillsBatchCount = false;  // a BatchNorm tracking running stats (has num_batches_tracked)
};

QString parentOf(const QString& name)
{
    const int dot = name.lastIndexOf(u'.');
    return dot < 0 ? QString() : name.left(dot);
}

// The module tree in named_modules() order. Given module names (which include parameterless
// modules) are used as they are; otherwise the modules are the prefixes of the tensor names in
// order of first appearance, which is the same pre-order walk state_dict() makes.
QVector<ModuleNode> buildModules(const Architecture& architecture)
{
    QStringList names = architecture.modules;
    QSet<QString> known(names.begin(), names.end());
    if (!known.contains(QString())) {
        names.prepend(QString());
        known.insert(QString());
    }
    for (const ExpectedTensor& tensor : architecture.tensors) {
        QStringList missingChain;
        for (QString module = parentOf(tensor.name); !known.contains(module); module = parentOf(module)) {
            missingChain.prepend(module);
            known.insert(module);
        }
        names.append(missingChain);
    }
    QVector<ModuleNode> modules(names.size());
    QHash<QString, int> index;
    for (int i = 0; i < names.size(); ++i) {
        modules[i].prefix = names[i].isEmpty() ? QString() : names[i] + u'.';
        index.insert(names[i], i);
    }
    for (int i = 1; i < names.size(); ++i) {
        const QString parent = parentOf(names[i]);
        if (index.contains(parent))
            modules[index.value(parent)].children.insert(names[i].mid(parent.isEmpty() ? 0 : parent.size() + 1));
    }
    for (const ExpectedTensor& tensor : architecture.tensors) {
        ModuleNode& module = modules[index.value(parentOf(tensor.name))];
        const QString leaf = tensor.name.mid(module.prefix.size());
        module.localKeys.append(tensor.name);
        module.localNames.insert(leaf);
        if (leaf == QLatin1String("num_batches_tracked"))
            module.fillsBatchCount = true;
    }
    return modules;
}

QString quotedList(const QStringList& keys)
{
    QStringList quoted;
    quoted.reserve(keys.size());
    for (const QString& key : keys)
        quoted.append(u'"' + key + u'"');
    return quoted.join(QStringLiteral(", "));
}

}  // namespace

QStringList LoadVerdict::leftInitial() const
{
    QStringList names = missing;
    for (const ShapeMismatch& mismatch : shapeMismatches)
        names.append(mismatch.name);
    return names;
}

LoadVerdict judgeLoad(const Checkpoint& checkpoint, const StateDictView& stateDict, const Architecture& architecture)
{
    LoadVerdict verdict;
    QHash<QString, int> offered;  // key -> tensor index (the last one wins, as in a dict)
    for (const StateDictEntry& entry : stateDict.entries)
        offered.insert(entry.key, entry.tensor);
    QHash<QString, const ExpectedTensor*> expected;
    for (const ExpectedTensor& tensor : architecture.tensors) {
        expected.insert(tensor.name, &tensor);
        qint64 numel = 0;
        if (checkedNumel(tensor.shape, &numel))
            verdict.modelParameters += numel;
    }
    QStringList sizeMessages;
    for (const ModuleNode& module : buildModules(architecture)) {
        // torch's _NormBase fills in a missing num_batches_tracked unless the file's metadata says
        // the module was saved at version 2 or later (plain dicts carry no metadata at all).
        QString filledBatchCount;
        if (module.fillsBatchCount) {
            QString moduleName = module.prefix;
            moduleName.chop(1);
            const qint64 version = stateDict.hasMetadata ? stateDict.versions.value(moduleName, -1) : -1;
            if (version < 2 && !offered.contains(module.prefix + QLatin1String("num_batches_tracked")))
                filledBatchCount = module.prefix + QLatin1String("num_batches_tracked");
        }
        for (const QString& key : module.localKeys) {
            if (key == filledBatchCount) {
                verdict.matched.append(key);
                verdict.filledByTorch.append(key);
                continue;
            }
            const auto found = offered.constFind(key);
            if (found == offered.constEnd()) {
                verdict.missing.append(key);
                continue;
            }
            const TensorInfo& tensor = checkpoint.tensors[found.value()];
            const ExpectedTensor& model = *expected.value(key);
            // torch takes element 0 of a 1-d tensor for a 0-d parameter (old checkpoints saved
            // num_batches_tracked that way), whatever the 1-d length.
            const bool scalarCompat = model.shape.isEmpty() && tensor.shape.size() == 1 && tensor.shape[0] > 0;
            if (tensor.shape != model.shape && !scalarCompat) {
                verdict.shapeMismatches.append({key, tensor.shape, model.shape, QString()});
                sizeMessages.append(QStringLiteral("size mismatch for %1: copying a param with shape %2 from checkpoint, "
                                                   "the shape in current model is %3.")
                                        .arg(key, torchSizeText(tensor.shape), torchSizeText(model.shape)));
                continue;
            }
            verdict.matched.append(key);
            qint64 numel = 0;
            if (checkedNumel(model.shape, &numel))
                verdict.loadedParameters += numel;
            if (tensor.dtype != model.dtype)
                verdict.dtypeDifferences.append({key, tensor.dtype, model.dtype});
        }
        // A module without set_extra_state reports its "_extra_state" key first, then the rest
        // (no module Statelens describes defines set_extra_state).
        const QString extraStateKey = module.prefix + QLatin1String("_extra_state");
        if (offered.contains(extraStateKey))
            verdict.unexpected.append(extraStateKey);
        for (const StateDictEntry& entry : stateDict.entries) {
            if (!entry.key.startsWith(module.prefix) || entry.key == extraStateKey)
                continue;
            const QString first = entry.key.mid(module.prefix.size()).section(u'.', 0, 0);
            if (!module.children.contains(first) && !module.localNames.contains(first))
                verdict.unexpected.append(entry.key);
        }
    }
    // torch puts missing keys first, then unexpected ones, then the size mismatches in order.
    QStringList messages = sizeMessages;
    if (!verdict.unexpected.isEmpty())
        messages.prepend(QStringLiteral("Unexpected key(s) in state_dict: %1. ").arg(quotedList(verdict.unexpected)));
    if (!verdict.missing.isEmpty())
        messages.prepend(QStringLiteral("Missing key(s) in state_dict: %1. ").arg(quotedList(verdict.missing)));
    if (!messages.isEmpty())
        verdict.strictMessage = QStringLiteral("Error(s) in loading state_dict for %1:\n\t%2")
                                    .arg(architecture.modelClass, messages.join(QStringLiteral("\n\t")));
    return verdict;
}

int countLoadable(const Checkpoint& checkpoint, const StateDictView& stateDict, const Architecture& architecture)
{
    QHash<QString, int> offered;
    for (const StateDictEntry& entry : stateDict.entries)
        offered.insert(entry.key, entry.tensor);
    int loadable = 0;
    for (const ExpectedTensor& tensor : architecture.tensors) {
        const auto found = offered.constFind(tensor.name);
        if (found != offered.constEnd() && checkpoint.tensors[found.value()].shape == tensor.shape)
            ++loadable;
    }
    return loadable;
}

}  // namespace statelens
