// The compute-device chooser in the toolbar: "cpu" at once, and the devices libtorch finds (CUDA
// with name and memory, MPS) once the user first opens the list. Enumerating loads libtorch
// (0.6 s, 164 MB), so it runs off the GUI thread and only when asked. When only the CPU is
// offered, a disabled row says why (no libtorch, a CPU-only libtorch, no device found).
#pragma once

#include "ui/jobs/job_tracker.h"

#include <QComboBox>

namespace statelens::ui {

class DeviceSelector : public QComboBox {
    Q_OBJECT
public:
    explicit DeviceSelector(QWidget* parent = nullptr);

    QString device() const;           // "cpu", "cuda:0", "mps"
    void setDevice(const QString& id);  // selects it when listed (the remembered choice)
    void enumerate();                 // starts finding devices (once)
    bool isEnumerating() const { return m_jobs.isRunning(); }

Q_SIGNALS:
    void deviceChanged(const QString& device);
    void enumerated();

protected:
    void showPopup() override;

private:
    struct Found;
    void showFound(const Found& found);

    bool m_asked = false;
    QString m_wanted;
    JobTracker m_jobs{this};  // last member: destroyed (cancelled and waited for) first
};

}  // namespace statelens::ui
