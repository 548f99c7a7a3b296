// Runs core's StatsJob off the GUI thread for the selection: one tensor, or a module subtree as
// one group. A new request cancels the one in flight; results of old requests are dropped.
#pragma once

#include "core/model/checkpoint.h"
#include "core/stats/tensor_stats.h"
#include "ui/jobs/job_tracker.h"

#include <QObject>

namespace statelens::ui {

class StatsRunner : public QObject {
    Q_OBJECT
public:
    explicit StatsRunner(QObject* parent = nullptr);

    // `groupName` empty: statistics of tensors.first(); otherwise of all of them together.
    void request(CheckpointPtr checkpoint, const QVector<int>& tensors, const QString& groupName, int bins,
                 const QString& device);
    void cancel();
    bool isBusy() const { return m_jobs.isRunning(); }
    // Blocks until the background work has returned and posted all it posts: after it, the
    // posted events show exactly what arrives (tests prove "nothing stale arrives" this way).
    void waitForDone() { m_jobs.waitForDone(); }

Q_SIGNALS:
    void started();
    void progress(qint64 done, qint64 total);
    void finished(const statelens::TensorStats& stats);
    void failed(const QString& message);

private:
    JobTracker m_jobs{this};  // last member: destroyed (cancelled and waited for) first
};

}  // namespace statelens::ui
