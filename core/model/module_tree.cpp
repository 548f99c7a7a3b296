#include "core/model/module_tree.h"

#include "core/model/value.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>

namespace statelens {

namespace {

constexpr int kMaxValueDepth = 16;
constexpr int kMaxValues = 10000;

bool isScalar(const Value* value)
{
    switch (value->kind) {
    case ValueKind::None: case ValueKind::Bool: case ValueKind::Int: case ValueKind::BigInt:
    case ValueKind::Float: case ValueKind::Complex: case ValueKind::String: case ValueKind::Bytes:
    case ValueKind::DType: case ValueKind::Device:
        return true;
    default:
        return false;
    }
}

QString keyText(const Value* key)
{
    if (key->kind == ValueKind::String)
        return key->text;
    return key->summary(60);
}

bool isNested(const Value* value)
{
    return value->kind == ValueKind::Dict || value->kind == ValueKind::List || value->kind == ValueKind::Tuple;
}

// A node's key in the builder's index: its parent and its name. The name views the node's own
// QString, which is never modified once the node exists and keeps its buffer when the node
// vector moves it, so looking up a component of a dotted path (a view) allocates nothing.
struct ChildKey {
    int parent;
    QStringView name;
    friend bool operator==(const ChildKey& a, const ChildKey& b) { return a.parent == b.parent && a.name == b.name; }
};

size_t qHash(const ChildKey& key, size_t seed = 0)
{
    return qHashMulti(seed, key.parent, key.name);
}

}  // namespace

// Finds or creates the nodes along dotted paths. Components are split as QString::split(u'.')
// does (empty components kept), without allocating a list per path.
class ModuleTree::Builder {
public:
    Builder(ModuleTree& tree, qsizetype expectedLeaves) : m_tree(tree)
    {
        // A hint, not a limit: a transformer has about 2.4 nodes per tensor, and reserved room
        // that is never filled is never touched.
        const size_t expected = size_t(expectedLeaves) * 3 + 1;
        m_tree.m_nodes.reserve(expected);
        m_tree.m_leafPaths.reserve(expected);
        m_index.reserve(qsizetype(expectedLeaves / 4 + 16));  // only wide nodes' children go there
        m_tree.m_nodes.emplace_back();  // the root
        m_tree.m_leafPaths.emplace_back();
    }

    // Names arrive in file order, where a module's tensors sit together: the components this
    // path shares with the previous one are the previous one's nodes, and only the rest are
    // looked up (or created) in the index.
    int nodeFor(const QString& dotted)
    {
        const qsizetype shared = sharedLength(dotted);
        size_t reused = 0;
        while (reused < m_previousEnds.size() && m_previousEnds[reused] <= shared
               && (m_previousEnds[reused] == dotted.size() || dotted[m_previousEnds[reused]] == u'.'))
            ++reused;
        m_previousEnds.resize(reused);
        m_previousNodes.resize(reused);
        int node = reused ? m_previousNodes.back() : kRoot;
        const qsizetype from = reused ? m_previousEnds.back() + 1 : 0;
        if (from <= dotted.size()) {
            forEachComponent(QStringView(dotted).sliced(from), [&](QStringView part, qsizetype end) {
                node = child(node, part);
                m_previousNodes.push_back(node);
                m_previousEnds.push_back(from + end);
                return true;
            });
        }
        m_previous = dotted;  // shares the text: it stays valid whatever the caller does with its copy
        return node;
    }

    // The node for a dotted path, -1 when the tree has none.
    int find(QStringView dotted) const
    {
        int node = kRoot;
        forEachComponent(dotted, [&](QStringView part, qsizetype) {
            node = lookup(node, part);
            return node >= 0;
        });
        return node;
    }

private:
    qsizetype sharedLength(const QString& dotted) const
    {
        const qsizetype most = qMin(dotted.size(), m_previous.size());
        qsizetype length = 0;
        while (length < most && dotted[length] == m_previous[length])
            ++length;
        return length;
    }

    // Calls visit(component, offset just past it) for each component; stops when visit says so.
    template <typename Visit>
    static void forEachComponent(QStringView dotted, Visit visit)
    {
        qsizetype start = 0;
        for (;;) {
            const qsizetype dot = dotted.indexOf(u'.', start);
            const qsizetype end = dot < 0 ? dotted.size() : dot;
            if (!visit(dotted.sliced(start, end - start), end) || dot < 0)
                return;
            start = dot + 1;
        }
    }

