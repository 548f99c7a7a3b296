#include "tests/support/torch_rows.h"

#include "core/runtime/torch_runtime.h"

namespace statelens::test {

bool torchRowsWanted()
{
#ifdef STATELENS_TEST_WITH_TORCH
    return true;
#else
    return TorchRuntime::instance().load().ok();
#endif
}

QVector<DeviceRow> unavailableDeviceRows()
{
    QVector<DeviceRow> rows{{QStringLiteral("misspelt"), QStringLiteral("gpu"), QStringLiteral("expected cpu, cuda, cuda:N or mps"), false}};
    const QString notAvailable = QStringLiteral("is not available");
    const auto devices = TorchRuntime::instance().devices();
    int cuda = 0;
    bool mps = false;
    if (devices) {
        for (const DeviceInfo& device : devices.value()) {
            cuda += device.id.startsWith(QLatin1String("cuda:")) ? 1 : 0;
            mps = mps || device.id == QLatin1String("mps");
        }
    }
    if (cuda == 0) {
        rows.append({QStringLiteral("cuda, none offered"), QStringLiteral("cuda"), notAvailable});
        rows.append({QStringLiteral("cuda:3, none offered"), QStringLiteral("cuda:3"), notAvailable});
    } else {
        const QString pastLast = QStringLiteral("cuda:%1").arg(cuda);
        rows.append({QStringLiteral("%1, one past the last device").arg(pastLast), pastLast, notAvailable});
    }
    if (devices && !mps)
        rows.append({QStringLiteral("mps, not offered"), QStringLiteral("mps"), notAvailable});
    return rows;
}

}  // namespace statelens::test
