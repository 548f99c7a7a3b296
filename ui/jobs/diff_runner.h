// Runs a comparison off the GUI thread: opens both files, pairs their tensors (planDiff), then
// compares the values with core's DiffJob on the chosen device. The plan arrives first (every
// row, provisional statuses), then each tensor's result as it finishes, with progress; Cancel
// stops the job within milliseconds.
#pragma once

#include "core/diff/checkpoint_diff.h"
#include "ui/jobs/job_tracker.h"

#include <QObject>

namespace statelens::ui {

class DiffRunner : public QObject {
    Q_OBJECT
public:
    explicit DiffRunner(QObject* parent = nullptr);
    ~DiffRunner() override;

    void start(const QString& pathA, const QString& pathB, const QString& device);
    void cancel();
    bool isBusy() const { return m_jobs.isRunning(); }
    // Blocks until the background work has returned and posted all it posts: after it, the
    // posted events show exactly what arrives (tests prove "nothing stale arrives" this way).
    void waitForDone() { m_jobs.waitForDone(); }

Q_SIGNALS:
    void planned(statelens::CheckpointPtr a, statelens::CheckpointPtr b, const statelens::DiffPlan& plan);
    void result(const statelens::TensorDiff& diff);
    void progress(qint64 done, qint64 total);
    void finished(bool cancelled);
    void failed(const QString& message);

private:
    JobTracker m_jobs{this};  // last member: destroyed (cancelled and waited for) first
};

}  // namespace statelens::ui
