#include "ui/device_selector.h"

#include "core/base/display_format.h"
#include "core/runtime/torch_runtime.h"

#include <QAbstractItemView>
#include <QStandardItemModel>

namespace statelens::ui {

// What the enumeration learned: the devices beside the CPU, or why there are none.
struct DeviceSelector::Found {
    QVector<DeviceInfo> devices;
    QString whyOnlyCpu;  // empty when another device was found
};

DeviceSelector::DeviceSelector(QWidget* parent) : QComboBox(parent)
{
    setToolTip(tr("Where statistics and model loads run"));
    addItem(tr("CPU"), QStringLiteral("cpu"));
    connect(this, &QComboBox::currentIndexChanged, this, [this] { Q_EMIT deviceChanged(device()); });
}

QString DeviceSelector::device() const
{
    const QString id = currentData().toString();
    return id.isEmpty() ? QStringLiteral("cpu") : id;
}

void DeviceSelector::setDevice(const QString& id)
{
    m_wanted = id;
    const int index = findData(id);
    if (index >= 0)
        setCurrentIndex(index);
}

void DeviceSelector::showPopup()
{
    enumerate();
    QComboBox::showPopup();
}

void DeviceSelector::enumerate()
{
    if (m_asked)
        return;
    m_asked = true;
    // One status row, rewritten in place when the answer comes: a row removed under an open
    // popup would leave a blank line in it.
    addItem(tr("Looking for GPUs…"));
    qobject_cast<QStandardItemModel*>(model())->item(count() - 1)->setEnabled(false);
    m_jobs.start(
        [](const JobControl&) {
            Found found;
            auto devices = TorchRuntime::instance().devices();
            if (!devices) {
                found.whyOnlyCpu = tr("GPUs need libtorch, which could not be loaded: %1").arg(devices.error().message);
                return found;
            }
            for (const DeviceInfo& info : devices.value()) {
                if (info.id != QLatin1String("cpu"))
                    found.devices.append(info);
            }
            if (found.devices.isEmpty()) {
                // libtorch's own answer for CUDA says whether it was built without it or found no device.
                const Status cuda = TorchRuntime::instance().checkDevice(QStringLiteral("cuda"));
                found.whyOnlyCpu = cuda ? tr("No GPU found") : cuda.error().message;
            }
            return found;
        },
        [this](const Found& found) { showFound(found); });
}

void DeviceSelector::showFound(const Found& found)
{
    const int statusRow = count() - 1;
    const bool popupOpen = view()->isVisible();
    if (found.devices.isEmpty()) {
        setItemText(statusRow, tr("Only the CPU: %1").arg(found.whyOnlyCpu.section(u'\n', 0, 0)));
        setItemData(statusRow, found.whyOnlyCpu, Qt::ToolTipRole);
    } else {
        removeItem(statusRow);
        for (const DeviceInfo& info : found.devices) {
            const QString label = info.memoryBytes > 0 ? tr("%1 (%2)").arg(info.name, formatBytes(info.memoryBytes)) : info.name;
            addItem(QStringLiteral("%1 · %2").arg(info.id, label), info.id);
        }
    }
    if (popupOpen) {  // the popup was sized for the old rows: size it for the new ones
        hidePopup();
        QComboBox::showPopup();
    }
    if (!m_wanted.isEmpty())
        setDevice(m_wanted);
    Q_EMIT enumerated();
}

}  // namespace statelens::ui
