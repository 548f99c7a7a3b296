// The compute-device chooser in the toolbar: "cpu" at once, and the devices libtorch finds (CUDA
// with name and memory, MPS) once the user first opens the list. Enumerating loads libtorch
// (0.6 s, 164 MB), so it runs off the GUI thread and only when asked.
#pragma once

#include <QComboBox>

namespace statelens::ui {

class DeviceSelector : public QComboBox {
    Q_OBJECT
public:
    explicit DeviceSelector(QWidget* parent = nullptr);

    QString device() const;           // "cpu", "cuda:0", "mps"
    void setDevice(const QString& id);  // selects it when listed (the remembered choice)
    void enumerate();                 // starts finding devices (once)
    bool isEnumerating() const { return m_enumerating; }

Q_SIGNALS:
    void deviceChanged(const QString& device);
    void enumerated();

protected:
    void showPopup() override;

private:
    bool m_enumerated = false;
    bool m_enumerating = false;
    QString m_wanted;
};

}  // namespace statelens::ui
