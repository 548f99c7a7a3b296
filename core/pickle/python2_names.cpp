#include "core/pickle/python2_names.h"

namespace statelens {

namespace {

// CPython's _compat_pickle, applied as Unpickler.find_class does for protocols < 3. The
// `exceptions` module's names all moved to builtins (StandardError became Exception).

struct NamePair { const char* from; const char* to; };

constexpr NamePair kImportMapping[] = {
    {"__builtin__", "builtins"}, {"copy_reg", "copyreg"}, {"Queue", "queue"}, {"SocketServer", "socketserver"},
    {"ConfigParser", "configparser"}, {"repr", "reprlib"}, {"tkFileDialog", "tkinter.filedialog"},
    {"tkSimpleDialog", "tkinter.simpledialog"}, {"tkColorChooser", "tkinter.colorchooser"},
    {"tkCommonDialog", "tkinter.commondialog"}, {"Dialog", "tkinter.dialog"}, {"Tkdnd", "tkinter.dnd"},
    {"tkFont", "tkinter.font"}, {"tkMessageBox", "tkinter.messagebox"}, {"ScrolledText", "tkinter.scrolledtext"},
    {"Tkconstants", "tkinter.constants"}, {"Tix", "tkinter.tix"}, {"ttk", "tkinter.ttk"}, {"Tkinter", "tkinter"},
    {"markupbase", "_markupbase"}, {"_winreg", "winreg"}, {"thread", "_thread"}, {"dummy_thread", "_dummy_thread"},
    {"dbhash", "dbm.bsd"}, {"dumbdbm", "dbm.dumb"}, {"dbm", "dbm.ndbm"}, {"gdbm", "dbm.gnu"},
    {"xmlrpclib", "xmlrpc.client"}, {"SimpleXMLRPCServer", "xmlrpc.server"}, {"httplib", "http.client"},
    {"htmlentitydefs", "html.entities"}, {"HTMLParser", "html.parser"}, {"Cookie", "http.cookies"},
    {"cookielib", "http.cookiejar"}, {"BaseHTTPServer", "http.server"}, {"test.test_support", "test.support"},
    {"commands", "subprocess"}, {"urlparse", "urllib.parse"}, {"robotparser", "urllib.robotparser"},
    {"urllib2", "urllib.request"}, {"anydbm", "dbm"}, {"_abcoll", "collections.abc"}, {"cPickle", "pickle"},
    {"_elementtree", "xml.etree.ElementTree"}, {"FileDialog", "tkinter.filedialog"},
    {"SimpleDialog", "tkinter.simpledialog"}, {"DocXMLRPCServer", "xmlrpc.server"},
    {"SimpleHTTPServer", "http.server"}, {"CGIHTTPServer", "http.server"}, {"UserDict", "collections"},
    {"UserList", "collections"}, {"UserString", "collections"}, {"whichdb", "dbm"}, {"StringIO", "io"},
    {"cStringIO", "io"},
};

// (module, name) pairs that moved to another name, not just another module.
constexpr NamePair kNameMapping[] = {
    {"__builtin__.xrange", "builtins.range"}, {"__builtin__.reduce", "functools.reduce"},
    {"__builtin__.intern", "sys.intern"}, {"__builtin__.unichr", "builtins.chr"},
    {"__builtin__.unicode", "builtins.str"}, {"__builtin__.long", "builtins.int"},
    {"__builtin__.basestring", "builtins.str"}, {"itertools.izip", "builtins.zip"},
    {"itertools.imap", "builtins.map"}, {"itertools.ifilter", "builtins.filter"},
    {"itertools.ifilterfalse", "itertools.filterfalse"}, {"itertools.izip_longest", "itertools.zip_longest"},
    {"UserDict.IterableUserDict", "collections.UserDict"}, {"UserList.UserList", "collections.UserList"},
    {"UserString.UserString", "collections.UserString"}, {"whichdb.whichdb", "dbm.whichdb"},
    {"_socket.fromfd", "socket.fromfd"}, {"_multiprocessing.Connection", "multiprocessing.connection.Connection"},
    {"multiprocessing.process.Process", "multiprocessing.context.Process"},
    {"multiprocessing.forking.Popen", "multiprocessing.popen_fork.Popen"},
    {"multiprocessing.AuthenticationError", "multiprocessing.context.AuthenticationError"},
    {"multiprocessing.BufferTooShort", "multiprocessing.context.BufferTooShort"},
    {"multiprocessing.ProcessError", "multiprocessing.context.ProcessError"},
    {"multiprocessing.TimeoutError", "multiprocessing.context.TimeoutError"},
    {"urllib.ContentTooShortError", "urllib.error.ContentTooShortError"},
    {"urllib.getproxies", "urllib.request.getproxies"}, {"urllib.pathname2url", "urllib.request.pathname2url"},
    {"urllib.quote_plus", "urllib.parse.quote_plus"}, {"urllib.quote", "urllib.parse.quote"},
    {"urllib.unquote_plus", "urllib.parse.unquote_plus"}, {"urllib.unquote", "urllib.parse.unquote"},
    {"urllib.url2pathname", "urllib.request.url2pathname"}, {"urllib.urlcleanup", "urllib.request.urlcleanup"},
    {"urllib.urlencode", "urllib.parse.urlencode"}, {"urllib.urlopen", "urllib.request.urlopen"},
    {"urllib.urlretrieve", "urllib.request.urlretrieve"}, {"urllib2.HTTPError", "urllib.error.HTTPError"},
    {"urllib2.URLError", "urllib.error.URLError"}, {"UserDict.UserDict", "collections.UserDict"},
    {"socket._socketobject", "socket.SocketType"}, {"exceptions.StandardError", "builtins.Exception"},
};

}  // namespace

// "module.name" as torch.load looks it up.
QString qualifiedGlobalName(const QString& module, const QString& name, int protocol)
{
    QString qualified = module + u'.' + name;
    if (protocol < 3) {
        for (const NamePair& pair : kNameMapping) {
            if (qualified == QLatin1String(pair.from))
                return QLatin1String(pair.to);
        }
        QString renamed = module == QLatin1String("exceptions") ? QStringLiteral("builtins") : module;
        for (const NamePair& pair : kImportMapping) {
            if (module == QLatin1String(pair.from)) {
                renamed = QLatin1String(pair.to);
                break;
            }
        }
        qualified = renamed + u'.' + name;
    }
    // torch's own rename (load_module_mapping), whatever the protocol: pre-1.8 files name
    // `torch.tensor._rebuild_from_type_v2`.
    if (qualified.startsWith(QLatin1String("torch.tensor.")))
        qualified.replace(0, 12, QStringLiteral("torch._tensor"));
    return qualified;
}

}  // namespace statelens
