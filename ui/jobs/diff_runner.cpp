#include "ui/jobs/diff_runner.h"

#include "core/diff/diff_job.h"
#include "core/formats/checkpoint_reader.h"

namespace statelens::ui {

DiffRunner::DiffRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<statelens::TensorDiff>();
    qRegisterMetaType<statelens::DiffPlan>();
}

DiffRunner::~DiffRunner()
{
    m_jobs.cancel();  // no finished() from a runner being destroyed
}

void DiffRunner::cancel()
{
    const bool wasBusy = isBusy();
    m_jobs.cancel();
    if (wasBusy)
        Q_EMIT finished(true);
}

void DiffRunner::start(const QString& pathA, const QString& pathB, const QString& device)
{
    cancel();
    m_jobs.start(
        [this, pathA, pathB, device](const JobControl& control) -> Status {
            auto a = openCheckpoint(pathA);
            if (!a)
                return a.error();
            auto b = openCheckpoint(pathB);
            if (!b)
                return b.error();
            auto plan = planDiff(*a.value(), *b.value());
            if (!plan)
                return plan.error();
            CheckpointPtr checkpointA = a.value();
            CheckpointPtr checkpointB = b.value();
            const DiffPlan planned = plan.value();
            // Posted calls run on the GUI thread, and only while this comparison is current.
            control.post([this, checkpointA, checkpointB, planned] { Q_EMIT this->planned(checkpointA, checkpointB, planned); });
            if (control.isCancelled())
                return makeError(ErrorCode::Cancelled, tr("cancelled"));
            DiffOptions options;
            options.device = device;
            DiffJob job(checkpointA, checkpointB, planned, options);
            job.onResult = [this, control](const TensorDiff& diff) {
                control.post([this, diff] { Q_EMIT result(diff); });
            };
            job.onProgress = [this, control](qint64 done, qint64 total) {
                control.post([this, done, total] { Q_EMIT progress(done, total); });
            };
            control.token().onCancel([&job] { job.cancel(); });
            Status status = job.run();
            control.token().onCancel({});  // `job` ends here; a later cancel must not reach it
            return status;
        },
        [this](const Status& status) {
            if (status)
                Q_EMIT finished(false);
            else if (status.error().code != ErrorCode::Cancelled)
                Q_EMIT failed(status.error().toString());
        });
}

}  // namespace statelens::ui
