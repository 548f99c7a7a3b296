#include "core/runtime/device_check.h"

#include "core/runtime/torch_runtime.h"

#include <QRegularExpression>

namespace statelens {

Status checkDeviceAvailable(const QString& device)
{
    static const QRegularExpression spelling(QStringLiteral("^(cpu|mps|cuda(:[0-9]{1,4})?)$"));
    if (!spelling.match(device).hasMatch())
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("unknown device '%1': expected cpu, cuda, cuda:N or mps").arg(device));
    if (device == QLatin1String("cpu"))
        return Ok{};  // the fused CPU pass needs no libtorch
    return TorchRuntime::instance().checkDevice(device);
}

}  // namespace statelens
