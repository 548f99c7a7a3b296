#include "ui/jobs/stats_runner.h"

#include "core/stats/stats_job.h"

namespace statelens::ui {

StatsRunner::StatsRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<statelens::TensorStats>();
}

void StatsRunner::cancel()
{
    m_jobs.cancel();
}

void StatsRunner::request(CheckpointPtr checkpoint, const QVector<int>& tensors, const QString& groupName, int bins,
                          const QString& device)
{
    cancel();
    if (!checkpoint || tensors.isEmpty())
        return;
    StatsOptions options;
    options.bins = bins;
    options.device = device;
    Q_EMIT started();
    m_jobs.start(
        [this, checkpoint, tensors, groupName, options](const JobControl& control) -> Status {
            StatsJob job(checkpoint, options);
            if (groupName.isEmpty())
                job.addTensors({tensors.first()});
            else
                job.addGroup(groupName, tensors);
            // Posted calls run on the GUI thread, and only while this request is current.
            job.onProgress = [this, control](qint64 done, qint64 total) {
                control.post([this, done, total] { Q_EMIT progress(done, total); });
            };
            job.onResult = [this, control](const TensorStats& stats) {
                control.post([this, stats] { Q_EMIT finished(stats); });
            };
            control.token().onCancel([&job] { job.cancel(); });
            Status status = job.run();
            control.token().onCancel({});  // `job` ends here; a later cancel must not reach it
            return status;
        },
        [this](const Status& status) {
            if (!status && status.error().code != ErrorCode::Cancelled)
                Q_EMIT failed(status.error().message);
        });
}

}  // namespace statelens::ui
