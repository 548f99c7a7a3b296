#include "module_tree.h"

#include "value.h"

#include <QHash>
#include <QRegularExpression>

#include <functional>

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

ModuleTree ModuleTree::build(const Checkpoint& checkpoint)
{
    ModuleTree tree;
    Builder builder(tree, checkpoint.tensors.size());
    for (int i = 0; i < checkpoint.tensors.size(); ++i) {
        const TensorInfo& tensor = checkpoint.tensors[i];
        const int node = builder.nodeFor(tensor.name.isEmpty() ? QStringLiteral("<root>") : tensor.name);
        tree.m_nodes[size_t(node)].tensor = i;
        tree.m_leafPaths[size_t(node)] = tensor.name.toLower();
    }
    // Scalars beside the tensors (epoch, loss, hyper-parameters), in dicts and lists, bounded.
    // Only those and nested containers get a path built: the tensors a state dict holds (most
    // of its entries) are placed above.
    int values = 0;
    std::function<void(const Value*, const QString&, int)> walk = [&](const Value* value, const QString& path, int depth) {
        if (!value || depth > kMaxValueDepth || values >= kMaxValues)
            return;
        auto visit = [&](const Value* item, const QString& name) {
            const QString itemPath = path.isEmpty() ? name : path + u'.' + name;
            if (isScalar(item)) {
                if (++values > kMaxValues)
                    return;
                const int node = builder.nodeFor(itemPath);
                if (tree.m_nodes[size_t(node)].tensor < 0 && tree.m_nodes[size_t(node)].children.empty()) {
                    tree.m_nodes[size_t(node)].value = item->summary(120);
                    tree.m_leafPaths[size_t(node)] = itemPath.toLower();
                }
            } else {
                walk(item, itemPath, depth + 1);
            }
        };
        if (value->kind == ValueKind::Dict) {
            for (const auto& [key, item] : value->entries()) {
                if (isScalar(item) || isNested(item))
                    visit(item, keyText(key));
            }
        } else if (value->kind == ValueKind::List || value->kind == ValueKind::Tuple) {
            for (size_t i = 0; i < value->items.size(); ++i) {
                if (isScalar(value->items[i]) || isNested(value->items[i]))
                    visit(value->items[i], QString::number(i));
            }
        }
    };
    if (checkpoint.root && checkpoint.format != Format::Safetensors)
        walk(checkpoint.root, QString(), 0);
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
    visible[kRoot] = 1;
    return visible;
}

}  // namespace statelens
