#include "core/scan/weights_only_rules.h"

#include "core/formats/tar_index.h"
#include "core/formats/zip_archive.h"
#include "core/pickle/memo_table.h"
#include "core/pickle/pickle_opcodes.h"

#include <QHash>
#include <QSet>
#include <QStringDecoder>

#include <cstring>
#include <deque>
#include <unordered_map>
#include <optional>
#include <vector>

namespace statelens {


namespace {

// ---- symbolic values ------------------------------------------------------------------------------

// Instance: an object of an allowed class (Counter, torch.device) or one made by a global the
// user allowed (text: its class, or the global that made it when its class is unknown).
enum class Kind { None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, OrderedDict, Set, FrozenSet,
                  Global, Tensor, Parameter, Storage, Size, Layout, Instance, Opaque };

struct Node {
    Kind kind = Kind::Opaque;
    qint64 integer = 0;    // Int, Bool
    QString text;          // Str (value), Global (qualified name), Opaque (what made it)
    std::vector<int> items;  // Tuple and List items (node indices)
    bool magic = false;    // BigInt equal to torch's MAGIC_NUMBER
    qint64 nbytes = -1;    // Storage: bytes of its record (zip; fixed size), -1 when unknown
    int itemSize = 1;      // Storage
    bool userMade = false; // Instance: made by a user-allowed global (its class unknown: BUILD trusts it)
};

// A Python exception as the unpickler would raise it.
struct PyError {
    QString type;
    QString message;
};

const char kMagicLE[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";  // 0x1950A86A20F9469CFC6C

class Emulator {
public:
    explicit Emulator(const WeightsOnlyPickle& pickle)
        : m_pickle(pickle), m_rules(weightsOnlyRules(pickle.release)), m_walker(pickle.data, pickle.size)
    {
    }

    WeightsOnlyRun run()
    {
        WeightsOnlyRun out;
        PickleOp op;
        while (true) {
            if (!m_walker.next(&op)) {
                fail({QStringLiteral("EOFError"), QString()});
                break;
            }
            if (op.opcode == Opcode::Stop) {
                out.end = m_walker.position();
                if (m_stack.empty()) {
                    fail({QStringLiteral("IndexError"), QStringLiteral("pop from empty list")});
                    break;
                }
                describeResult(m_stack.back(), &out);
                break;
            }
            step(op);
            if (m_stopped)
                break;
            if (m_nodes.size() > kMaxNodes) {
                fail({QStringLiteral("MemoryError"), QStringLiteral("more than %1 values").arg(kMaxNodes)});
                break;
            }
        }
        if (out.end == 0)
            out.end = m_walker.position();
        out.ok = !m_first.has_value();
        if (m_first) {
            out.exception = m_first->type;
            out.error = m_first->message;
        }
        out.rejected = m_rejected;
        out.storageKeys = m_storageKeys;
        out.storageItemSizes = m_storageItemSizes;
        out.storageNumels = m_storageNumels;
        out.unsupportedGlobals = m_unsupportedGlobals;
        out.blockedGlobals = m_blockedGlobals;
        return out;
    }

private:
    static constexpr size_t kMaxNodes = size_t(1) << 26;

    // The first error decides torch's outcome. Rule violations (RuntimeErrors of the weights-only
    // unpickler) are also collected past the first, with a neutral value standing in, so that the
    // listing shows every reason; other exceptions (malformed pickles) stop the walk.
    void fail(PyError error)
    {
        if (!m_first)
            m_first = error;
        m_stopped = true;
    }
    void reject(const QString& reason, qint64 offset, const char* opName = nullptr)
    {
        if (!m_first)
            m_first = PyError{m_rules.ruleError, reason};
        QString entry = reason;
        if (opName)
            entry += QStringLiteral(" (%1)").arg(QLatin1String(opName));
        entry += QStringLiteral(" at byte %1").arg(offset);
        const QString key = opName ? reason + QLatin1String(opName) : reason;
        if (!m_seenReasons.contains(key) && m_rejected.size() < 100) {
            m_seenReasons.insert(key);
            m_rejected.append(entry);
        }
    }

    int make(Kind kind)
    {
        m_nodes.push_back(Node{});
        m_nodes.back().kind = kind;
        return int(m_nodes.size() - 1);
    }
    int makeText(Kind kind, QString text)
    {
        const int n = make(kind);
        m_nodes[size_t(n)].text = std::move(text);
        return n;
    }
    void push(int node) { m_stack.push_back(node); }
    bool pop(int* node)
    {
        if (m_stack.empty()) {
            fail({QStringLiteral("IndexError"), QStringLiteral("pop from empty list")});
            return false;
        }
        *node = m_stack.back();
        m_stack.pop_back();
        return true;
    }
    bool top(int* node)
    {
        if (m_stack.empty()) {
            fail({QStringLiteral("IndexError"), QStringLiteral("list index out of range")});
            return false;
        }
        *node = m_stack.back();
        return true;
    }
    bool popMark(std::vector<int>* items)
    {
        if (m_metastack.empty()) {
            fail({QStringLiteral("IndexError"), QStringLiteral("pop from empty list")});
            return false;
        }
        *items = std::move(m_stack);
        m_stack = std::move(m_metastack.back());
        m_metastack.pop_back();
        return true;
    }
    const Node& node(int n) const { return m_nodes[size_t(n)]; }

    // Python's type(x) as an f-string prints it.
    QString typeRepr(int n) const
    {
        const Node& v = node(n);
        switch (v.kind) {
        case Kind::None: return QStringLiteral("<class 'NoneType'>");
        case Kind::Bool: return QStringLiteral("<class 'bool'>");
        case Kind::Int: case Kind::BigInt: return QStringLiteral("<class 'int'>");
        case Kind::Float: return QStringLiteral("<class 'float'>");
        case Kind::Str: return QStringLiteral("<class 'str'>");
        case Kind::Bytes: return QStringLiteral("<class 'bytes'>");
        case Kind::Tuple: return QStringLiteral("<class 'tuple'>");
        case Kind::List: return QStringLiteral("<class 'list'>");
        case Kind::Dict: return QStringLiteral("<class 'dict'>");
        case Kind::OrderedDict: return QStringLiteral("<class 'collections.OrderedDict'>");
        case Kind::Set: return QStringLiteral("<class 'set'>");
        case Kind::FrozenSet: return QStringLiteral("<class 'frozenset'>");
        case Kind::Tensor: return QStringLiteral("<class 'torch.Tensor'>");
        case Kind::Parameter: return QStringLiteral("<class 'torch.nn.parameter.Parameter'>");
        case Kind::Storage: return QStringLiteral("<class 'torch.storage.TypedStorage'>");
        case Kind::Size: return QStringLiteral("<class 'torch.Size'>");
        case Kind::Layout: return QStringLiteral("<class 'torch.layout'>");
        case Kind::Global: {
            const AllowedGlobal g = globalInfo(v.text);
            switch (g.kind) {
            case GlobalKind::Function: return QStringLiteral("<class 'function'>");
            case GlobalKind::DType: return QStringLiteral("<class 'torch.dtype'>");
            case GlobalKind::QScheme: return QStringLiteral("<class 'torch.qscheme'>");
            case GlobalKind::TensorType: return QStringLiteral("<class 'torch.tensortype'>");
            case GlobalKind::StorageClass:
                if (v.text.startsWith(QLatin1String("torch.storage.")))
                    return QStringLiteral("<class 'type'>");
                return m_rules.storageClassesCallable ? QStringLiteral("<class 'torch.storage._LegacyStorageMeta'>")
                                                      : QStringLiteral("<class 'torch.serialization.StorageType'>");
            case GlobalKind::Class:
                if (v.text == QLatin1String("torch.nn.parameter.Parameter"))
                    return QStringLiteral("<class 'torch.nn.parameter._ParameterMeta'>");
                if (v.text == QLatin1String("torch.Tensor"))
                    return QStringLiteral("<class 'torch._C._TensorMeta'>");
                return QStringLiteral("<class 'type'>");
            }
            break;
        }
        case Kind::Instance: case Kind::Opaque: break;
        }
        return QStringLiteral("<class '%1'>").arg(v.text.isEmpty() ? QStringLiteral("object") : v.text);
    }

    // str(x) for the values messages print (f-strings call format(), i.e. str()).
    QString str(int n, int depth = 0) const
    {
        const Node& v = node(n);
        switch (v.kind) {
        case Kind::None: return QStringLiteral("None");
        case Kind::Bool: return v.integer ? QStringLiteral("True") : QStringLiteral("False");
        case Kind::Int: return QString::number(v.integer);
        case Kind::Str: return depth == 0 ? v.text : QStringLiteral("'%1'").arg(v.text);
        case Kind::Tuple: {
            if (depth > 3)
                return QStringLiteral("(...)");
            QStringList parts;
            for (int item : v.items)
                parts.append(str(item, depth + 1));
            return QStringLiteral("(") + parts.join(QStringLiteral(", ")) + (parts.size() == 1 ? QStringLiteral(",)") : QStringLiteral(")"));
        }
        case Kind::List: return v.items.empty() ? QStringLiteral("[]") : QStringLiteral("[...]");
        case Kind::Dict: return QStringLiteral("{}");
        case Kind::OrderedDict: return QStringLiteral("OrderedDict()");
        case Kind::Global: {
            const AllowedGlobal g = globalInfo(v.text);
            if (g.kind == GlobalKind::DType || g.kind == GlobalKind::QScheme)
                return v.text;
            if (g.kind == GlobalKind::Function)  // the address differs from run to run
                return QStringLiteral("<function %1 at 0x>").arg(v.text.section(u'.', -1));
            return QStringLiteral("<class '%1'>").arg(v.text);
        }
        default: return typeRepr(n).mid(8).chopped(2);
        }
    }

    bool hashable(int n) const
    {
        const Kind k = node(n).kind;
        if (k == Kind::List || k == Kind::Dict || k == Kind::OrderedDict || k == Kind::Set)
            return false;
        if (k == Kind::Tuple) {
            for (int item : node(n).items) {
                if (!hashable(item))
                    return false;
            }
        }
        return true;
    }

    QString lineText(qint64 offset, qint64 length) const { return QString::fromUtf8(m_pickle.data + offset, int(qMin<qint64>(length, 1 << 20))); }

    bool validUtf8(qint64 offset, qint64 length) const
    {
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        (void)decoder.decode(QByteArrayView(m_pickle.data + offset, length));
        return !decoder.hasError();
    }

    // The Python names of the unsupported opcodes, with their ordinary stack effect so that the
    // walk can go on and list every reason.
    void unsupported(const PickleOp& op)
    {
        const char* name = opcodeName(op.byte());
        reject(QStringLiteral("Unsupported operand %1").arg(op.byte()), op.offset, name);
        if (!name) {  // not a pickle at all: nothing sensible follows
            m_stopped = true;
            return;
        }
        int a = 0, b = 0, c = 0;
        std::vector<int> items;
        switch (op.opcode) {
        case Opcode::StackGlobal: {  // the name is what a scanner wants to know
            if (!pop(&b) || !pop(&a))
                return;
            // an allowed name stands for itself, so that the walk goes on as torch would with GLOBAL
            push(checkGlobal(node(a).text, node(b).text, op.offset, "STACK_GLOBAL"));
            return;
        }
        case Opcode::Inst: {  // module\nname\n: pops to MARK, pushes the instance
            const QString both = lineText(op.argOffset, op.argLength);
            const int global = checkGlobal(both.section(u'\n', 0, 0), both.section(u'\n', 1, 1), op.offset, "INST");
            if (!popMark(&items))
                return;
            push(makeText(Kind::Opaque, node(global).text));
            return;
        }
        case Opcode::Obj:  // MARK cls args... -> instance
            if (!popMark(&items))
                return;
            if (!items.empty() && node(items[0]).kind == Kind::Global && !known(node(items[0]).text))
                reject(unsupportedGlobalMessage(m_rules.release, node(items[0]).text.section(u'.', 0, -2), node(items[0]).text.section(u'.', -1)),
                       op.offset, "OBJ");
            push(makeText(Kind::Opaque, items.empty() ? QString() : node(items[0]).text));
            return;
        case Opcode::NewObjEx:  // cls args kwargs
            if (!pop(&c) || !pop(&b) || !pop(&a))
                return;
            push(makeText(Kind::Opaque, node(a).text));
            return;
        case Opcode::Pop:
            pop(&a);
            return;
        case Opcode::PopMark:
            popMark(&items);
            return;
        case Opcode::Dup:
            if (top(&a))
                push(a);
            return;
        case Opcode::Dict: case Opcode::List:
            if (!popMark(&items))
                return;
            push(make(op.opcode == Opcode::Dict ? Kind::Dict : Kind::List));
            return;
        case Opcode::AddItems:
            popMark(&items);
            return;
        case Opcode::FrozenSet:
            if (popMark(&items))
                push(make(Kind::FrozenSet));
            return;
        case Opcode::Memoize:
            if (top(&a))
                memoPut(quint64(m_memo.size()), a);
            return;
        case Opcode::Put: {  // n\n
            bool ok = false;
            const quint32 index = lineText(op.argOffset, op.argLength).trimmed().toUInt(&ok);
            if (ok && top(&a))
                memoPut(index, a);
            return;
        }
        case Opcode::Get: {  // n\n
            bool ok = false;
            const quint32 index = lineText(op.argOffset, op.argLength).trimmed().toUInt(&ok);
            const int* known = ok ? m_memo.find(index) : nullptr;
            push(known ? *known : make(Kind::Opaque));
            return;
        }
        case Opcode::Frame:  // advisory
        case Opcode::NextBuffer: case Opcode::ReadOnlyBuffer:
            return;
        case Opcode::PersId: case Opcode::Ext1: case Opcode::Ext2: case Opcode::Ext4:
            push(make(Kind::Opaque));
            return;
        case Opcode::BinFloat: case Opcode::Float:
            push(make(Kind::Float));
            return;
        case Opcode::Int: case Opcode::Long: case Opcode::Long4:
            push(make(Kind::Int));
            return;
        case Opcode::ShortBinUnicode: case Opcode::Unicode: case Opcode::BinUnicode8: {
            const int n = make(Kind::Str);
            m_nodes[size_t(n)].text = op.opcode == Opcode::Unicode || op.argLength > 1024 ? QString() : lineText(op.argOffset, op.argLength);
            push(n);
            return;
        }
        case Opcode::ShortBinBytes: case Opcode::BinBytes: case Opcode::BinBytes8: case Opcode::ByteArray8:
        case Opcode::BinString: case Opcode::String:
            push(make(Kind::Bytes));
            return;
        default:
            push(make(Kind::Opaque));
            return;
        }
    }

    const AllowedGlobal* allowedGlobal(const QString& name) const
    {
        const auto found = m_rules.allowed->constFind(name);
        return found == m_rules.allowed->constEnd() ? nullptr : &found.value();
    }
    bool userAllowed(const QString& name) const { return m_rules.userGlobals && m_pickle.userGlobals.contains(name); }
    bool known(const QString& name) const { return allowedGlobal(name) || userAllowed(name); }
    AllowedGlobal globalInfo(const QString& name) const
    {
        const AllowedGlobal* global = allowedGlobal(name);
        return global ? *global : AllowedGlobal{GlobalKind::Class};
    }

    // A global as the release's GLOBAL reads it (Python 2 names mapped from 2.6, blocked modules
    // from 2.5, then the allow lists): the value pushed, a Global when allowed, else a stand-in
    // after the rule it breaks. Globals named by opcodes the release never reads (STACK_GLOBAL,
    // INST) are judged the same way, so that every unsupported one is listed.
    int checkGlobal(QString module, QString name, qint64 offset, const char* how)
    {
        if (m_rules.mapsPython2Names)
            mapPython2Global(&module, &name, m_rules.checksContainerTargets);
        const QString full = module + u'.' + name;
        if (m_rules.blocksModules && isBlockedModule(module)) {
            reject(blockedGlobalMessage(module, name), offset, how);
            if (!m_blockedGlobals.contains(full))
                m_blockedGlobals.append(full);
            return makeText(Kind::Opaque, full);
        }
        if (known(full))
            return makeText(Kind::Global, full);
        const QString special = m_rules.buildsAllowedClasses ? specialGlobalMessage(full) : QString();
        reject(special.isEmpty() ? unsupportedGlobalMessage(m_rules.release, module, name) : special, offset, how);
        if (!m_unsupportedGlobals.contains(full))
            m_unsupportedGlobals.append(full);
        return makeText(Kind::Opaque, full);
    }

    // What NEWOBJ (2.6) or REDUCE makes of an allowed class.
    int instanceOf(const QString& cls, bool userMade)
    {
        if (cls == QLatin1String("collections.OrderedDict"))
            return make(Kind::OrderedDict);
        if (cls == QLatin1String("torch.nn.parameter.Parameter"))
            return make(Kind::Parameter);
        if (cls == QLatin1String("torch.Size"))
            return make(Kind::Size);
        if (cls == QLatin1String("torch.Tensor"))
            return make(Kind::Tensor);
        if (cls == QLatin1String("builtins.set"))
            return make(Kind::Set);
        const int n = makeText(Kind::Instance, cls);
        m_nodes[size_t(n)].userMade = userMade;
        return n;
    }

    // struct.unpack of a short read, or `read(1)[0]` of nothing.
    bool shortRead(const PickleOp& op, int bytes)
    {
        if (op.argLength >= bytes)
            return false;
        if (bytes == 1)
            fail({QStringLiteral("IndexError"), QStringLiteral("index out of range")});
        else
            fail({QStringLiteral("struct.error"), QStringLiteral("unpack requires a buffer of %1 bytes").arg(bytes)});
        return true;
    }

    void reduce(int func, int args, qint64 offset)
    {
        const Node& f = node(func);
        const AllowedGlobal* g = f.kind == Kind::Global ? allowedGlobal(f.text) : nullptr;
        if (!g && f.kind == Kind::Global && userAllowed(f.text)) {
            m_stack.back() = userCallResult(f.text, args);
            return;
        }
        if (!g) {
            // A stand-in for an already rejected global or opcode: torch stopped before this call.
            if (f.kind == Kind::Opaque) {
                m_stack.back() = makeText(Kind::Opaque, f.text);
                return;
            }
            reject(QStringLiteral("Trying to call reduce for unrecognized function %1").arg(str(func)), offset, "REDUCE");
            m_stack.back() = makeText(Kind::Opaque, f.text);
            return;
        }
        const QString& name = f.text;
        int result = -1;
        switch (g->kind) {
        case GlobalKind::DType:
            fail({QStringLiteral("TypeError"), QStringLiteral("'torch.dtype' object is not callable")});
            return;
        case GlobalKind::QScheme:
            fail({QStringLiteral("TypeError"), QStringLiteral("'torch.qscheme' object is not callable")});
            return;
        case GlobalKind::TensorType:
            result = make(Kind::Tensor);
            break;
        case GlobalKind::StorageClass:
            if (!m_rules.storageClassesCallable && !name.startsWith(QLatin1String("torch.storage."))) {
                fail({QStringLiteral("TypeError"), QStringLiteral("'StorageType' object is not callable")});
                return;
            }
            result = make(Kind::Storage);
            break;
        case GlobalKind::Function:
        case GlobalKind::Class:
            if (name == QLatin1String("collections.OrderedDict"))
                result = make(Kind::OrderedDict);
            else if (name == QLatin1String("torch.nn.parameter.Parameter") || name.contains(QLatin1String("._rebuild_parameter")))
                result = make(Kind::Parameter);
            else if (name == QLatin1String("_codecs.encode"))
                result = make(Kind::Bytes);
            else if (g->kind == GlobalKind::Class && !name.startsWith(QLatin1String("torch.")))
                result = instanceOf(name, false);  // Counter, set, complex, bytearray
            else if (name == QLatin1String("torch.device"))
                result = instanceOf(name, false);
            else if (name == QLatin1String("torch.Size"))
                result = make(Kind::Size);
            else if (name == QLatin1String("torch.serialization._get_layout"))
                result = make(Kind::Layout);
            else {
                if (name == QLatin1String("torch._utils._rebuild_tensor_v2") || name == QLatin1String("torch._utils._rebuild_tensor")) {
                    if (!storageFits(args))
                        return;
                }
                result = make(Kind::Tensor);
            }
            break;
        }
        m_stack.back() = result;
    }

    // A call of a global the user allowed: its result's class is known only for NumPy's
    // _reconstruct (an instance of its first argument); otherwise it is trusted as allowed.
    int userCallResult(const QString& name, int args)
    {
        const Node& a = node(args);
        if (name.endsWith(QLatin1String("multiarray._reconstruct")) && a.kind == Kind::Tuple && !a.items.empty()
            && node(a.items[0]).kind == Kind::Global)
            return instanceOf(node(a.items[0]).text, userAllowed(node(a.items[0]).text));
        // numpy.dtype('f8', False, True) is an instance of a subclass per type (NumPy 1.25+:
        // numpy.dtypes.Float64DType), which BUILD checks against the allow lists in its turn.
        if (name == QLatin1String("numpy.dtype") && a.kind == Kind::Tuple && !a.items.empty() && node(a.items[0]).kind == Kind::Str) {
            const QString cls = numpyDTypeClass(node(a.items[0]).text);
            if (!cls.isEmpty())
                return instanceOf(cls, userAllowed(cls));
        }
        const QString last = name.section(u'.', -1);
        return instanceOf(!last.isEmpty() && last.front().isUpper() ? name : name + QStringLiteral("()"), true);
    }

    static QString numpyDTypeClass(const QString& code)
    {
        static const QHash<QString, QString> classes{
            {QStringLiteral("f2"), QStringLiteral("Float16")}, {QStringLiteral("f4"), QStringLiteral("Float32")},
            {QStringLiteral("f8"), QStringLiteral("Float64")}, {QStringLiteral("i1"), QStringLiteral("Int8")},
            {QStringLiteral("i2"), QStringLiteral("Int16")},   {QStringLiteral("i4"), QStringLiteral("Int32")},
            {QStringLiteral("i8"), QStringLiteral("Int64")},   {QStringLiteral("u1"), QStringLiteral("UInt8")},
            {QStringLiteral("u2"), QStringLiteral("UInt16")},  {QStringLiteral("u4"), QStringLiteral("UInt32")},
            {QStringLiteral("u8"), QStringLiteral("UInt64")},  {QStringLiteral("b1"), QStringLiteral("Bool")},
            {QStringLiteral("c8"), QStringLiteral("Complex64")}, {QStringLiteral("c16"), QStringLiteral("Complex128")},
            {QStringLiteral("O8"), QStringLiteral("Object")}};
        const QString name = classes.value(code);
        return name.isEmpty() ? QString() : QStringLiteral("numpy.dtypes.%1DType").arg(name);
    }

    // _rebuild_tensor(_v2)(storage, offset, size, stride, ...) calls Tensor.set_, which refuses a
    // view larger than a storage read from a zip record (those cannot grow).
    bool storageFits(int args)
    {
        const Node& a = node(args);
        if (a.kind != Kind::Tuple || a.items.size() < 4)
            return true;
        const Node& storage = node(a.items[0]);
        const Node& offset = node(a.items[1]);
        const Node& size = node(a.items[2]);
        const Node& stride = node(a.items[3]);
        if (storage.kind != Kind::Storage || storage.nbytes < 0 || offset.kind != Kind::Int || size.kind != Kind::Tuple
            || stride.kind != Kind::Tuple || size.items.size() != stride.items.size())
            return true;
        __int128 last = offset.integer;
        for (size_t i = 0; i < size.items.size(); ++i) {
            const Node& s = node(size.items[i]);
            const Node& t = node(stride.items[i]);
            if (s.kind != Kind::Int || t.kind != Kind::Int)
                return true;
            if (s.integer == 0)
                return true;  // no elements: no storage needed
            last += __int128(s.integer - 1) * t.integer;
        }
        const __int128 needed = (last + 1) * storage.itemSize;
        if (needed > storage.nbytes) {
            fail({QStringLiteral("RuntimeError"), QStringLiteral("Trying to resize storage that is not resizable")});
            return false;
        }
        return true;
    }

    void persistentLoad(int pid, qint64 offset)
    {
        const Node& p = node(pid);
        // Until 2.10 the check is inverted ("not type(pid) is not int"): it refuses ints only.
        // From then on it refuses what is neither a tuple nor an int, and ints reach torch's
        // persistent_load, which asserts a tuple.
        const bool refused = m_rules.persistentIdTypeFixed ? (p.kind != Kind::Tuple && p.kind != Kind::Int && p.kind != Kind::Opaque)
                                                           : (p.kind == Kind::Int || p.kind == Kind::Bool);
        if (refused) {
            reject(QStringLiteral("persistent_load id must be tuple or int, but got %1").arg(typeRepr(pid)), offset, "BINPERSID");
            push(make(Kind::Opaque));
            return;
        }
        if (m_rules.persistentIdTypeFixed && p.kind == Kind::Int) {
            fail({QStringLiteral("AssertionError"), QStringLiteral("saved_id must be a tuple, got int")});
            return;
        }
        if (p.kind == Kind::Tuple && !p.items.empty()) {
            const Node& tag = node(p.items[0]);
            if (!(tag.kind == Kind::Str || tag.kind == Kind::Bytes) || tag.text != QLatin1String("storage")) {
                // 2.14 names the tag's type, earlier releases the tag.
                reject(QStringLiteral("Only persistent_load of storage is allowed, but got %1")
                           .arg(m_rules.persistentIdTypeFixed ? typeRepr(p.items[0]) : str(p.items[0])),
                       offset, "BINPERSID");
                push(make(Kind::Opaque));
                return;
            }
        }
        if (m_stopped)
            return;
        if (!m_pickle.persistentLoader) {
            fail({QStringLiteral("UnpicklingError"), QStringLiteral("unsupported persistent id encountered")});
            return;
        }
        if (m_pickle.tarPersistentIds && p.kind != Kind::Tuple) {
            push(make(Kind::Tensor));  // deserialized_objects[int(saved_id)]: a tensor read from member 'tensors'
            return;
        }
        if (p.kind != Kind::Tuple) {
            fail({QStringLiteral("AssertionError"), QString()});
            return;
        }
        if (p.items.empty()) {
            fail({QStringLiteral("IndexError"), QStringLiteral("tuple index out of range")});
            return;
        }
        const size_t expected = m_pickle.legacyPersistentIds ? 5 : 4;
        const size_t got = p.items.size() - 1;
        if (got < expected) {
            fail({QStringLiteral("ValueError"), QStringLiteral("not enough values to unpack (expected %1, got %2)").arg(expected).arg(got)});
            return;
        }
        if (got > expected) {
            fail({QStringLiteral("ValueError"), QStringLiteral("too many values to unpack (expected %1)").arg(expected)});
            return;
        }
        const Node& type = node(p.items[1]);
        const AllowedGlobal global = type.kind == Kind::Global ? globalInfo(type.text) : AllowedGlobal{GlobalKind::Class};
        if (global.kind != GlobalKind::StorageClass) {
            fail({QStringLiteral("AttributeError"), QStringLiteral("'%1' object has no attribute 'dtype'").arg(typeRepr(p.items[1]).mid(8).chopped(2))});
            return;
        }
        const Node& key = node(p.items[2]);
        const QString keyText = key.kind == Kind::Int ? QString::number(key.integer) : key.text;
        // make() may grow m_nodes and move every node: `p`, `type` and `key` dangle after it.
        // Keep the index of the numel node, not a reference into the vector (found by fuzz_legacy).
        const int numelNode = p.items[4];
        const int result = make(Kind::Storage);
        m_nodes[size_t(result)].itemSize = global.itemSize;
        if (m_pickle.recordBytes) {
            const qint64 bytes = m_pickle.recordBytes(keyText);
            if (bytes < 0) {
                fail({QStringLiteral("RuntimeError"), QStringLiteral("PytorchStreamReader failed locating file data/%1: file not found").arg(keyText)});
                return;
            }
            if (bytes > m_pickle.fileSize) {
                // torch allocates the record's size before reading it (a lying ZIP64 size)
                fail({QStringLiteral("RuntimeError"), bytes >= (qint64(1) << 40)
                          ? QStringLiteral("[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate %1 bytes. Error code 12 (Cannot allocate memory)").arg(bytes)
                          : QStringLiteral("PytorchStreamReader failed reading file data/%1").arg(keyText)});
                return;
            }
            m_nodes[size_t(result)].nbytes = bytes;
        } else if (!m_storageKeys.contains(keyText)) {
            const Node& numel = node(numelNode);
            m_storageKeys.append(keyText);
            m_storageItemSizes.append(global.itemSize);
            m_storageNumels.append(numel.kind == Kind::Int ? numel.integer : -1);
        }
        push(result);
    }

    void step(const PickleOp& op)
    {
        int a = 0, b = 0;
        std::vector<int> items;
        switch (op.opcode) {
        case Opcode::Global: {  // readline()[:-1] twice, decoded as UTF-8
            if (op.truncated()) {
                // readline() at the end returns what is left without a newline; [:-1] still cuts a byte.
                QByteArrayView rest(m_pickle.data + op.argOffset, op.argLength);
                QByteArrayView module = op.lineBreak >= 0 ? rest.first(op.lineBreak - op.argOffset) : rest.chopped(rest.isEmpty() ? 0 : 1);
                QByteArrayView name = op.lineBreak >= 0 ? QByteArrayView(m_pickle.data + op.lineBreak + 1, m_pickle.size - op.lineBreak - 1) : QByteArrayView();
                if (!name.isEmpty())
                    name.chop(1);
                if (node(checkGlobal(QString::fromUtf8(module), QString::fromUtf8(name), op.offset, "GLOBAL")).kind == Kind::Global)
                    fail({QStringLiteral("EOFError"), QString()});  // an allowed name, then nothing to read
                m_stopped = true;
                return;
            }
            if (!validUtf8(op.argOffset, op.argLength)) {
                fail({QStringLiteral("UnicodeDecodeError"), QStringLiteral("'utf-8' codec can't decode a GLOBAL name")});
                return;
            }
            const QString both = lineText(op.argOffset, op.argLength);
            push(checkGlobal(both.section(u'\n', 0, 0), both.section(u'\n', 1), op.offset, "GLOBAL"));
            return;
        }
        case Opcode::NewObj: {
            if (!pop(&b) || !pop(&a))
                return;
            const Node& cls = node(a);
            if (cls.kind == Kind::Global && cls.text == QLatin1String("torch.nn.parameter.Parameter")) {
                push(make(Kind::Parameter));
                return;
            }
            // 2.6: cls.__new__(cls, *args) for any class of either allow list.
            if (m_rules.buildsAllowedClasses && cls.kind == Kind::Global) {
                const QString name = cls.text;
                push(instanceOf(name, userAllowed(name)));
                return;
            }
            reject(unsupportedNewObjMessage(m_rules.release, str(a)), op.offset, "NEWOBJ");
            push(makeText(Kind::Opaque, node(a).text));
            return;
        }
        case Opcode::Reduce: {
            if (!pop(&b) || !top(&a))
                return;
            reduce(a, b, op.offset);
            return;
        }
        case Opcode::Build: {
            if (!pop(&b) || !top(&a))
                return;
            const Node& target = node(a);
            bool builds = target.kind == Kind::Tensor || target.kind == Kind::Parameter || target.kind == Kind::OrderedDict;
            // 2.6: an instance of any class of either allow list (__setstate__ or __dict__.update).
            if (!builds && m_rules.buildsAllowedClasses)
                builds = (target.kind == Kind::Instance && (target.userMade || known(target.text))) || target.kind == Kind::Size
                         || target.kind == Kind::Set;
            if (!builds) {
                reject(unsupportedBuildMessage(m_rules.release, typeRepr(a)), op.offset, "BUILD");
                // An instance of a class the allow lists lack: one more global to allow.
                if (m_rules.buildsAllowedClasses && target.kind == Kind::Instance && !target.userMade && !m_unsupportedGlobals.contains(target.text))
                    m_unsupportedGlobals.append(target.text);
            }
            return;
        }
        case Opcode::Append: {
            if (!pop(&b) || !top(&a))
                return;
            if (node(a).kind != Kind::List)
                reject(QStringLiteral("Can only append to lists, but got %1").arg(typeRepr(a)), op.offset, "APPEND");
            else if (m_nodes[size_t(a)].items.size() < 1000000)
                m_nodes[size_t(a)].items.push_back(b);
            return;
        }
        case Opcode::Appends: {
            if (!popMark(&items) || !top(&a))
                return;
            if (node(a).kind != Kind::List)
                reject(QStringLiteral("Can only %1 lists, but got %2")
                           .arg(m_rules.checksContainerTargets ? QStringLiteral("append to") : QStringLiteral("extend"), typeRepr(a)),
                       op.offset, "APPENDS");
            else if (m_nodes[size_t(a)].items.size() + items.size() < 1000000)
                m_nodes[size_t(a)].items.insert(m_nodes[size_t(a)].items.end(), items.begin(), items.end());
            return;
        }
        case Opcode::SetItem: {
            int v = 0, k = 0;
            if (!pop(&v) || !pop(&k) || !top(&a))
                return;
            if (setItemTargetAllowed(a, "SETITEM", op.offset))
                setItem(a, k);
            return;
        }
        case Opcode::SetItems: {
            if (!popMark(&items) || !top(&a))
                return;
            if (!setItemTargetAllowed(a, "SETITEMS", op.offset))
                return;
            for (size_t i = 0; i + 1 < items.size() && !m_stopped; i += 2)
                setItem(a, items[i]);
            if (items.size() % 2 && !m_stopped)
                fail({QStringLiteral("IndexError"), QStringLiteral("list index out of range")});
            return;
        }
        case Opcode::Mark:
            m_metastack.push_back(std::move(m_stack));
            m_stack.clear();
            return;
        case Opcode::Tuple: {
            if (!popMark(&items))
                return;
            const int n = make(Kind::Tuple);
            m_nodes[size_t(n)].items = std::move(items);
            push(n);
            return;
        }
        case Opcode::Tuple1: case Opcode::Tuple2: case Opcode::Tuple3: {
            const size_t count = op.opcode == Opcode::Tuple1 ? 1 : op.opcode == Opcode::Tuple2 ? 2 : 3;
            if (m_stack.size() < count) {
                fail({QStringLiteral("IndexError"), QStringLiteral("list index out of range")});
                return;
            }
            const int n = make(Kind::Tuple);
            m_nodes[size_t(n)].items.assign(m_stack.end() - std::ptrdiff_t(count), m_stack.end());
            m_stack.resize(m_stack.size() - count);
            push(n);
            return;
        }
        case Opcode::None: push(make(Kind::None)); return;
        case Opcode::NewTrue: case Opcode::NewFalse: {
            const int n = make(Kind::Bool);
            m_nodes[size_t(n)].integer = op.opcode == Opcode::NewTrue;
            push(n);
            return;
        }
        case Opcode::EmptyTuple: push(make(Kind::Tuple)); return;
        case Opcode::EmptyList: push(make(Kind::List)); return;
        case Opcode::EmptyDict: push(make(Kind::Dict)); return;
        case Opcode::EmptySet: push(make(Kind::Set)); return;
        case Opcode::BinInt: case Opcode::BinInt1: case Opcode::BinInt2: {
            if (shortRead(op, opcodeInfo(op.byte()).width))
                return;
            const int n = make(Kind::Int);
            m_nodes[size_t(n)].integer = op.opcode == Opcode::BinInt ? qint64(qint32(quint32(op.value))) : qint64(op.value);
            push(n);
            return;
        }
        case Opcode::BinUnicode: {
            if (op.problem == PickleArgProblem::FieldCut) {  // the length itself is cut
                fail({QStringLiteral("struct.error"), QStringLiteral("unpack requires a buffer of 4 bytes")});
                return;
            }
            // str(read(n), 'utf-8', 'surrogatepass'): a short read is decoded as it is
            const int n = make(Kind::Str);
            if (op.argLength <= 4096)
                m_nodes[size_t(n)].text = lineText(op.argOffset, op.argLength);
            if (!validUtf8(op.argOffset, op.argLength)) {
                fail({QStringLiteral("UnicodeDecodeError"), QStringLiteral("'utf-8' codec can't decode a BINUNICODE string")});
                return;
            }
            push(n);
            return;
        }
        case Opcode::ShortBinString: {  // decoded with encoding='utf-8' (torch.load's default)
            if (op.problem == PickleArgProblem::FieldCut) {
                fail({QStringLiteral("IndexError"), QStringLiteral("index out of range")});
                return;
            }
            if (!validUtf8(op.argOffset, op.argLength)) {
                fail({QStringLiteral("UnicodeDecodeError"), QStringLiteral("'utf-8' codec can't decode a SHORT_BINSTRING")});
                return;
            }
            push(makeText(Kind::Str, lineText(op.argOffset, op.argLength)));
            return;
        }
        case Opcode::BinPersId: {
            if (!pop(&a))
                return;
            persistentLoad(a, op.offset);
            return;
        }
        case Opcode::BinGet: case Opcode::LongBinGet: {
            if (shortRead(op, opcodeInfo(op.byte()).width))
                return;
            const int* known = m_memo.find(quint32(op.value));
            if (!known) {
                fail({QStringLiteral("KeyError"), QString::number(quint32(op.value))});
                return;
            }
            push(*known);
            return;
        }
        case Opcode::BinPut: case Opcode::LongBinPut: {
            if (shortRead(op, opcodeInfo(op.byte()).width) || !top(&a))
                return;
            if (m_memo.size() >= (1 << 24) && !m_memo.find(quint32(op.value))) {
                fail({QStringLiteral("MemoryError"), QStringLiteral("memo too large")});
                return;
            }
            memoPut(quint32(op.value), a);
            return;
        }
        case Opcode::Long1: {
            if (op.problem == PickleArgProblem::FieldCut) {
                fail({QStringLiteral("IndexError"), QStringLiteral("index out of range")});
                return;
            }
            const int n = make(Kind::BigInt);
            if (op.argLength <= 8) {
                m_nodes[size_t(n)].kind = Kind::Int;
                quint64 raw = op.argLength ? m_walker.readLE(op.argOffset, int(op.argLength)) : 0;
                if (op.argLength > 0 && op.argLength < 8 && (raw >> (op.argLength * 8 - 1)) & 1)
                    raw |= ~quint64(0) << (op.argLength * 8);  // sign-extend
                m_nodes[size_t(n)].integer = qint64(raw);
            }
            m_nodes[size_t(n)].magic = op.argLength == 10 && std::memcmp(m_pickle.data + op.argOffset, kMagicLE, 10) == 0;
            push(n);
            return;
        }
        case Opcode::Proto:
            shortRead(op, 1);
            return;
        case Opcode::BinFloat:  // from 2.2: unpack(">d", read(8))
            if (!m_rules.readsFloats) {
                unsupported(op);
                return;
            }
            if (!shortRead(op, 8))
                push(make(Kind::Float));
            return;
        default:
            unsupported(op);
            return;
        }
    }

    // CPython's memo keeps the later value under a key stored twice.
    void memoPut(quint64 key, int node)
    {
        if (int* slot = m_memo.find(key))
            *slot = node;
        else
            m_memo.add(key, node);
    }

    // 2.14's _check_set_item_target: SETITEM(S) only into a dict, an OrderedDict or a Counter.
    bool setItemTargetAllowed(int container, const char* opName, qint64 offset)
    {
        const Node& target = node(container);
        if (!m_rules.checksContainerTargets || target.kind == Kind::Dict || target.kind == Kind::OrderedDict || target.kind == Kind::Opaque
            || (target.kind == Kind::Instance && target.text == QLatin1String("collections.Counter")))
            return true;
        reject(QStringLiteral("Can only %1 for dict, collections.OrderedDict, collections.Counter, but got %2").arg(QLatin1String(opName), typeRepr(container)),
               offset, opName);
        return false;
    }

    void setItem(int container, int key)
    {
        const Kind k = node(container).kind;
        if (k == Kind::Dict || k == Kind::OrderedDict) {
            if (!hashable(key))
                fail({QStringLiteral("TypeError"), QStringLiteral("unhashable type: '%1'").arg(typeRepr(key).mid(8).chopped(2))});
            return;
        }
        if (k == Kind::Opaque || (k == Kind::Instance && (node(container).userMade || node(container).text == QLatin1String("collections.Counter"))))
            return;  // a stand-in for a rejected value, a Counter (a dict), an object of a user's class: no TypeError known
        fail({QStringLiteral("TypeError"), QStringLiteral("'%1' object does not support item assignment").arg(typeRepr(container).mid(8).chopped(2))});
    }

    void describeResult(int n, WeightsOnlyRun* out) const
    {
        const Node& v = node(n);
        out->isMagic = v.magic;
        out->isInt = v.kind == Kind::Int;
        out->integer = v.integer;
        out->text = str(n);
        if (v.kind == Kind::List) {
            for (int item : v.items)
                out->strings.append(node(item).kind == Kind::Int ? QString::number(node(item).integer) : node(item).text);
        }
    }

    const WeightsOnlyPickle& m_pickle;
    const WeightsOnlyReleaseRules& m_rules;
    PickleOpWalker m_walker;
    // A deque: nodes never move as it grows (a vector's regrowth copied a million nodes and
    // faulted their pages at 100 000 tensors), and references to them stay valid.
    std::deque<Node> m_nodes;
    std::vector<int> m_stack;
    std::vector<std::vector<int>> m_metastack;
    MemoTable<int, -1> m_memo;  // node indices
    std::optional<PyError> m_first;
    bool m_stopped = false;
    QStringList m_rejected;
    QSet<QString> m_seenReasons;
    QStringList m_storageKeys;
    QList<int> m_storageItemSizes;
    QList<qint64> m_storageNumels;
    QStringList m_unsupportedGlobals;
    QStringList m_blockedGlobals;
};

void finish(WeightsOnlyVerdict* verdict, const QString& exception, const QString& error, bool wrapped)
{
    verdict->loads = false;
    verdict->error = error;
    // torch.load catches what its release catches (RuntimeError to 2.4, UnpicklingError from 2.5)
    // around the unpickling, and re-raises it as an UnpicklingError with its advice.
    const QString message = wrapped ? weightsOnlyWrappedMessage(verdict->release, exception, error) : QString();
    if (!message.isEmpty()) {
        verdict->exception = QStringLiteral("UnpicklingError");
        verdict->message = message;
    } else {
        verdict->exception = exception;
        verdict->message = error;
    }
}

void fromRun(WeightsOnlyVerdict* verdict, const WeightsOnlyRun& run)
{
    for (const QString& reason : run.rejected) {
        if (!verdict->rejected.contains(reason))
            verdict->rejected.append(reason);
    }
    for (const QString& global : run.unsupportedGlobals) {
        if (!verdict->unsupportedGlobals.contains(global))
            verdict->unsupportedGlobals.append(global);
    }
    for (const QString& global : run.blockedGlobals) {
        if (!verdict->blockedGlobals.contains(global))
            verdict->blockedGlobals.append(global);
    }
    if (!run.ok && verdict->exception.isEmpty())
        finish(verdict, run.exception, run.error, true);
}

// data.pkl's record DATAPKL as torch's _load reads it: flags miniz refuses, the bytes (CRC not
// checked), the weights-only unpickler over them with the storage records it names.
void dataPklVerdict(const ZipArchive& zip, int dataPkl, const QString& prefix, WeightsOnlyVerdict* verdict)
{
    // miniz refuses a record flagged as encrypted, strong-encrypted or patched data before reading it.
    if (zip.entries()[size_t(dataPkl)].flags & (0x0001 | 0x0020 | 0x0040)) {
        finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("PytorchStreamReader failed retrieving file meta-data for data.pkl: unsupported feature"), true);
        verdict->rejected.append(QStringLiteral("data.pkl's zip flags (encrypted or patched data)"));
        return;
    }
    bool crcFailed = false;  // torch builds miniz without CRC checks: it reads such a data.pkl
    auto bytes = zip.readIgnoringCrc(dataPkl, qint64(4) << 30, &crcFailed);
    if (!bytes) {
        finish(verdict, QStringLiteral("RuntimeError"), bytes.error().message, true);
        return;
    }
    WeightsOnlyPickle pickle;
    pickle.release = verdict->release;
    pickle.userGlobals = verdict->userGlobals;
    pickle.data = bytes->constData();
    pickle.size = bytes->size();
    pickle.fileSize = zip.file().size();
    pickle.recordBytes = [&zip, &prefix](const QString& key) -> qint64 {
        const int entry = zip.find(prefix + QStringLiteral("data/") + key);
        return entry < 0 ? -1 : qint64(zip.entries()[size_t(entry)].uncompressedSize);
    };
    fromRun(verdict, runWeightsOnlyPickle(pickle));
    if (verdict->exception.isEmpty())
        verdict->loads = true;
}

// torch.load of a zip that is not TorchScript: `_load` unpickles data.pkl (stored or deflated:
// torch's reader inflates) and fetches each data/<key> record the persistent ids name.
void zipVerdict(const SourceFile& source, WeightsOnlyVerdict* verdict)
{
    // The zip reader leaves its archive as the file's record offsets; a file assembled some other
    // way has its directory read again here.
    std::shared_ptr<const ZipArchive> reopened;
    const ZipArchive* archive = dynamic_cast<const ZipArchive*>(source.records.get());
    if (!archive) {
        auto opened = ZipArchive::open(source.map);
        if (!opened) {
            finish(verdict, QStringLiteral("RuntimeError"), opened.error().message, true);
            return;
        }
        reopened = std::move(*opened);
        archive = reopened.get();
    }
    const ZipArchive& zip = *archive;
    const QString first = zip.entries().front().name;
    if (!first.contains(u'/')) {
        // PyTorchStreamReader's constructor takes the archive's folder from its first record
        // (a NumPy .npz, a plain zip of pickles), before torch.load's weights_only handling.
        finish(verdict, QStringLiteral("RuntimeError"),
               QStringLiteral("[enforce fail at inline_container.cc:129] . file in archive is not in a subdirectory: %1").arg(first), false);
        verdict->rejected.append(QStringLiteral("no archive folder"));
        return;
    }
    const QString prefix = first.left(first.indexOf(u'/') + 1);
    if (zip.find(prefix + QStringLiteral("version")) < 0 && zip.find(prefix + QStringLiteral(".data/version")) < 0) {
        // PyTorchStreamReader's constructor, before torch.load's weights_only handling
        finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("Expected hasRecord(\"version\") to be true, but got false."), false);
        verdict->rejected.append(QStringLiteral("no version record"));
        return;
    }
    // torch.load asks whether the archive is TorchScript (_is_torchscript_zip) before it unpickles
    // anything; PyTorchStreamReader::getAllRecords refuses a record outside the archive folder
    // (fickling's TorchScript polyglot, a zip-slip name).
    for (const ZipEntry& entry : zip.entries()) {
        if (entry.name.startsWith(prefix))
            continue;
        finish(verdict, QStringLiteral("RuntimeError"),
               QStringLiteral("[enforce fail at inline_container.cc:252] . file in archive is not in a subdirectory %1: %2").arg(prefix, entry.name), false);
        verdict->rejected.append(QStringLiteral("a record outside the archive folder"));
        return;
    }
    const int dataPkl = zip.find(prefix + QStringLiteral("data.pkl"));
    if (dataPkl < 0) {
        finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("PytorchStreamReader failed locating file data.pkl: file not found"), true);
        verdict->rejected.append(QStringLiteral("no data.pkl record"));
        return;
    }
    // Two records named data.pkl (a twin the reader refuses): which one miniz's binary search
    // finds is not something to bet on, so the verdict is the first twin's refusal, if any
    // refuses, and "loads" only when every twin loads.
    std::vector<int> twins;
    for (size_t entry = 0; entry < zip.entries().size(); ++entry) {
        if (zip.entries()[entry].name == prefix + QStringLiteral("data.pkl"))
            twins.push_back(int(entry));
    }
    if (twins.size() <= 1) {
        dataPklVerdict(zip, dataPkl, prefix, verdict);
        return;
    }
    const WeightsOnlyVerdict before = *verdict;
    for (int twin : twins) {
        WeightsOnlyVerdict candidate = before;
        dataPklVerdict(zip, twin, prefix, &candidate);
        if (!candidate.loads || twin == twins.back()) {
            *verdict = candidate;
            verdict->rejected.append(QStringLiteral("two data.pkl records: torch's zip reader may read either"));
            return;
        }
    }
}

