#include "cli_commands.h"

#include "text_table.h"

#include "core/checkpoint_reader.h"
#include "core/display_format.h"
#include "core/json_output.h"
#include "core/torch_runtime.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <cstdio>

namespace statelens::cli {

namespace {

void writeOut(const QString& text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
}

void writeJson(const QJsonObject& object)
{
    const QByteArray bytes = QJsonDocument(object).toJson(QJsonDocument::Indented);
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
}

// Parses `VERB FILE [--json]`; returns false (after printing why) on a usage error.
bool parseFileArguments(const QStringList& arguments, const QString& verb, QString* file, bool* json)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("statelens-cli %1").arg(verb));
    parser.addPositionalArgument(QStringLiteral("verb"), verb);
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("checkpoint, shard index or folder"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("print one JSON document"));
    parser.addOption(jsonOption);
    if (!parser.parse(arguments)) {
        printError(parser.errorText());
        return false;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2) {
        printError(QStringLiteral("usage: statelens-cli %1 FILE [--json]").arg(verb));
        return false;
    }
    *file = positional[1];
    *json = parser.isSet(jsonOption);
    return true;
}

QString notesFor(const TensorInfo& tensor, const Checkpoint& checkpoint)
{
    QStringList notes;
    if (tensor.layout != Layout::Strided)
        notes.append(layoutName(tensor.layout));
    if (tensor.viewOf >= 0)
        notes.append(QStringLiteral("view of %1").arg(checkpoint.tensors[tensor.viewOf].name));
    else if (tensor.storage >= 0 && !tensor.isContiguous())
        notes.append(QStringLiteral("strided"));
    if (tensor.device != QLatin1String("cpu"))
        notes.append(QStringLiteral("saved on %1").arg(tensor.device));
    if (tensor.quantization.scheme != QScheme::None)
        notes.append(qschemeName(tensor.quantization.scheme));
    if (!tensor.subclass.isEmpty())
        notes.append(tensor.subclass);
    return notes.join(QStringLiteral(", "));
}

// `VERB FILE [--json]`: parses the arguments and opens FILE. Null (after printing why) on failure.
CheckpointPtr openFromArguments(const QStringList& arguments, const QString& verb, QString* file, bool* json)
{
    if (!parseFileArguments(arguments, verb, file, json))
        return nullptr;
    auto checkpoint = openCheckpoint(*file);
    if (!checkpoint) {
        printError(checkpoint.error().toString());
        return nullptr;
    }
    return *checkpoint;
}

QString unsafeWarning(const Checkpoint& checkpoint)
{
    if (checkpoint.unsafeGlobals.isEmpty())
        return {};
    return QStringLiteral("\nWARNING: the pickle names %1 global(s) outside the allow list (nothing was run): %2\n")
        .arg(checkpoint.unsafeGlobals.size())
        .arg(checkpoint.unsafeGlobals.join(QStringLiteral(", ")));
}

}  // namespace

void printError(const QString& message)
{
    const QByteArray bytes = (QStringLiteral("statelens-cli: ") + message + u'\n').toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
}

int runList(const QStringList& arguments)
{
    QString file;
    bool json = false;
    const CheckpointPtr opened = openFromArguments(arguments, QStringLiteral("ls"), &file, &json);
    if (!opened)
        return 2;
    const Checkpoint& checkpoint = *opened;
    if (json) {
        const QByteArray text = listingJsonText(checkpoint, file);
        std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
        return 0;
    }
    using Align = TextTable::Align;
    TextTable table;
    table.setHeader({QStringLiteral("NAME"), QStringLiteral("DTYPE"), QStringLiteral("SHAPE"), QStringLiteral("PARAMS"),
                     QStringLiteral("SIZE"), QStringLiteral("NOTES")},
                    {Align::Left, Align::Left, Align::Left, Align::Right, Align::Right, Align::Left});
    for (const TensorInfo& tensor : checkpoint.tensors) {
        table.addRow({tensor.name.isEmpty() ? QStringLiteral("<root>") : tensor.name, dtypeName(tensor.dtype),
                      formatShape(tensor.shape), formatCount(tensor.numel()), formatBytes(tensor.nbytes()),
                      notesFor(tensor, checkpoint)});
    }
    writeOut(table.render());
    writeOut(QStringLiteral("\n%1 tensors, %2 parameters, %3 (%4)\n")
                 .arg(formatCount(checkpoint.tensors.size()), formatCount(checkpoint.totalNumel()),
                      formatBytes(checkpoint.totalNbytes()), formatName(checkpoint.format)));
    writeOut(unsafeWarning(checkpoint));
    return 0;
}

