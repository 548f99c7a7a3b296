#include "device_selector.h"

#include "core/display_format.h"
#include "core/torch_runtime.h"

#include <QApplication>
#include <QPointer>
#include <QStandardItemModel>
#include <QtConcurrent>

namespace statelens::ui {

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
    if (m_enumerated || m_enumerating)
        return;
    m_enumerating = true;
    addItem(tr("Looking for GPUs…"));
    qobject_cast<QStandardItemModel*>(model())->item(count() - 1)->setEnabled(false);
    QPointer<DeviceSelector> self(this);
    (void)QtConcurrent::run([self] {
        auto devices = TorchRuntime::instance().devices();
        QMetaObject::invokeMethod(qApp, [self, devices] {
            if (!self)
                return;
            self->removeItem(self->count() - 1);
            self->m_enumerating = false;
            self->m_enumerated = true;
            if (!devices) {
                self->addItem(tr("(libtorch not available)"));
                qobject_cast<QStandardItemModel*>(self->model())->item(self->count() - 1)->setEnabled(false);
                self->setItemData(self->count() - 1, devices.error().message, Qt::ToolTipRole);
            } else {
                for (const DeviceInfo& info : devices.value()) {
                    if (info.id == QLatin1String("cpu"))
                        continue;
                    const QString label = info.memoryBytes > 0 ? tr("%1 (%2)").arg(info.name, formatBytes(info.memoryBytes)) : info.name;
                    self->addItem(QStringLiteral("%1 · %2").arg(info.id, label), info.id);
                }
            }
            if (!self->m_wanted.isEmpty())
                self->setDevice(self->m_wanted);
            Q_EMIT self->enumerated();
        }, Qt::QueuedConnection);
    });
}

}  // namespace statelens::ui
