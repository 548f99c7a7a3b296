#include "app/statelens-cli/verb_table.h"

#include "app/statelens-cli/cli_commands.h"

#include <QRegularExpression>

namespace statelens::cli {

const std::vector<Verb>& verbs()
{
    // Each synopsis must equal its line in docs/cli.md (tst_cli_contract): change both together.
    static const std::vector<Verb> table = {
        {"ls", "ls FILE [--json]", "list every tensor: name, dtype, shape, size, storage", runList},
        {"info", "info FILE [--json]", "summary: format, counts, bytes per dtype, state dicts, unsafe globals", runInfo},
        {"devices", "devices [--json]", "the compute devices libtorch offers (loads libtorch)", runDevices},
        {"stats",
         "stats FILE [--json] [--bins N] [--device DEV] [--filter REGEX] [--group PREFIX]... [--engine fused|torch] [--threads N]",
         "min, max, mean, std, NaN/Inf/zero counts and a histogram per tensor;\n"
         "--group adds one aggregate over a module subtree; --engine torch\n"
         "computes with libtorch's own operators (a cross-check)",
         runStats},
        {"archs", "archs [--json]", "the built-in architectures and their options (loads libtorch)", runArchs},
        {"match",
         "match FILE --arch ARCH [--strict | --lenient] [--key PATH] [--strip-prefix P]... [--add-prefix P] "
         "[--rename FROM=TO]... [--tie FROM=TO]... [--json]",
         "would load_state_dict accept it? torch's exact error, causes, fixes;\n"
         "exit 1 when it would not load",
         runMatch},
        {"load",
         "load FILE --arch ARCH [--strict | --lenient] [--device DEV] [--key PATH] [--strip-prefix P]... [--add-prefix P] "
         "[--rename FROM=TO]... [--tie FROM=TO]... [--json]",
         "load it into the model on DEV, eval(), one forward pass on zeros;\n"
         "exit 1 when nothing was loaded",
         runLoad},
        {"export",
         "export FILE OUT [--format pt|safetensors] [--key PATH] [--strip-prefix P]... [--add-prefix P] "
         "[--rename FROM=TO]... [--tie FROM=TO]... [--arch ARCH --lenient] [--snippet] [--json]",
         "write the (re-rooted, re-prefixed, matched-only) state dict; atomic,\n"
         "never over an input; --snippet prints the same key map in Python",
         runExport},
        {"diff",
         "diff A B [--json] [--device DEV] [--key PATH] [--key-a PATH] [--key-b PATH] [--strip-prefix P]... "
         "[--strip-prefix-a P]... [--strip-prefix-b P]... [--all] [--engine fused|torch] [--threads N]",
         "per tensor same, changed, shape_changed, dtype_changed, only_a or only_b,\n"
         "with max/mean |a-b|, relative L2 and cosine; exit 1 when anything differs",
         runDiff},
        {"scan", "scan FILE [--json]",
         "every global the pickle names, the unsafe ones, and what\n"
         "torch.load(weights_only=True) would do; exit 1 when any is unsafe",
         runScan},
    };
    return table;
}

const Verb* findVerb(const QString& name)
{
    for (const Verb& verb : verbs()) {
        if (name == QLatin1String(verb.name))
            return &verb;
    }
    return nullptr;
}

QString glossaryFor(const QString& synopsis)
{
    static const std::pair<const char*, const char*> glossary[] = {
        {"FILE", "FILE: a torch.save file (zip, legacy or 0.1.x tar), TorchScript, .pt2, .safetensors, a shard index\n"
                 "      or its folder."},
        {"A", "A, B: the two checkpoints compared, each anything a FILE can be."},
        {"OUT", "OUT:  the file to write; never one of the inputs."},
        {"ARCH", "ARCH: a built-in name (resnet18:num_classes=10), a TorchScript or .pt2 file, a JSON spec, or\n"
                 "      ref:CHECKPOINT (any readable checkpoint)."},
        {"DEV", "DEV:  cpu, cuda, cuda:N or mps."},
    };
    // The placeholders are whole upper-case words: "A" in "diff A B", never the A of "ARCH".
    static const QRegularExpression separators(QStringLiteral("[\\s\\[\\]|]+"));
    const QStringList words = synopsis.split(separators, Qt::SkipEmptyParts);
    QString text;
    for (const auto& [word, line] : glossary) {
        if (synopsis.isEmpty() || words.contains(QLatin1String(word)))
            text += QLatin1String(line) + u'\n';
    }
    return text;
}

}  // namespace statelens::cli