    // A module has a handful of children (weight, bias, a few submodules): those are compared
    // one by one, which costs less than hashing the name. Only a wide node ("layers" with its
    // thousands of blocks) has its children in the index, from its (kScanLimit + 1)-th child on.
    static constexpr size_t kScanLimit = 8;

    int lookup(int parent, QStringView name) const
    {
        const std::vector<int>& children = m_tree.m_nodes[size_t(parent)].children;
        if (children.size() > kScanLimit)
            return m_index.value(ChildKey{parent, name}, -1);
        for (const int child : children) {
            if (m_tree.m_nodes[size_t(child)].name == name)
                return child;
        }
        return -1;
    }

    int child(int parent, QStringView name)
    {
        if (const int found = lookup(parent, name); found >= 0)
            return found;
        const int created = int(m_tree.m_nodes.size());
        ModuleTreeNode node;
        node.name = name.toString();
        node.parent = parent;
        m_tree.m_nodes.push_back(std::move(node));
        m_tree.m_leafPaths.emplace_back();
        std::vector<int>& children = m_tree.m_nodes[size_t(parent)].children;
        children.push_back(created);
        if (children.size() == kScanLimit + 1) {
            for (const int child : children)
                m_index.insert(ChildKey{parent, m_tree.m_nodes[size_t(child)].name}, child);
        } else if (children.size() > kScanLimit + 1) {
            m_index.insert(ChildKey{parent, m_tree.m_nodes.back().name}, created);
        }
        return created;
    }

    ModuleTree& m_tree;
    QHash<ChildKey, int> m_index;         // children of wide nodes (see lookup)
    QString m_previous;                   // the last path placed
    std::vector<int> m_previousNodes;     // its node per component
    std::vector<qsizetype> m_previousEnds;  // where each component ends in it
};

// Places what the pickle holds besides tensors: scalars (epoch, loss, hyper-parameters) and the
// objects it builds, bounded in depth and count. Only those and the containers above them get a
// path built: the tensors a state dict holds (most of its entries) are placed already.
class ModuleTree::ValueWalker {
public:
    ValueWalker(ModuleTree& tree, Builder& builder, const Checkpoint& checkpoint)
        : m_tree(tree)
        , m_builder(builder)
        , m_unsafe(checkpoint.unsafeGlobals.begin(), checkpoint.unsafeGlobals.end())
        // TorchScript objects are the module structure itself, named by state_dict(); their
        // classes come from the archive's own code, never from Python.
        , m_placeObjects(checkpoint.format != Format::TorchScript && checkpoint.format != Format::TorchExport)
        // A node per tensor and per value is all a file can fill: a pickle whose modules repeat
        // each other by reference (2^40 paths in a few hundred bytes) stops there.
        , m_maxReserved(size_t(checkpoint.tensors.size()) + size_t(kMaxValues))
    {
    }

    // Called before the tensors are placed: the nodes of a training checkpoint's top-level keys
    // and of a pickled model's modules, in the file's order, so that `epoch` sits above
    // `state_dict` and a ReLU between its layers, rather than after every tensor. A flat state
    // dict (more keys than this) is in file order anyway.
    void reserveFileOrder(const Value* root)
    {
        constexpr size_t kMaxOrderedKeys = 256;
        if (root->kind == ValueKind::Object && m_placeObjects)
            reserveModule(root, QString(), 0);
        if (root->kind != ValueKind::Dict || root->entries().size() > kMaxOrderedKeys)
            return;
        for (const auto& [key, item] : root->entries()) {
            // Keys the tensors' names spell the same way (tensor_naming.cpp): text and integers.
            if (!item || (key->kind != ValueKind::String && key->kind != ValueKind::Int))
                continue;
            const QString path = keyText(key);
            reserve(path, item);
            if (item->kind == ValueKind::Object && m_placeObjects)
                reserveModule(item, path, 1);
        }
    }

    void walkRoot(const Value* root)
    {
        if (root->kind != ValueKind::Object) {
            walkContainer(root, QString(), 0);
        } else if (m_placeObjects) {
            markObject(kRoot, root);
            descendObject(root, QString(), 0);
        }
        // A reserved key that nothing was placed under (a set, a storage): its value, shortened.
        for (const auto& [node, item] : m_reserved) {
            ModuleTreeNode& reserved = m_tree.m_nodes[size_t(node)];
            if (reserved.tensor < 0 && reserved.children.empty() && reserved.valueKind == ValueKind::Mark)
                setValue(node, item, m_tree.path(node));
        }
        m_reserved.clear();
    }

private:
    void reserve(const QString& path, const Value* item)
    {
        if (m_reserved.size() < m_maxReserved)
            m_reserved.emplace_back(m_builder.nodeFor(path), item);
    }

