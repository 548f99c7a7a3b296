#include "core/model/tensor_naming.h"

#include <QHash>
#include <QSet>

#include <unordered_set>

namespace statelens {

namespace {

constexpr int kMaxDepth = 256;
constexpr qint64 kMaxVisits = 20'000'000;
// Listings of a tensor already listed under another path (tied weights, views of one object).
// Memo references let a few hundred bytes reach one tensor by 2^40 paths (tests/data/hostile/
// memo_laughs.pt): without this bound the listing grew by millions of names until memory ran out.
// Real checkpoints repeat a tensor a handful of times (tied embeddings, a module shared by every
// layer): ten thousand repeats is far above them and keeps such a file's listing to ~1 MB of text.
constexpr qint64 kMaxRepeatedListings = 10'000;

QString keyText(const Value* key)
{
    switch (key->kind) {
    case ValueKind::String: return key->text;
    case ValueKind::Int: return QString::number(key->integer);
    case ValueKind::BigInt: return key->text;
    case ValueKind::Bool: return key->boolean ? QStringLiteral("True") : QStringLiteral("False");
    case ValueKind::None: return QStringLiteral("None");
    case ValueKind::Bytes: return QString::fromLatin1(key->bytes());
    default: return key->summary(60);
    }
}

QString join(const QString& path, const QString& key)
{
    return path.isEmpty() ? key : path + u'.' + key;
}

bool isModuleState(const Value* state)
{
    return state && state->kind == ValueKind::Dict && state->find(u"_parameters") && state->find(u"_modules");
}

class TensorNamer {
public:
    explicit TensorNamer(Checkpoint& checkpoint) : m_checkpoint(checkpoint), m_emitted(checkpoint.rebuilt.size(), false) {}

    void run()
    {
        if (m_checkpoint.root)
            walk(m_checkpoint.root, QString(), 0);
        if (m_depthCut)
            m_checkpoint.warnings.append(QStringLiteral("the object tree nests deeper than %1 levels; deeper tensors are not listed").arg(kMaxDepth));
        if (m_cycle)
            m_checkpoint.warnings.append(QStringLiteral("the object tree contains a cycle; it was listed once"));
        if (m_visits > kMaxVisits)
            m_checkpoint.warnings.append(QStringLiteral("the object tree is too large to list fully (shared sub-trees repeat %1+ times)").arg(kMaxVisits));
        if (m_repeatCut)
            m_checkpoint.warnings.append(QStringLiteral("the same tensors are reached by more than %1 further paths; the listing stops there").arg(kMaxRepeatedListings));
        markViews();
    }

private:
    // Returns false when this value must not be entered (depth, cycle or work limit).
    bool enter(const Value* value, int depth)
    {
        if (++m_visits > kMaxVisits || m_repeatCut) {
            ++m_cuts;
            return false;
        }
        if (depth > kMaxDepth) {
            m_depthCut = true;
            ++m_cuts;
            return false;
        }
        if (!m_onPath.insert(value).second) {
            m_cycle = true;
            ++m_cuts;
            return false;
        }
        return true;
    }
    void leave(const Value* value) { m_onPath.erase(value); }

    // Memo references let a pickle share one sub-tree along exponentially many paths. With
    // tensors inside, the repeat limit stops the walk; without, every path was walked up to
    // kMaxVisits (a 900-byte billion-laughs pickle whose leaf is not a tensor: 5 s of `ls`; found
    // by fuzz_pickle_machine). A value whose whole sub-tree was walked once without emitting a
    // tensor or being cut short holds no tensor on any other path either: it is not walked again.
    bool knownTensorFree(const Value* value) const { return m_tensorFree.count(value) != 0; }
    struct WalkMark {
        qint64 emits, cuts;
    };
    WalkMark mark() const { return {m_emitCalls, m_cuts}; }
    void rememberIfTensorFree(const Value* value, WalkMark before)
    {
        if (m_emitCalls == before.emits && m_cuts == before.cuts)
            m_tensorFree.insert(value);
    }

