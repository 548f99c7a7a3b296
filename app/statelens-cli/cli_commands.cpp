#include "app/statelens-cli/cli_commands.h"

#include "app/statelens-cli/text_table.h"
#include "app/statelens-cli/verb_parser.h"

#include "core/base/display_format.h"
#include "core/formats/checkpoint_reader.h"
#include "core/report/checkpoint_json.h"
#include "core/report/environment_json.h"
#include "core/runtime/torch_runtime.h"

#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>

#include <cstdio>

namespace statelens::cli {

namespace {

void writeOut(const QString& text)
{
    writeText(stdout, text);
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
    if (tensor.kind == TensorKind::Array)
        notes.append(QStringLiteral("NumPy %1").arg(tensor.numpyDtype));
    if (tensor.origin == TensorOrigin::Attribute)
        notes.append(QStringLiteral("attribute (not in state_dict)"));
    return notes.join(QStringLiteral(", "));
}

// ", 6 of them module attributes (not in state_dict)" when a pickled module holds tensors
// outside its state dict.
QString attributeNote(const Checkpoint& checkpoint)
{
    const qsizetype attributes = std::count_if(checkpoint.tensors.cbegin(), checkpoint.tensors.cend(),
                                               [](const TensorInfo& tensor) { return tensor.origin == TensorOrigin::Attribute; });
    return attributes ? QStringLiteral(", %1 of them module attributes (not in state_dict)").arg(formatCount(attributes)) : QString();
}

// `VERB FILE [--json]`: parses the arguments and opens FILE. Null when the verb stops (--help, a
// usage error, an unreadable file), with *exitCode set.
CheckpointPtr openFromArguments(const QStringList& arguments, const QString& verb, QString* file, bool* json, int* exitCode)
{
    QStringList positional;
    if (const Stop stop = parseJsonVerb(arguments, verb, &positional, json)) {
        *exitCode = *stop;
        return nullptr;
    }
    *file = positional[0];
    auto checkpoint = openCheckpoint(*file);
    if (!checkpoint) {
        printError(checkpoint.error().toString());
        *exitCode = 2;
        return nullptr;
    }
    return *checkpoint;
}

QString unsafeWarning(const Checkpoint& checkpoint)
{
    QString text;
    if (!checkpoint.unsafeGlobals.isEmpty())
        text += QStringLiteral("\nWARNING: the pickle names %1 global(s) outside the allow list (nothing was run): %2\n")
                    .arg(checkpoint.unsafeGlobals.size())
                    .arg(checkpoint.unsafeGlobals.join(QStringLiteral(", ")));
    if (!checkpoint.readingDifferences.isEmpty())
        text += QStringLiteral("\nWARNING: a pickle reads differently in different unpicklers (statelens-cli scan says where): "
                               "what torch.load runs may not be what is listed\n");
    return text;
}

}  // namespace

void printError(const QString& message)
{
    writeText(stderr, QStringLiteral("statelens-cli: ") + message + u'\n');
}

void writeText(FILE* stream, const QString& text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
}

void writeBytes(const QByteArray& bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
}

int runList(const QStringList& arguments)
{
    QString file;
    bool json = false;
    int exitCode = 0;
    const CheckpointPtr opened = openFromArguments(arguments, QStringLiteral("ls"), &file, &json, &exitCode);
    if (!opened)
        return exitCode;
    const Checkpoint& checkpoint = *opened;
    if (json) {
        writeBytes(listingJsonText(checkpoint, file));
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
    int exitCode = 0;
    const CheckpointPtr opened = openFromArguments(arguments, QStringLiteral("info"), &file, &json, &exitCode);
    if (!opened)
        return exitCode;
    const Checkpoint& checkpoint = *opened;
    if (json) {
        writeBytes(QJsonDocument(summaryJson(checkpoint, file)).toJson(QJsonDocument::Indented));
        return 0;
    }
    QString out;
    QTextStream stream(&out);
    stream << "File:        " << file << '\n'
           << "Format:      " << formatName(checkpoint.format) << " (" << checkpoint.formatDetail << ")\n"
           << "Tensors:     " << formatCount(checkpoint.tensors.size()) << attributeNote(checkpoint) << '\n'
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
    QStringList positional;
    bool json = false;
    if (const Stop stop = parseJsonVerb(arguments, QStringLiteral("devices"), &positional, &json))
        return *stop;
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
        writeBytes(devicesJsonText(*version, *devices));
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
