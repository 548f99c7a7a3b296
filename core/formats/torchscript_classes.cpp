#include "core/formats/torchscript_classes.h"

#include "core/formats/zip_archive.h"

#include <QRegularExpression>

namespace statelens {

namespace {

constexpr qint64 kMaxCodeBytes = 256ll << 20;  // all code records together

// `__parameters__ = ["weight", "bias", ]` -> {"weight", "bias"}
QStringList parseNameList(QStringView line)
{
    QStringList names;
    const qsizetype open = line.indexOf(u'[');
    const qsizetype close = line.lastIndexOf(u']');
    if (open < 0 || close < open)
        return names;
    const QStringView body = line.mid(open + 1, close - open - 1);
    for (QStringView item : body.split(u',')) {
        item = item.trimmed();
        if (item.size() >= 2 && (item.front() == u'"' || item.front() == u'\'') && item.back() == item.front())
            names.append(item.mid(1, item.size() - 2).toString());
    }
    return names;
}

}  // namespace

void parseScriptSource(const QString& moduleName, const QString& source, ScriptClasses* classes)
{
    static const QRegularExpression classLine(QStringLiteral(R"(^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*:)"));
    ScriptClass* current = nullptr;
    const auto lines = QStringView(source).split(u'\n');
    for (QStringView line : lines) {
        if (line.startsWith(u"class ")) {
            const auto match = classLine.match(line.toString());
            if (!match.hasMatch()) {
                current = nullptr;
                continue;
            }
            ScriptClass& entry = (*classes)[moduleName + u'.' + match.captured(1)];
            entry.isModule = match.captured(2).contains(QStringLiteral("Module"));
            current = &entry;
            continue;
        }
        if (!current)
            continue;
        const QStringView trimmed = line.trimmed();
        if (trimmed.startsWith(u"__parameters__"))
            current->parameters = parseNameList(trimmed);
        else if (trimmed.startsWith(u"__buffers__"))
            current->buffers = parseNameList(trimmed);
    }
}

Result<ScriptClasses> readScriptClasses(const ZipArchive& zip, const QString& prefix)
{
    ScriptClasses classes;
    const QString codeFolder = prefix + QStringLiteral("/code/");
    qint64 budget = kMaxCodeBytes;
    const auto& entries = zip.entries();
    for (int i = 0; i < int(entries.size()); ++i) {
        const QString& name = entries[size_t(i)].name;
        if (!name.startsWith(codeFolder) || !name.endsWith(QLatin1String(".py")))
            continue;
        auto bytes = zip.read(i, budget);
        if (!bytes)
            return bytes.error();
        budget -= bytes->size();
        // code/__torch__/torch/nn/modules/conv.py -> __torch__.torch.nn.modules.conv
        QString module = name.mid(codeFolder.size());
        module.chop(3);
        module.replace(u'/', u'.');
        parseScriptSource(module, QString::fromUtf8(*bytes), &classes);
    }
    return classes;
}

}  // namespace statelens