    void emitTensor(const Value* value, const QString& name)
    {
        ++m_emitCalls;
        if (value->index < 0 || size_t(value->index) >= m_checkpoint.rebuilt.size() || m_repeatCut)
            return;
        // What a module holds outside its state dict that is also in it (an alias, as yolov5's
        // Detect.stride is DetectionModel.stride) is listed once, under the name reached first.
        if (m_attributeDepth > 0 && m_emitted[size_t(value->index)])
            return;
        if (m_emitted[size_t(value->index)] && ++m_repeats > kMaxRepeatedListings) {
            m_repeatCut = true;
            return;
        }
        m_emitted[size_t(value->index)] = true;
        TensorInfo tensor = m_checkpoint.rebuilt[size_t(value->index)];
        tensor.name = name;
        tensor.origin = m_attributeDepth > 0 ? TensorOrigin::Attribute : TensorOrigin::State;
        m_checkpoint.tensors.append(std::move(tensor));
    }

    void walk(const Value* value, const QString& path, int depth)
    {
        if (!value)
            return;
        if (value->kind == ValueKind::Tensor) {
            emitTensor(value, path);
            return;
        }
        if (!value->isContainer() && value->kind != ValueKind::Object)
            return;
        if (knownTensorFree(value))
            return;
        const WalkMark before = mark();
        if (!enter(value, depth))
            return;
        switch (value->kind) {
        case ValueKind::Dict:
            for (const auto& [key, item] : value->entries())
                walk(item, join(path, keyText(key)), depth + 1);
            break;
        case ValueKind::List:
        case ValueKind::Tuple:
        case ValueKind::Set:
        case ValueKind::FrozenSet:
            for (size_t i = 0; i < value->items.size(); ++i)
                walk(value->items[i], join(path, QString::number(i)), depth + 1);
            break;
        case ValueKind::Object:
            walkObject(value, path, depth);
            break;
        default:
            break;
        }
        leave(value);
        rememberIfTensorFree(value, before);
    }

    void walkObject(const Value* object, const QString& path, int depth)
    {
        // A NumPy array the pickle machine recognised (its BUILD state gave shape, dtype and data).
        if (object->index >= 0 && object->text == QLatin1String("numpy.ndarray")) {
            emitTensor(object, path);
            return;
        }
        const QString className = object->callee() ? object->callee()->text : QString();
        if (isModuleState(object->state())) {
            walkModule(object->state(), path, depth);
            walkModuleAttributes(object->state(), path, depth);
            return;
        }
        if (auto script = m_checkpoint.scriptClasses.constFind(className); script != m_checkpoint.scriptClasses.cend()
            && object->state() && object->state()->kind == ValueKind::Dict) {
            walkScriptObject(object->state(), *script, path, depth);
            return;
        }
        // Any other object: what torch.load would hand back holds its state, items and entries.
        if (object->state()) {
            const Value* state = object->state();
            if (state->kind == ValueKind::Tuple && !state->items.empty() && state->items[0]->kind == ValueKind::Dict)
                state = state->items[0];  // (dict, slots) from __reduce_ex__
            if (state->kind == ValueKind::Dict) {
                for (const auto& [key, item] : state->entries())
                    walk(item, join(path, keyText(key)), depth + 1);
            } else {
                walk(state, path, depth + 1);
            }
        }
        for (const auto& [key, item] : object->entries())
            walk(item, join(path, keyText(key)), depth + 1);
        for (size_t i = 0; i < object->items.size(); ++i)
            walk(object->items[i], join(path, QString::number(i)), depth + 1);
    }

    // A pickled nn.Module (torch.save(model)): state_dict() order is the module's own parameters,
    // then its persistent buffers, then each child module's, recursively.
    void walkModule(const Value* state, const QString& path, int depth)
    {
        const Value* parameters = state->find(u"_parameters");
        const Value* buffers = state->find(u"_buffers");
        const Value* modules = state->find(u"_modules");
        QSet<QString> nonPersistent;
        if (const Value* set = state->find(u"_non_persistent_buffers_set"); set && set->isContainer()) {
            for (const Value* item : set->items)
                nonPersistent.insert(keyText(item));
        }
        if (parameters && parameters->kind == ValueKind::Dict) {
            for (const auto& [key, item] : parameters->entries()) {
                if (item->kind == ValueKind::Tensor)
                    emitTensor(item, join(path, keyText(key)));
            }
        }
        if (buffers && buffers->kind == ValueKind::Dict) {
            for (const auto& [key, item] : buffers->entries()) {
                if (item->kind == ValueKind::Tensor && !nonPersistent.contains(keyText(key)))
                    emitTensor(item, join(path, keyText(key)));
            }
        }
        if (modules && modules->kind == ValueKind::Dict) {
            for (const auto& [key, child] : modules->entries()) {
                if (child->kind != ValueKind::Object || !isModuleState(child->state()) || knownTensorFree(child))
                    continue;
                const WalkMark before = mark();
                if (!enter(child, depth + 1))
                    continue;
                walkModule(child->state(), join(path, keyText(key)), depth + 1);
                leave(child);
                rememberIfTensorFree(child, before);
            }
        }
    }