    // A pickled nn.Module in state_dict() order (as tensor_naming.cpp names it): its parameters,
    // its persistent buffers, then each child module, recursively.
    void reserveModule(const Value* object, const QString& path, int depth)
    {
        const Value* state = object->state();
        if (!isModuleState(state) || depth > kMaxValueDepth || m_reserved.size() >= m_maxReserved)
            return;
        QSet<QString> nonPersistent;
        if (const Value* set = state->find(u"_non_persistent_buffers_set"); set && set->isContainer()) {
            for (const Value* item : set->items)
                nonPersistent.insert(keyText(item));
        }
        for (const char16_t* kind : {u"_parameters", u"_buffers"}) {
            const Value* tensors = state->find(kind);
            if (!tensors || tensors->kind != ValueKind::Dict)
                continue;
            for (const auto& [key, item] : tensors->entries()) {
                if (item->kind == ValueKind::Tensor && !nonPersistent.contains(keyText(key)))
                    reserve(join(path, keyText(key)), item);
            }
        }
        const Value* modules = state->find(u"_modules");
        if (!modules || modules->kind != ValueKind::Dict)
            return;
        for (const auto& [key, child] : modules->entries()) {
            if (child->kind != ValueKind::Object)
                continue;
            reserve(join(path, keyText(key)), child);
            reserveModule(child, join(path, keyText(key)), depth + 1);
        }
    }

    void walkContainer(const Value* value, const QString& path, int depth)
    {
        if (value->kind == ValueKind::Dict)
            walkEntries(value->entries(), path, depth);
        else if (value->kind == ValueKind::List || value->kind == ValueKind::Tuple)
            walkItems(value->items, path, depth);
    }

    void walkEntries(const std::vector<std::pair<Value*, Value*>>& entries, const QString& path, int depth)
    {
        for (const auto& [key, item] : entries)
            visit(item, join(path, keyText(key)), depth);
    }

    void walkItems(const std::vector<Value*>& items, const QString& path, int depth)
    {
        for (size_t i = 0; i < items.size(); ++i)
            visit(items[i], join(path, QString::number(i)), depth);
    }

    void visit(const Value* item, const QString& path, int depth)
    {
        if (!item || depth > kMaxValueDepth || m_values >= kMaxValues)
            return;
        if (isScalar(item) || isEmptyContainer(item))  // `callbacks: {}` is there to be seen too
            placeScalar(item, path);
        else if (isNested(item))
            walkContainer(item, path, depth + 1);
        else if (m_placeObjects && (item->kind == ValueKind::Object || item->kind == ValueKind::Global))
            placeObject(item, path, depth);
    }

    void placeScalar(const Value* item, const QString& path)
    {
        ++m_values;
        const int node = m_builder.nodeFor(path);
        ModuleTreeNode& placed = m_tree.m_nodes[size_t(node)];
        if (placed.tensor >= 0 || !placed.children.empty())
            return;
        setValue(node, item, path);
    }

    void setValue(int node, const Value* item, const QString& path)
    {
        m_tree.m_nodes[size_t(node)].value = item->summary(120);
        m_tree.m_nodes[size_t(node)].valueKind = item->kind;
        m_tree.m_leafPaths[size_t(node)] = path.toLower();
    }

    static bool isEmptyContainer(const Value* value)
    {
        return isNested(value) && value->items.empty() && value->entries().empty();
    }

    // An object in place: its node says what makes it, and what it holds (a module's submodules,
    // an argparse.Namespace's fields, a dict subclass's items) sits below it.
    void placeObject(const Value* object, const QString& path, int depth)
    {
        ++m_values;
        const int node = m_builder.nodeFor(path);
        if (m_tree.m_nodes[size_t(node)].tensor >= 0)
            return;
        markObject(node, object);
        descendObject(object, path, depth + 1);
        // After the walk below: an object holding nothing shown is a leaf the filter finds by path.
        if (m_tree.m_nodes[size_t(node)].children.empty())
            m_tree.m_leafPaths[size_t(node)] = path.toLower();
    }

    void markObject(int node, const Value* object)
    {
        ModuleTreeNode& placed = m_tree.m_nodes[size_t(node)];
        placed.valueKind = object->kind;
        placed.unsafe = callsUnsafeGlobal(object);
        placed.value = callText(object);
        const QString cls = calleeName(object, 0);
        m_tree.m_objectClasses.insert(node, cls);
        m_tree.m_objectSearchText.insert(node, (cls + u' ' + placed.value).toLower());
    }

