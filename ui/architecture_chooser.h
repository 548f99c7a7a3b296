// Where the model comes from: an editable combo box listing recent choices, the built-in models
// (libtorch's zoo, listed off the GUI thread the first time it is shown, since that loads
// libtorch), and "TorchScript / .pt2 file…", "JSON spec…", "Reference checkpoint…" entries that
// open a file dialog. Typing "resnet18:num_classes=10" and Enter works too.
// architectureChosen() is emitted only when the choice differs from the last one: Qt 6's editable
// combo box re-activates its remembered entry when focus leaves it, which is no choice at all
// (re-emitting it reran the match and deleted the fix button being clicked).
#pragma once

#include "ui/jobs/job_tracker.h"

#include <QComboBox>

namespace statelens::ui {

class ArchitectureChooser : public QComboBox {
    Q_OBJECT
public:
    explicit ArchitectureChooser(QWidget* parent = nullptr);

    QString architecture() const { return currentText().trimmed(); }
    // Shows `spec` as the current choice (no signal: the caller acts on it).
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
    void choose(const QString& spec);  // emits architectureChosen when spec is a new choice
    QString askForFile(const QString& kind);

    BuiltInsState m_builtInsState = NotListed;
    QString m_builtInsError;
    QVector<QPair<QString, QString>> m_builtIns;  // name, description
    QStringList m_recent;
    QString m_chosen;  // the last choice made or set
    JobTracker m_jobs{this};  // last member: destroyed (cancelled and waited for) first
};

}  // namespace statelens::ui