int runInfo(const QStringList& arguments)
{
    QString file;
    bool json = false;
    const CheckpointPtr opened = openFromArguments(arguments, QStringLiteral("info"), &file, &json);
    if (!opened)
        return 2;
    const Checkpoint& checkpoint = *opened;
    if (json) {
        writeJson(summaryJson(checkpoint, file));
        return 0;
    }
    QString out;
    QTextStream stream(&out);
    stream << "File:        " << file << '\n'
           << "Format:      " << formatName(checkpoint.format) << " (" << checkpoint.formatDetail << ")\n"
           << "Tensors:     " << formatCount(checkpoint.tensors.size()) << '\n'
           << "Parameters:  " << formatCount(checkpoint.totalNumel()) << '\n'
           << "Bytes:       " << formatBytes(checkpoint.totalNbytes()) << " in tensors, "
           << formatBytes(checkpoint.distinctStorageBytes()) << " in " << checkpoint.storages.size() << " storages\n";
    stream << "By dtype:\n";
    for (const auto& [dtype, bytes] : bytesPerDtype(checkpoint))
        stream << "  " << dtype.leftJustified(16) << formatBytes(bytes) << '\n';
    if (!checkpoint.candidates.isEmpty()) {
        stream << "State dicts:\n";
        for (const CandidateStateDict& candidate : checkpoint.candidates) {
            stream << "  " << (candidate.path.isEmpty() ? QStringLiteral("<root>") : candidate.path).leftJustified(32) << ' '
                   << candidate.kind.leftJustified(11) << QStringLiteral("%1 tensors, %2 (%3%)")
                          .arg(formatCount(candidate.tensorCount), formatBytes(candidate.nbytes))
                          .arg(candidate.share * 100.0, 0, 'f', 1)
                   << '\n';
        }
    }
    if (!checkpoint.metadata.isEmpty()) {
        stream << "Metadata:\n";
        for (const auto& [key, value] : checkpoint.metadata)
            stream << "  " << key << ": " << value.left(200) << '\n';
    }
    stream << "Unsafe globals: "
           << (checkpoint.unsafeGlobals.isEmpty() ? QStringLiteral("none") : checkpoint.unsafeGlobals.join(QStringLiteral(", "))) << '\n';
    for (const QString& warning : checkpoint.warnings)
        stream << "Warning: " << warning << '\n';
    stream.flush();
    writeOut(out);
    return 0;
}

int runDevices(const QStringList& arguments)
{
    const bool json = arguments.contains(QStringLiteral("--json"));
    auto version = TorchRuntime::instance().libtorchVersion();
    if (!version) {
        printError(version.error().toString());
        return 2;
    }
    auto devices = TorchRuntime::instance().devices();
    if (!devices) {
        printError(devices.error().toString());
        return 2;
    }
    if (json) {
        QJsonArray list;
        for (const DeviceInfo& device : *devices)
            list.append(QJsonObject{{QStringLiteral("id"), device.id}, {QStringLiteral("name"), device.name},
                                    {QStringLiteral("memory"), device.memoryBytes}});
        writeJson(QJsonObject{{QStringLiteral("libtorch"), *version}, {QStringLiteral("devices"), list}});
        return 0;
    }
    writeOut(QStringLiteral("libtorch %1\n").arg(*version));
    for (const DeviceInfo& device : *devices)
        writeOut(QStringLiteral("%1  %2\n").arg(device.id.leftJustified(8), device.name));
    return 0;
}

bool parseKeyEdits(const QStringList& renames, const QStringList& ties, QVector<KeyEdit>* edits)
{
    auto parse = [edits](const QStringList& values, bool copy, const char* option) {
        for (const QString& value : values) {
            const int equals = value.indexOf(u'=');
            if (equals <= 0 || equals == value.size() - 1) {
                printError(QStringLiteral("--%1 takes FROM=TO, not '%2'").arg(QLatin1String(option), value));
                return false;
            }
            edits->append(KeyEdit{value.left(equals), value.mid(equals + 1), copy});
        }
        return true;
    };
    return parse(renames, false, "rename") && parse(ties, true, "tie");
}

}  // namespace statelens::cli
