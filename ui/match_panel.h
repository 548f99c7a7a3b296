// Matching panel: does this checkpoint load into a model, and if not, why and how to fix it.
// Architecture chooser and strict/lenient switch; a verdict line; the one-click fixes core
// suggests, with before/after counts (applied ones listed with Undo); a table of every key
// coloured by status with counts and filters; torch's own error text with Copy; "Load into
// model" on the chosen device with the forward pass; "Export fixed state dict…".
#pragma once

#include "core/export/state_dict_export.h"
#include "core/match/model_loading.h"
#include "core/model/checkpoint.h"

#include <QWidget>

#include <optional>

class QButtonGroup;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QTableView;
class QToolButton;
class QVBoxLayout;

namespace statelens::ui {

class ArchitectureChooser;
class MatchFilterProxy;
class MatchResultModel;
class MatchRunner;

class MatchPanel : public QWidget {
    Q_OBJECT
public:
    explicit MatchPanel(QWidget* parent = nullptr);

    void setCheckpoint(CheckpointPtr checkpoint, const QString& file);
    void setDevice(const QString& device) { m_device = device; }

    // What the controls do, for the controls and for tests.
    void setArchitecture(const QString& spec);
    void setStrict(bool strict);
    void runMatch();                  // describes the model anew
    void applySuggestion(int index);  // of the current report's suggestions
    void undoFix();
    void resetFixes();
    void loadIntoModel();
    void exportTo(const QString& path);  // the format follows the extension (.safetensors or torch.save)

    const std::optional<MatchReport>& report() const { return m_report; }
    const QVector<FixSuggestion>& appliedFixes() const { return m_fixes; }
    MatchResultModel* resultModel() const { return m_model; }
    MatchFilterProxy* filterProxy() const { return m_proxy; }
    QTableView* table() const { return m_table; }
    QLabel* verdictLabel() const { return m_verdict; }
    QPlainTextEdit* torchMessage() const { return m_torchMessage; }
    QWidget* suggestionsBox() const { return m_suggestionsBox; }
    QToolButton* statusToggle(int status) const { return m_toggles.value(status); }
    QPushButton* loadButton() const { return m_load; }
    QPushButton* exportButton() const { return m_export; }
    QLabel* outcomeLabel() const { return m_outcome; }
    QLabel* noticeLabel() const { return m_notice; }  // says when applied fixes were cleared, and why
    MatchRunner* runner() const { return m_runner; }
    ArchitectureChooser* chooser() const { return m_chooser; }

Q_SIGNALS:
    void reportShown();
    void outcomeShown();  // a load, export or error finished

protected:
    void showEvent(QShowEvent* event) override;

private:
    MatchRequest currentRequest() const;
    void rematch();  // same model, current fixes and mode
    void showReport(const MatchReport& report);
    void showSuggestions();
    void showAppliedFixes();
    void clearFixes(const QString& why);  // and says so
    void showOutcome(const QString& html, bool error);
    void showLoaded(const LoadReport& report);
    void showExported(const ExportSummary& summary, const QString& snippet);
    void chooseExportPath();
    void updateToggles();
    void updateActions();

    CheckpointPtr m_checkpoint;
    QString m_file;
    QString m_device = QStringLiteral("cpu");
    QVector<FixSuggestion> m_fixes;
    std::optional<MatchReport> m_report;
    QString m_lastSnippet;
    QString m_matchedArchitecture;  // what the last runMatch() described

    ArchitectureChooser* m_chooser;
    QRadioButton* m_strict;
    QRadioButton* m_lenient;
    QPushButton* m_match;
    QLabel* m_verdict;
    QLabel* m_notice;
    QWidget* m_fixesBar;
    QLabel* m_fixesLabel;
    QWidget* m_suggestionsBox;
    QVBoxLayout* m_suggestionsLayout;
    QList<QToolButton*> m_toggles;
    QLineEdit* m_keyFilter;
    QTableView* m_table;
    MatchResultModel* m_model;
    MatchFilterProxy* m_proxy;
    QWidget* m_torchBox;
    QPlainTextEdit* m_torchMessage;
    QPushButton* m_load;
    QPushButton* m_export;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QLabel* m_outcome;
    QPushButton* m_copySnippet;
    MatchRunner* m_runner;
};

}  // namespace statelens::ui