// The legacy format: magic number, protocol version, sys_info, the object, the storage keys, then
// each storage as an 8-byte element count and its bytes (_set_from_file).
void legacyVerdict(const MappedFile& file, WeightsOnlyVerdict* verdict)
{
    qint64 position = 0;
    WeightsOnlyRun parts[5];
    for (int part = 0; part < 5; ++part) {
        WeightsOnlyPickle pickle;
        pickle.release = verdict->release;
        pickle.userGlobals = verdict->userGlobals;
        pickle.data = file.data() + position;
        pickle.size = file.size() - position;
        pickle.legacyPersistentIds = true;
        pickle.persistentLoader = part == 3;  // the object; the others are read by pickle_module.load(f)
        parts[part] = runWeightsOnlyPickle(pickle);
        fromRun(verdict, parts[part]);
        if (!parts[part].ok)
            return;
        position += parts[part].end;
        if (part == 0 && !parts[0].isMagic) {
            finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("Invalid magic number; corrupt file?"), true);
            return;
        }
        if (part == 1 && !(parts[1].isInt && parts[1].integer == 1001)) {
            finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("Invalid protocol version: %1").arg(parts[1].text), true);
            return;
        }
    }
    const WeightsOnlyRun& object = parts[3];
    for (const QString& key : parts[4].strings) {
        const qsizetype index = object.storageKeys.indexOf(key);
        if (index < 0) {
            finish(verdict, QStringLiteral("AssertionError"), QString(), false);
            return;
        }
        if (!file.contains(position, 8)) {
            finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("unexpected EOF, expected 8 more bytes. The file might be corrupted."), true);
            return;
        }
        qint64 count = 0;
        std::memcpy(&count, file.data() + position, 8);
        position += 8;
        const qint64 expected = object.storageNumels[index];
        if (count != expected) {
            finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("storage has wrong size: expected %1 got %2").arg(expected).arg(count), true);
            return;
        }
        const qint64 nbytes = count * object.storageItemSizes[index];
        if (!file.contains(position, nbytes)) {
            finish(verdict, QStringLiteral("RuntimeError"), QStringLiteral("unexpected EOF, expected %1 more bytes. The file might be corrupted.").arg(nbytes - (file.size() - position)), true);
            return;
        }
        position += nbytes;
    }
    verdict->loads = true;
}

