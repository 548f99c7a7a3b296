// `devices --json` and `archs --json` of the CLI contract (docs/cli.md): what this installation's
// libtorch offers.
#pragma once

#include "core/runtime/torch_runtime.h"

#include <QByteArray>
#include <QStringList>

namespace statelens {

QByteArray devicesJsonText(const QString& libtorchVersion, const QVector<DeviceInfo>& devices);
// sources: one line per other kind of architecture the match verbs accept (files, references).
QByteArray architecturesJsonText(const QVector<TorchRuntime::ArchitectureEntry>& builtIn, const QStringList& sources);

}  // namespace statelens