    void descendObject(const Value* object, const QString& path, int depth)
    {
        if (object->kind != ValueKind::Object || depth > kMaxValueDepth)
            return;
        const Value* state = object->state();
        if (isModuleState(state)) {
            // An nn.Module: its submodules under the names state_dict() gives their tensors.
            if (const Value* modules = state->find(u"_modules"); modules && modules->kind == ValueKind::Dict) {
                for (const auto& [key, item] : modules->entries()) {
                    if (item && item->kind == ValueKind::Object && m_values < kMaxValues)
                        placeObject(item, join(path, keyText(key)), depth);
                }
            }
            return;
        }
        walkEntries(object->entries(), path, depth);
        walkItems(object->items, path, depth);
        if (state && state->kind == ValueKind::Dict)
            walkEntries(state->entries(), path, depth);
    }

    // "posix.system('touch /tmp/x')", "functools.partial(posix.system, 'touch …')()": the call
    // torch.load would make, with a state BUILD would apply when it is not a dict of fields.
    static QString callText(const Value* object)
    {
        // A class or function called directly reads as Value::summary() has it (which knows
        // numpy arrays and dtypes); a call of a call's result needs renderCall().
        const Value* callee = object->callee();
        QString text = !callee || callee->kind == ValueKind::Global ? object->summary(kMaxCallText) : renderCall(object, 0);
        const Value* state = object->state();
        if (state && state->kind != ValueKind::Dict && !isModuleState(state))
            text += QStringLiteral(" with state ") + state->summary(kMaxCallText / 2);
        if (text.size() > kMaxCallText)
            text = text.left(kMaxCallText - 1) + u'…';
        return text;
    }

    static QString renderCall(const Value* object, int level)
    {
        if (object->kind == ValueKind::Global)
            return object->text;
        QString text = calleeName(object, level) + u'(';
        if (const Value* args = object->args()) {
            if (args->kind == ValueKind::Tuple || args->kind == ValueKind::List) {
                for (size_t i = 0; i < args->items.size() && text.size() < kMaxCallText; ++i)
                    text += (i ? QStringLiteral(", ") : QString()) + args->items[i]->summary(kMaxCallText);
            } else {
                text += args->summary(kMaxCallText);
            }
        }
        return text + u')';
    }

    // The callee of a call whose callee is itself a call (functools.partial(...)(...)) is
    // rendered as that call, a few levels deep.
    static QString calleeName(const Value* object, int level)
    {
        if (object->kind == ValueKind::Global)
            return object->text;
        const Value* callee = object->callee();
        if (!callee)
            return object->text.isEmpty() ? QStringLiteral("object") : object->text;
        if (callee->kind == ValueKind::Global)
            return callee->text;
        if (callee->kind == ValueKind::Object && level < 4)
            return renderCall(callee, level + 1);
        return QStringLiteral("object");
    }

    // Whether making this object calls a global outside the allow list anywhere in what it is
    // made of. Shared sub-trees are visited once; past the budget (a pickle built to make this
    // walk explode) every object of a file with unsafe globals counts as unsafe.
    bool callsUnsafeGlobal(const Value* object)
    {
        if (m_unsafe.isEmpty())
            return false;
        std::vector<const Value*> pending{object};
        QSet<const Value*> seen;
        while (!pending.empty()) {
            const Value* value = pending.back();
            pending.pop_back();
            if (!value || seen.contains(value))
                continue;
            if (++m_scanned > kMaxScanned)
                return true;
            seen.insert(value);
            if (value->kind == ValueKind::Global && m_unsafe.contains(value->text))
                return true;
            pending.insert(pending.end(), value->items.begin(), value->items.end());
            for (const auto& [key, item] : value->entries()) {
                pending.push_back(key);
                pending.push_back(item);
            }
            for (const Value* part : {value->attributes(), value->state(), value->args(), value->callee()})
                pending.push_back(part);  // the callee first: usually where the answer is
        }
        return false;
    }

    static QString join(const QString& path, const QString& name) { return path.isEmpty() ? name : path + u'.' + name; }

    static bool isModuleState(const Value* state)
    {
        return state && state->kind == ValueKind::Dict && state->find(u"_parameters") && state->find(u"_modules");
    }

    static constexpr int kMaxCallText = 300;
    static constexpr qint64 kMaxScanned = 1'000'000;