// The 0.1.x tar format: torch's legacy_load reads members `storages` and `tensors` (pickles and
// raw bytes) and then unpickles member `pickle`; only that last one names classes.
void tarVerdict(const MappedFile& file, WeightsOnlyVerdict* verdict)
{
    // The reader's own header walker: the scan checks the bytes the reader reads as 'pickle'.
    // An archive it cannot walk, or a 'pickle' member the file cuts short, has no member to load.
    const auto index = indexTar(file);
    const auto member = index ? index->members.constFind(QStringLiteral("pickle")) : QHash<QString, TarMember>::const_iterator();
    if (!index || member == index->members.cend() || member->truncated) {
        finish(verdict, QStringLiteral("KeyError"), QStringLiteral("\"filename 'pickle' not found\""), false);
        return;
    }
    WeightsOnlyPickle pickle;
    pickle.release = verdict->release;
    pickle.userGlobals = verdict->userGlobals;
    pickle.data = file.data() + member->offset;
    pickle.size = member->size;
    pickle.tarPersistentIds = true;
    fromRun(verdict, runWeightsOnlyPickle(pickle));
    if (verdict->exception.isEmpty())
        verdict->loads = true;
    verdict->note = QStringLiteral("torch 0.1.x tar: only member 'pickle' is checked");
}

}  // namespace

