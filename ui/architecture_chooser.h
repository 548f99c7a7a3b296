// Where the model comes from: an editable combo box listing recent choices, the built-in models
// (libtorch's zoo, listed off the GUI thread the first time it is shown, since that loads
// libtorch), and "TorchScript / .pt2 file…", "JSON spec…", "Reference checkpoint…" entries that
// open a file dialog. Typing "resnet18:num_classes=10" and Enter works too.
#pragma once

#include <QComboBox>

namespace statelens::ui {

class ArchitectureChooser : public QComboBox {
    Q_OBJECT
public:
    explicit ArchitectureChooser(QWidget* parent = nullptr);

    QString architecture() const { return currentText().trimmed(); }
    void setArchitecture(const QString& spec);
    // Lists the built-in models (once; off the GUI thread).
    void listBuiltIns();
    bool builtInsListed() const { return m_builtInsState == Listed; }
    // Remembers a spec that matched, first in the list next time.
    void remember(const QString& spec);

Q_SIGNALS:
    void architectureChosen(const QString& spec);
    void builtInsChanged();

private:
    enum BuiltInsState { NotListed, Listing, Listed, Failed };
    void rebuild();
    void onActivated(int index);
    QString askForFile(const QString& kind);

    BuiltInsState m_builtInsState = NotListed;
    QString m_builtInsError;
    QVector<QPair<QString, QString>> m_builtIns;  // name, description
    QStringList m_recent;
};

}  // namespace statelens::ui
