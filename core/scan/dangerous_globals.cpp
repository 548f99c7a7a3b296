#include "core/scan/dangerous_globals.h"

#include <QHash>
#include <QSet>
#include <QStringList>

namespace statelens {

namespace {

// picklescan's table: module -> names ("*": every name of the module and of its submodules).
const QHash<QString, QSet<QString>>& dangerousTable()
{
    static const QHash<QString, QSet<QString>> table = [] {
        QHash<QString, QSet<QString>> t;
        const QSet<QString> all{QStringLiteral("*")};
        const QSet<QString> builtins{QStringLiteral("eval"), QStringLiteral("compile"), QStringLiteral("getattr"), QStringLiteral("apply"),
                                     QStringLiteral("exec"), QStringLiteral("open"), QStringLiteral("breakpoint")};
        t.insert(QStringLiteral("__builtin__"), builtins);
        t.insert(QStringLiteral("builtins"), builtins);
        t.insert(QStringLiteral("cloudpickle.cloudpickle"),
                 {QStringLiteral("_builtin_type"), QStringLiteral("_make_function"), QStringLiteral("_function_setstate"),
                  QStringLiteral("_make_cell"), QStringLiteral("_make_empty_cell"), QStringLiteral("subimport")});
        t.insert(QStringLiteral("types"), {QStringLiteral("CodeType")});
        for (const char* module : {"aiohttp", "asyncio", "bdb", "commands", "ctypes", "httplib", "numpy.f2py", "numpy.testing._private.utils",
                                   "nt", "posix", "os", "requests.api", "runpy", "shutil", "socket", "ssl", "subprocess", "sys", "cProfile",
                                   "distutils.file_util", "pdb", "pickle", "_pickle", "pip", "pty", "profile", "pydoc", "test", "timeit",
                                   "urllib.request", "uuid", "venv", "webbrowser", "_osx_support", "_aix_support", "_pyrepl"})
            t.insert(QLatin1String(module), all);
        t.insert(QStringLiteral("functools"), {QStringLiteral("partial")});
        t.insert(QStringLiteral("logging"), {QStringLiteral("FileHandler")});
        t.insert(QStringLiteral("_io"), {QStringLiteral("FileIO")});
        const QSet<QString> getters{QStringLiteral("attrgetter"), QStringLiteral("itemgetter"), QStringLiteral("methodcaller")};
        t.insert(QStringLiteral("_operator"), getters);
        t.insert(QStringLiteral("operator"), getters);
        t.insert(QStringLiteral("code"), {QStringLiteral("InteractiveInterpreter.runcode")});
        t.insert(QStringLiteral("doctest"), {QStringLiteral("debug_script")});
        t.insert(QStringLiteral("ensurepip"), {QStringLiteral("_run_pip")});
        t.insert(QStringLiteral("idlelib.autocomplete"), {QStringLiteral("AutoComplete.get_entity"), QStringLiteral("AutoComplete.fetch_completions")});
        t.insert(QStringLiteral("idlelib.calltip"), {QStringLiteral("Calltip.fetch_tip"), QStringLiteral("get_entity")});
        t.insert(QStringLiteral("idlelib.debugobj"), {QStringLiteral("ObjectTreeItem.SetText")});
        t.insert(QStringLiteral("idlelib.pyshell"), {QStringLiteral("ModifiedInterpreter.runcode"), QStringLiteral("ModifiedInterpreter.runcommand")});
        t.insert(QStringLiteral("idlelib.run"), {QStringLiteral("Executive.runcode")});
        t.insert(QStringLiteral("imaplib"), {QStringLiteral("IMAP4_stream")});
        t.insert(QStringLiteral("lib2to3.pgen2.grammar"), {QStringLiteral("Grammar.loads")});
        t.insert(QStringLiteral("lib2to3.pgen2.pgen"), {QStringLiteral("ParserGenerator.make_label")});
        t.insert(QStringLiteral("pkgutil"), {QStringLiteral("resolve_name")});
        t.insert(QStringLiteral("torch._dynamo.guards"), {QStringLiteral("GuardBuilder.get")});
        t.insert(QStringLiteral("torch._inductor.codecache"), {QStringLiteral("compile_file")});
        t.insert(QStringLiteral("torch.fx.experimental.symbolic_shapes"), {QStringLiteral("ShapeEnv.evaluate_guards_expression")});
        t.insert(QStringLiteral("torch.jit.unsupported_tensor_ops"), {QStringLiteral("execWrapper")});
        t.insert(QStringLiteral("torch.serialization"), {QStringLiteral("load")});
        t.insert(QStringLiteral("torch.utils._config_module"), {QStringLiteral("ConfigModule.load_config")});
        t.insert(QStringLiteral("torch.utils.bottleneck.__main__"), {QStringLiteral("run_cprofile"), QStringLiteral("run_autograd_prof")});
        t.insert(QStringLiteral("torch.utils.collect_env"), {QStringLiteral("run")});
        t.insert(QStringLiteral("torch.utils.data.datapipes.utils.decoder"), {QStringLiteral("basichandlers")});
        t.insert(QStringLiteral("trace"), {QStringLiteral("Trace.run"), QStringLiteral("Trace.runctx")});
        return t;
    }();
    return table;
}

}  // namespace

bool isKnownDangerousGlobal(const QString& qualifiedName)
{
    const QStringList parts = qualifiedName.split(u'.');
    if (parts.contains(QStringLiteral("?")))
        return true;
    // Every split into module and (possibly dotted) name: "code.InteractiveInterpreter.runcode".
    for (qsizetype split = parts.size() - 1; split >= 1; --split) {
        const QString module = QStringList(parts.mid(0, split)).join(u'.');
        const QString name = QStringList(parts.mid(split)).join(u'.');
        const auto found = dangerousTable().constFind(module);
        if (found != dangerousTable().constEnd() && (found->contains(QStringLiteral("*")) || found->contains(name)))
            return true;
        // A whole module covers its submodules (os.path.join under os).
        for (qsizetype parent = split - 1; parent >= 1; --parent) {
            const auto outer = dangerousTable().constFind(QStringList(parts.mid(0, parent)).join(u'.'));
            if (outer != dangerousTable().constEnd() && outer->contains(QStringLiteral("*")))
                return true;
        }
    }
    return false;
}

}  // namespace statelens