    // After a module's state dict: what else it holds that torch.load hands back (issue 17), module
    // by module in named_modules() order: its non-persistent buffers, then every attribute of its
    // __dict__ other than _parameters, _buffers and _modules, walked like any value (lists of
    // tensors, dicts, objects, unregistered modules).
    void walkModuleAttributes(const Value* state, const QString& path, int depth)
    {
        ++m_attributeDepth;
        if (const Value* buffers = state->find(u"_buffers"); buffers && buffers->kind == ValueKind::Dict) {
            QSet<QString> nonPersistent;
            if (const Value* set = state->find(u"_non_persistent_buffers_set"); set && set->isContainer()) {
                for (const Value* item : set->items)
                    nonPersistent.insert(keyText(item));
            }
            for (const auto& [key, item] : buffers->entries()) {
                if (item->kind == ValueKind::Tensor && nonPersistent.contains(keyText(key)))
                    emitTensor(item, join(path, keyText(key)));
            }
        }
        for (const auto& [key, item] : state->entries()) {
            const QString name = keyText(key);
            if (name == QLatin1String("_parameters") || name == QLatin1String("_buffers") || name == QLatin1String("_modules"))
                continue;
            walk(item, join(path, name), depth + 1);
        }
        --m_attributeDepth;
        if (const Value* modules = state->find(u"_modules"); modules && modules->kind == ValueKind::Dict) {
            for (const auto& [key, child] : modules->entries()) {
                if (child->kind != ValueKind::Object || !isModuleState(child->state()) || !enter(child, depth + 1))
                    continue;
                walkModuleAttributes(child->state(), join(path, keyText(key)), depth + 1);
                leave(child);
            }
        }
    }

    // A TorchScript object: its BUILD dict holds every attribute; the class source says which
    // are parameters and buffers. state_dict() order: parameters, buffers, then submodules.
    void walkScriptObject(const Value* attributes, const ScriptClass& script, const QString& path, int depth)
    {
        for (const QStringList* names : {&script.parameters, &script.buffers}) {
            for (const auto& [key, item] : attributes->entries()) {
                if (item->kind == ValueKind::Tensor && names->contains(keyText(key)))
                    emitTensor(item, join(path, keyText(key)));
            }
        }
        for (const auto& [key, child] : attributes->entries()) {
            if (child->kind != ValueKind::Object || !child->callee())
                continue;
            auto childClass = m_checkpoint.scriptClasses.constFind(child->callee()->text);
            if (childClass == m_checkpoint.scriptClasses.cend() || !childClass->isModule || !child->state()
                || child->state()->kind != ValueKind::Dict || !enter(child, depth + 1))
                continue;
            walkScriptObject(child->state(), *childClass, join(path, keyText(key)), depth + 1);
            leave(child);
        }
    }

    void markViews()
    {
        std::vector<int> firstUser(size_t(m_checkpoint.storages.size()), -1);  // per storage
        for (int i = 0; i < m_checkpoint.tensors.size(); ++i) {
            TensorInfo& tensor = m_checkpoint.tensors[i];
            if (tensor.storage < 0 || tensor.storage >= m_checkpoint.storages.size())
                continue;
            int& first = firstUser[size_t(tensor.storage)];
            if (first < 0)
                first = i;
            else
                tensor.viewOf = first;
        }
    }

    Checkpoint& m_checkpoint;
    std::unordered_set<const Value*> m_onPath;
    qint64 m_visits = 0;
    bool m_depthCut = false;
    std::vector<bool> m_emitted;  // per rebuilt tensor (one Tensor value each): listed already
    qint64 m_repeats = 0;
    bool m_repeatCut = false;
    bool m_cycle = false;
    qint64 m_emitCalls = 0;  // emitTensor calls, listed or not
    qint64 m_cuts = 0;       // walks refused by a limit or a cycle
    std::unordered_set<const Value*> m_tensorFree;
    int m_attributeDepth = 0;  // > 0 while walking what a module holds outside its state dict
};

// ---- candidate state dicts --------------------------------------------------------------------

class CandidateFinder {
public:
    explicit CandidateFinder(Checkpoint& checkpoint) : m_checkpoint(checkpoint) {}

