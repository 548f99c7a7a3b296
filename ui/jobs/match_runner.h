// Runs the matching panel's work off the GUI thread: matching (describing a built-in model loads
// libtorch, ~0.6 s the first time), loading into a model, and exporting. One task at a time; a
// new one supersedes the old, whose result is dropped. Cancel stops an export at once (its file
// is never created); a match or load that libtorch is running cannot be interrupted: its result
// is dropped, and a runner being destroyed waits for it (core's checkpoint stays in use until then).
#pragma once

#include "core/export/state_dict_export.h"
#include "core/match/model_loading.h"
#include "ui/jobs/job_tracker.h"

#include <QObject>

#include <memory>

namespace statelens::ui {

class MatchRunner : public QObject {
    Q_OBJECT
public:
    explicit MatchRunner(QObject* parent = nullptr);

    // `reuseArchitecture`: take the model's layout from the last match with the same
    // request.architecture instead of describing it again (one-click fixes, strict/lenient).
    void match(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, bool reuseArchitecture);
    void load(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, const QString& device);
    void exportStateDict(CheckpointPtr checkpoint, ExportRequest request);
    void cancel();
    bool isBusy() const { return m_jobs.isRunning(); }

Q_SIGNALS:
    void busyChanged(bool busy, const QString& what);
    void progress(qint64 done, qint64 total);  // exports only; others show a busy indicator
    void matched(const statelens::MatchReport& report);
    void loaded(const statelens::LoadReport& report);
    void exported(const statelens::ExportSummary& summary, const QString& snippet);
    void failed(const QString& message);

private:
    template <typename T, typename Work, typename Done>
    void start(const QString& what, Work work, Done done);

    std::shared_ptr<const Architecture> m_architecture;  // of the last match
    JobTracker m_jobs{this};  // last member: destroyed (cancelled and waited for) first
};

}  // namespace statelens::ui
