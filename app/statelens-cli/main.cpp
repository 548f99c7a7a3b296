// statelens-cli: list, inspect and check PyTorch checkpoints from scripts.
#include "cli_commands.h"

#include <QCoreApplication>

#include <cstdio>
#include <utility>

using namespace statelens::cli;

namespace {

const char kUsage[] =
    "usage: statelens-cli VERB [ARGS]\n"
    "  --version                 print the version\n"
    "  ls FILE [--json]          list every tensor: name, dtype, shape, size, storage\n"
    "  info FILE [--json]        summary: format, counts, bytes per dtype, state dicts, unsafe globals\n"
    "  devices [--json]          the compute devices libtorch offers (loads libtorch)\n"
    "  stats FILE [--json] [--bins N] [--device DEV] [--filter REGEX] [--group PREFIX]...\n"
    "                            min, max, mean, std, NaN/Inf/zero counts and a histogram per tensor;\n"
    "                            --group adds one aggregate over a module subtree; --engine torch\n"
    "                            computes with libtorch's own operators (a cross-check)\n"
    "  match FILE --arch ARCH [--strict | --lenient] [--key PATH] [--strip-prefix P]... [--add-prefix P] [--json]\n"
    "                            would load_state_dict accept it? torch's exact error, causes, fixes;\n"
    "                            exit 1 when it would not load\n"
    "  load FILE --arch ARCH [--strict | --lenient] [--device DEV] [--key PATH] [--strip-prefix P]... [--json]\n"
    "                            load it into the model on DEV, eval(), one forward pass on zeros\n"
    "  archs [--json]            the built-in architectures and their options (loads libtorch)\n"
    "  export FILE OUT [--format pt|safetensors] [--key PATH] [--strip-prefix P]... [--add-prefix P]\n"
    "                [--arch ARCH --lenient] [--snippet] [--json]\n"
    "                            write the (re-rooted, re-prefixed, matched-only) state dict; atomic,\n"
    "                            never over an input; --snippet prints the same key map in Python\n"
    "  scan FILE [--json]        every global the pickle names, the unsafe ones, and what\n"
    "                            torch.load(weights_only=True) would do; exit 1 when any is unsafe\n"
    "  diff A B [--json] [--device DEV] [--key-a PATH] [--key-b PATH] [--strip-prefix-a P]... [--strip-prefix-b P]... [--all]\n"
    "                            per tensor same, changed, shape_changed, dtype_changed, only_a or only_b,\n"
    "                            with max/mean |a-b|, relative L2 and cosine; exit 1 when anything differs\n"
    "ARCH: a built-in name (resnet18:num_classes=10), a TorchScript or .pt2 file, a JSON spec, or\n"
    "      ref:CHECKPOINT (any readable checkpoint).\n"
    "FILE: a torch.save file (zip or legacy), TorchScript, .pt2, .safetensors, a shard index or its folder.\n";

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("statelens-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(STATELENS_VERSION));
    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2 || arguments[1] == QLatin1String("--help") || arguments[1] == QLatin1String("-h")) {
        std::fputs(kUsage, arguments.size() < 2 ? stderr : stdout);
        return arguments.size() < 2 ? 2 : 0;
    }
    const QString verb = arguments[1];
    if (verb == QLatin1String("--version")) {
        std::printf("statelens-cli %s (Qt %s; libtorch is loaded only by the verbs that compute)\n", STATELENS_VERSION, qVersion());
        return 0;
    }
    QStringList verbArguments = arguments.mid(1);
    verbArguments.prepend(arguments[0]);
    using Verb = int (*)(const QStringList&);
    static const std::pair<const char*, Verb> verbs[] = {
        {"ls", runList}, {"info", runInfo}, {"devices", runDevices}, {"stats", runStats},
        {"archs", runArchs}, {"match", runMatch}, {"load", runLoad}, {"export", runExport},
        {"scan", runScan}, {"diff", runDiff}};
    for (const auto& [name, run] : verbs) {
        if (verb == QLatin1String(name))
            return run(verbArguments);
    }
    printError(QStringLiteral("unknown verb '%1'").arg(verb));
    std::fputs(kUsage, stderr);
    return 2;
}