WeightsOnlyRun runWeightsOnlyPickle(const WeightsOnlyPickle& pickle)
{
    return Emulator(pickle).run();
}

WeightsOnlyVerdict weightsOnlyVerdict(const Checkpoint& checkpoint, TorchRelease release, const QStringList& userGlobals)
{
    WeightsOnlyVerdict verdict;
    verdict.release = release;
    verdict.torchVersion = torchReleaseName(release);
    verdict.userGlobals = userGlobals;
    const bool refusesScriptAndTar = weightsOnlyRules(release).refusesScriptAndTar;
    if (checkpoint.files.empty()) {
        verdict.applies = false;
        return verdict;
    }
    switch (checkpoint.format) {
    case Format::Safetensors:
        if (weightsOnlyRules(release).readsSafetensorsPaths && checkpoint.path.endsWith(QLatin1String(".safetensors"))) {
            // torch.load hands a path ending in .safetensors to safetensors.torch.load_file.
            verdict.note = QStringLiteral("a .safetensors path: torch.load reads it with safetensors.torch.load_file, which runs no code");
            if (checkpoint.root)
                verdict.loads = true;
            else
                finish(&verdict, QStringLiteral("SafetensorError"), QStringLiteral("the safetensors reader refuses the file"), false);
            return verdict;
        }
        verdict.applies = false;
        verdict.note = QStringLiteral("safetensors is not a pickle: torch.load cannot read it (safetensors.torch.load_file does, without running code)");
        return verdict;
    case Format::Sharded:
        verdict.applies = false;
        verdict.note = QStringLiteral("a shard index: torch.load reads one shard at a time, see `shards`");
        return verdict;
    case Format::TorchScript:
        if (refusesScriptAndTar) {
            finish(&verdict, QStringLiteral("RuntimeError"),
                   QStringLiteral("Cannot use ``weights_only=True`` with TorchScript archives passed to ``torch.load``. ") + torch26UnsafeMessage(), false);
            verdict.note = QStringLiteral("a TorchScript archive: from torch 2.6 torch.load refuses it under weights_only (torch.jit.load reads it)");
            return verdict;
        }
        // Until 2.6 torch.load hands TorchScript archives to torch.jit.load, weights_only or not: the archive's
        // TorchScript code is compiled and its pickles read by the C++ unpickler, which only
        // builds TorchScript classes (no Python globals).
        verdict.loads = true;
        verdict.note = QStringLiteral("a TorchScript archive: torch.load dispatches to torch.jit.load, which ignores weights_only");
        return verdict;
    case Format::TorchZip:
    case Format::TorchExport:
    case Format::NumpyArchive:  // torch.load takes any zip for its own archive
        zipVerdict(checkpoint.files.front(), &verdict);
        return verdict;
    case Format::TorchLegacy:
    case Format::Pickle:      // torch.load reads any other file as the legacy format: its first
    case Format::Joblib:
    case Format::NumpyArray:  // pickle must be the magic number
        legacyVerdict(*checkpoint.files.front().map, &verdict);
        return verdict;
    case Format::TorchTar:
        if (refusesScriptAndTar) {
            finish(&verdict, QStringLiteral("RuntimeError"),
                   QStringLiteral("Cannot use ``weights_only=True`` with files saved in the legacy .tar format. ") + torch26UnsafeMessage(), false);
            return verdict;
        }
        tarVerdict(*checkpoint.files.front().map, &verdict);
        return verdict;
    }
    return verdict;
}

}  // namespace statelens
