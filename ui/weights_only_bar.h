// Under a file's banner: what torch.load(weights_only=True) of each torch release does with the
// file, and what a person can do about a refusal: copy the add_safe_globals line torch 2.6 needs
// (with a warning for globals that run code), or save the tensors as safetensors, a conversion
// that reads the bytes and never runs anything the pickle names.
#pragma once

#include "core/model/checkpoint.h"
#include "core/scan/safe_globals_advice.h"
#include "ui/jobs/job_tracker.h"

#include <QWidget>

#include <memory>

class QLabel;

namespace statelens::ui {

class MatchRunner;

class WeightsOnlyBar : public QWidget {
    Q_OBJECT
public:
    explicit WeightsOnlyBar(QWidget* parent = nullptr);

    // Works out torch.load(weights_only=True)'s answers for CHECKPOINT off the GUI thread, then
    // shows them (answersShown). Null hides the bar and drops a job still running.
    void inspect(CheckpointPtr checkpoint, const QString& path);
    // A release refuses the file: worth a banner even when nothing in it is unsafe.
    bool someReleaseRefuses() const;
    // Writes the tensors to PATH as safetensors off the GUI thread (the link asks where first).
    void convertTo(const QString& path);

    QLabel* verdicts() const { return m_verdicts; }
    QLabel* copyLink() const { return m_copy; }
    QLabel* convertLink() const { return m_convert; }
    QLabel* outcome() const { return m_outcome; }
    // The text "Copy" puts on the clipboard: the imports and the line.
    QString snippet() const;

Q_SIGNALS:
    void answersShown();
    void conversionFinished(bool ok);

private:
    void showAnswers(std::shared_ptr<const WeightsOnlyAnswers> answers);
    void chooseConversionPath();

    CheckpointPtr m_checkpoint;
    QString m_path;
    std::shared_ptr<const WeightsOnlyAnswers> m_answers;
    QLabel* m_verdicts;
    QLabel* m_copy;
    QLabel* m_convert;
    QLabel* m_outcome;
    MatchRunner* m_runner;
    JobTracker m_job{this};  // last: cancelled and waited for first
};

}  // namespace statelens::ui