    void run()
    {
        if (m_checkpoint.root)
            visit(m_checkpoint.root, QString(), 0, false);
        const qint64 total = m_checkpoint.distinctStorageBytes();
        for (CandidateStateDict& candidate : m_found)
            measure(candidate, total);
        m_checkpoint.candidates = m_found;
    }

private:
    static QString kindFor(const QString& path, bool optimizer)
    {
        if (optimizer)
            return QStringLiteral("optimizer");
        const QString last = path.section(u'.', -1).toLower();
        if (last.contains(QLatin1String("ema")))
            return QStringLiteral("ema");
        return QStringLiteral("state_dict");
    }

    void visit(const Value* value, const QString& path, int depth, bool insideOptimizer)
    {
        if (!value || depth > 64 || ++m_visits > 2'000'000 || !m_seen.insert(value).second)
            return;
        if (value->kind == ValueKind::Object) {
            const bool scriptModule = value->callee() && m_checkpoint.scriptClasses.value(value->callee()->text).isModule;
            if (isModuleState(value->state()) || scriptModule)
                m_found.append({path, 0, 0, 0.0, QStringLiteral("module"), value});
            return;  // modules are listed whole; their insides are named by the module
        }
        if (value->kind == ValueKind::List || value->kind == ValueKind::Tuple) {
            for (size_t i = 0; i < value->items.size(); ++i)
                visit(value->items[i], join(path, QString::number(i)), depth + 1, insideOptimizer);
            return;
        }
        if (value->kind != ValueKind::Dict)
            return;
        const bool optimizer = value->find(u"state") && value->find(u"param_groups");
        if (optimizer && !insideOptimizer) {
            m_found.append({path, 0, 0, 0.0, kindFor(path, true), value});
            return;
        }
        int tensors = 0, others = 0;
        for (const auto& [key, item] : value->entries()) {
            if (key->kind == ValueKind::String && key->text == QLatin1String("_metadata"))
                continue;
            (item->kind == ValueKind::Tensor ? tensors : others) += 1;
        }
        if (!insideOptimizer && tensors > 0 && tensors >= others) {
            m_found.append({path, 0, 0, 0.0, kindFor(path, false), value});
            return;
        }
        for (const auto& [key, item] : value->entries())
            visit(item, join(path, keyText(key)), depth + 1, insideOptimizer || optimizer);
    }

    void measure(CandidateStateDict& candidate, qint64 total)
    {
        std::vector<char> counted(size_t(m_checkpoint.storages.size()), 0);  // storage indexes are dense
        const QString prefix = candidate.path.isEmpty() ? QString() : candidate.path + u'.';
        for (const TensorInfo& tensor : m_checkpoint.tensors) {
            if ((!prefix.isEmpty() && !tensor.name.startsWith(prefix)) || tensor.origin != TensorOrigin::State
                || tensor.kind != TensorKind::Tensor)
                continue;
            ++candidate.tensorCount;
            if (tensor.storage >= 0 && tensor.storage < m_checkpoint.storages.size() && !counted[size_t(tensor.storage)]) {
                counted[size_t(tensor.storage)] = 1;
                candidate.nbytes += m_checkpoint.storages[tensor.storage].nbytes;
            }
        }
        candidate.share = total > 0 ? double(candidate.nbytes) / double(total) : 0.0;
    }

    Checkpoint& m_checkpoint;
    QVector<CandidateStateDict> m_found;
    std::unordered_set<const Value*> m_seen;
    qint64 m_visits = 0;
};

}  // namespace

Status nameTensors(Checkpoint& checkpoint)
{
    checkpoint.tensors.clear();
    // Usually one name per rebuilt tensor: room for those up front instead of regrowing a list
    // of 100 000 entries as it fills.
    checkpoint.tensors.reserve(qsizetype(checkpoint.rebuilt.size()));
    TensorNamer(checkpoint).run();
    return Ok{};
}

void findCandidateStateDicts(Checkpoint& checkpoint)
{
    CandidateFinder(checkpoint).run();
}

}  // namespace statelens
