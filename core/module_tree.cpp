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

}  // namespace

int ModuleTree::child(int parent, QStringView name, QHash<QPair<int, QString>, int>& index)
{
    const QPair<int, QString> key(parent, name.toString());
    if (const auto found = index.constFind(key); found != index.constEnd())
        return found.value();
    const int created = int(m_nodes.size());
    ModuleTreeNode node;
    node.name = key.second;
    node.parent = parent;
    m_nodes.push_back(std::move(node));
    m_nodes[size_t(parent)].children.push_back(created);
    m_leafPaths.emplace_back();
    index.insert(key, created);
    return created;
}

ModuleTree ModuleTree::build(const Checkpoint& checkpoint)
{
    ModuleTree tree;
    tree.m_nodes.emplace_back();  // the root
    tree.m_leafPaths.emplace_back();
    QHash<QPair<int, QString>, int> index;
    index.reserve(checkpoint.tensors.size() * 2);
    auto nodeFor = [&](const QString& dotted) {
        int node = kRoot;
        for (QStringView part : QStringView(dotted).split(u'.'))
            node = tree.child(node, part, index);
        return node;
    };
    for (int i = 0; i < checkpoint.tensors.size(); ++i) {
        const TensorInfo& tensor = checkpoint.tensors[i];
        const int node = nodeFor(tensor.name.isEmpty() ? QStringLiteral("<root>") : tensor.name);
        tree.m_nodes[size_t(node)].tensor = i;
        tree.m_leafPaths[size_t(node)] = tensor.name.toLower();
    }
    // Scalars beside the tensors (epoch, loss, hyper-parameters), in dicts and lists, bounded.
    int values = 0;
    std::function<void(const Value*, const QString&, int)> walk = [&](const Value* value, const QString& path, int depth) {
        if (!value || depth > kMaxValueDepth || values >= kMaxValues)
            return;
        auto visit = [&](const Value* item, const QString& name) {
            const QString itemPath = path.isEmpty() ? name : path + u'.' + name;
            if (isScalar(item)) {
                if (++values > kMaxValues)
                    return;
                const int node = nodeFor(itemPath);
                if (tree.m_nodes[size_t(node)].tensor < 0 && tree.m_nodes[size_t(node)].children.empty()) {
                    tree.m_nodes[size_t(node)].value = item->summary(120);
                    tree.m_leafPaths[size_t(node)] = itemPath.toLower();
                }
            } else if (item->kind == ValueKind::Dict || item->kind == ValueKind::List || item->kind == ValueKind::Tuple) {
                walk(item, itemPath, depth + 1);
            }
        };
        if (value->kind == ValueKind::Dict) {
            for (const auto& [key, item] : value->entries)
                visit(item, keyText(key));
        } else if (value->kind == ValueKind::List || value->kind == ValueKind::Tuple) {
            for (size_t i = 0; i < value->items.size(); ++i)
                visit(value->items[i], QString::number(i));
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
        int node = kRoot;
        for (QStringView part : QStringView(path).split(u'.')) {
            const auto found = index.constFind(QPair<int, QString>(node, part.toString()));
            node = found == index.constEnd() ? -1 : found.value();
            if (node < 0)
                break;
        }
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
