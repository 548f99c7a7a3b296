#include "core/match/architecture_sources.h"

#include "core/formats/checkpoint_reader.h"
#include "core/match/state_dict_view.h"
#include "core/runtime/torch_runtime.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace statelens {

namespace {

// 1-based line and column of a byte offset, for JSON errors.
QString positionOf(const QByteArray& text, int offset)
{
    int line = 1, column = 1;
    for (int i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return QStringLiteral("line %1, column %2").arg(line).arg(column);
}

Result<Architecture> fromCheckpointLayout(const QString& path, const QString& id, bool reference)
{
    auto opened = openCheckpoint(path);
    if (!opened)
        return opened.error();
    const Checkpoint& checkpoint = **opened;
    Architecture architecture;
    architecture.id = id;
    if (reference) {
        architecture.source = QStringLiteral("reference checkpoint");
        architecture.modelClass = QFileInfo(path).fileName();
    } else if (checkpoint.format == Format::TorchScript) {
        architecture.source = QStringLiteral("torchscript");
        // torch.jit.load gives a RecursiveScriptModule; load_state_dict names that class.
        architecture.modelClass = QStringLiteral("RecursiveScriptModule");
    } else if (checkpoint.format == Format::TorchExport) {
        architecture.source = QStringLiteral("pt2");
        architecture.modelClass = QStringLiteral("GraphModule");
    } else {
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("%1 is a %2 checkpoint, not a model: use ref:%1 to match against its layout")
                             .arg(path, formatName(checkpoint.format)));
    }
    auto view = selectStateDict(checkpoint, QString());
    if (!view)
        return view.error();
    for (const StateDictEntry& entry : view->entries) {
        const TensorInfo& tensor = checkpoint.tensors[entry.tensor];
        architecture.tensors.append({entry.key, tensor.shape, tensor.dtype});
    }
    if (architecture.tensors.isEmpty())
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1 describes no parameters or buffers").arg(path));
    return architecture;
}

}  // namespace

Result<Architecture> parseArchitectureSpec(const QByteArray& json, const QString& id)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: %2 at %3")
                                                 .arg(id, parseError.errorString(), positionOf(json, parseError.offset)));
    if (!document.isObject())
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: the spec must be a JSON object").arg(id));
    const QJsonObject root = document.object();
    Architecture architecture;
    architecture.id = id;
    architecture.source = QStringLiteral("json-spec");
    architecture.modelClass = root.value(QStringLiteral("model")).toString(QFileInfo(id).completeBaseName());
    const QJsonValue modules = root.value(QStringLiteral("modules"));
    if (!modules.isUndefined()) {
        if (!modules.isArray())
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: \"modules\" must be a list of names").arg(id));
        const QJsonArray list = modules.toArray();
        for (int i = 0; i < list.size(); ++i) {
            if (!list[i].isString())
                return makeError(ErrorCode::Corrupt, QStringLiteral("%1: modules[%2] is not a string").arg(id).arg(i));
            architecture.modules.append(list[i].toString());
        }
    }
    const QJsonValue tensors = root.value(QStringLiteral("tensors"));
    if (!tensors.isArray())
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: \"tensors\" must be a list of [name, shape, dtype]").arg(id));
    const QJsonArray list = tensors.toArray();
    for (int i = 0; i < list.size(); ++i) {
        const QJsonArray entry = list[i].toArray();
        auto fail = [&](const QString& why) {
            return makeError(ErrorCode::Corrupt, QStringLiteral("%1: tensors[%2]: %3").arg(id).arg(i).arg(why));
        };
        if (!list[i].isArray() || entry.size() < 2 || entry.size() > 3 || !entry[0].isString() || !entry[1].isArray())
            return fail(QStringLiteral("expected [name, shape, dtype]"));
        ExpectedTensor tensor;
        tensor.name = entry[0].toString();
        if (tensor.name.isEmpty())
            return fail(QStringLiteral("empty name"));
        for (const QJsonValue& size : entry[1].toArray()) {
            const double value = size.toDouble(-1);
            if (!size.isDouble() || value < 0 || value != double(qint64(value)))
                return fail(QStringLiteral("the shape must hold non-negative integers"));
            tensor.shape.append(qint64(value));
        }
        qint64 numel = 0;
        if (!checkedNumel(tensor.shape, &numel))
            return fail(QStringLiteral("the shape overflows"));
        if (entry.size() == 3) {
            tensor.dtype = dtypeFromName(entry[2].toString());
            if (tensor.dtype == DType::Unknown)
                return fail(QStringLiteral("unknown dtype '%1'").arg(entry[2].toString()));
        }
        architecture.tensors.append(tensor);
    }
    if (architecture.tensors.isEmpty())
        return makeError(ErrorCode::Corrupt, QStringLiteral("%1: the spec lists no tensors").arg(id));
    return architecture;
}

Result<Architecture> loadArchitecture(const QString& spec)
{
    if (spec.startsWith(QLatin1String("ref:")))
        return fromCheckpointLayout(spec.mid(4), spec, true);
    const QFileInfo file(spec);
    if (file.isFile() && spec.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) {
        QFile input(spec);
        if (!input.open(QIODevice::ReadOnly))
            return makeError(ErrorCode::Io, QStringLiteral("%1: %2").arg(spec, input.errorString()));
        constexpr qint64 kMaxSpecBytes = qint64(64) << 20;
        if (input.size() > kMaxSpecBytes)
            return makeError(ErrorCode::LimitExceeded, QStringLiteral("%1: a spec over 64 MiB is not an architecture").arg(spec));
        return parseArchitectureSpec(input.readAll(), spec);
    }
    if (file.exists())
        return fromCheckpointLayout(spec, spec, false);
    // A built-in name: the zoo lives in the libtorch module.
    auto builtIn = TorchRuntime::instance().describeArchitecture(spec);
    if (!builtIn && !TorchRuntime::instance().isLoaded())
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("unknown architecture '%1': built-in models need the libtorch module (%2); "
                                        "give a TorchScript or .pt2 file, a JSON spec or ref:CHECKPOINT")
                             .arg(spec, builtIn.error().message));
    if (!builtIn && builtIn.error().message.startsWith(QLatin1String("unknown architecture")))
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("%1; or give a TorchScript or .pt2 file, a JSON spec (see README) or ref:CHECKPOINT")
                             .arg(builtIn.error().message));
    if (!builtIn)
        return makeError(ErrorCode::Unsupported, QStringLiteral("%1: %2").arg(spec, builtIn.error().message));
    return builtIn;
}

}  // namespace statelens