    ModuleTree& m_tree;
    Builder& m_builder;
    const QSet<QString> m_unsafe;
    const bool m_placeObjects;
    int m_values = 0;
    qint64 m_scanned = 0;
    const size_t m_maxReserved;
    std::vector<std::pair<int, const Value*>> m_reserved;  // nodes made in file order, with their value
};

ModuleTree ModuleTree::build(const Checkpoint& checkpoint)
{
    ModuleTree tree;
    Builder builder(tree, checkpoint.tensors.size());
    ValueWalker values(tree, builder, checkpoint);
    const bool walkValues = checkpoint.root && checkpoint.format != Format::Safetensors;
    if (walkValues)
        values.reserveFileOrder(checkpoint.root);
    for (int i = 0; i < checkpoint.tensors.size(); ++i) {
        const TensorInfo& tensor = checkpoint.tensors[i];
        const int node = builder.nodeFor(tensor.name.isEmpty() ? QStringLiteral("<root>") : tensor.name);
        tree.m_nodes[size_t(node)].tensor = i;
        tree.m_leafPaths[size_t(node)] = tensor.name.toLower();
    }
    if (walkValues)
        values.walkRoot(checkpoint.root);
    for (int c = 0; c < checkpoint.candidates.size(); ++c) {
        const QString& path = checkpoint.candidates[c].path;
        if (path.isEmpty()) {
            tree.m_nodes[kRoot].candidate = c;
            continue;
        }
        const int node = builder.find(path);
        if (node > 0)
            tree.m_nodes[size_t(node)].candidate = c;
    }
    // Totals: children always come after their parents, so one backward sweep adds them up.
    for (int n = tree.size() - 1; n > kRoot; --n) {
        ModuleTreeNode& node = tree.m_nodes[size_t(n)];
        if (node.tensor >= 0) {
            const TensorInfo& tensor = checkpoint.tensors[node.tensor];
            node.tensorCount += 1;
            node.numel += tensor.numel();
            node.nbytes += tensor.nbytes();
        }
        ModuleTreeNode& parent = tree.m_nodes[size_t(node.parent)];
        parent.tensorCount += node.tensorCount;
        parent.numel += node.numel;
        parent.nbytes += node.nbytes;
    }
    return tree;
}

std::vector<int> ModuleTree::unsafeObjects() const
{
    std::vector<int> found;
    for (int n = 0; n < size(); ++n) {
        if (!m_nodes[size_t(n)].unsafe)
            continue;
        bool below = false;  // under an unsafe object already listed
        for (int a = m_nodes[size_t(n)].parent; a >= 0 && !below; a = m_nodes[size_t(a)].parent)
            below = m_nodes[size_t(a)].unsafe;
        if (!below)
            found.push_back(n);
    }
    return found;
}

QString ModuleTree::path(int index) const
{
    QStringList parts;
    for (int n = index; n > kRoot; n = m_nodes[size_t(n)].parent)
        parts.prepend(m_nodes[size_t(n)].name);
    return parts.join(u'.');
}

std::vector<char> ModuleTree::visibleFor(const QString& text) const
{
    std::vector<char> visible(m_nodes.size(), text.isEmpty() ? 1 : 0);
    if (text.isEmpty())
        return visible;
    // Plain text is a substring; text with regular-expression syntax that compiles is one.
    static const QRegularExpression syntax(QStringLiteral("[\\\\^$.*+?()\\[\\]{}|]"));
    QRegularExpression expression;
    const bool regex = text.contains(syntax)
                       && (expression = QRegularExpression(text, QRegularExpression::CaseInsensitiveOption)).isValid();
    if (regex)
        expression.optimize();
    const QString needle = text.toLower();
    for (size_t n = 1; n < m_nodes.size(); ++n) {
        const QString& path = m_leafPaths[n];
        if (path.isEmpty())
            continue;
        const bool match = regex ? expression.match(path).hasMatch() : path.contains(needle);
        if (!match)
            continue;
        for (int a = int(n); a >= 0 && !visible[size_t(a)]; a = m_nodes[size_t(a)].parent)
            visible[size_t(a)] = 1;
    }
    // Objects are found by what makes them too: "system" finds `payload = posix.system(...)`.
    for (auto it = m_objectSearchText.cbegin(); it != m_objectSearchText.cend(); ++it) {
        const bool match = regex ? expression.match(it.value()).hasMatch() : it.value().contains(needle);
        if (!match || it.key() == kRoot)
            continue;
        for (int a = it.key(); a >= 0 && !visible[size_t(a)]; a = m_nodes[size_t(a)].parent)
            visible[size_t(a)] = 1;
    }
    visible[kRoot] = 1;
    return visible;
}

}  // namespace statelens
