#include "stats_runner.h"

#include "core/stats/stats_job.h"

#include <QPointer>
#include <QThreadPool>
#include <QtConcurrent>

namespace statelens::ui {

StatsRunner::StatsRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<statelens::TensorStats>();
}

StatsRunner::~StatsRunner()
{
    cancel();
}

void StatsRunner::cancel()
{
    if (m_job)
        m_job->cancel();
    m_job.reset();
    ++m_generation;
    m_busy = false;
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
    auto job = std::make_shared<StatsJob>(checkpoint, options);
    if (groupName.isEmpty())
        job->addTensors({tensors.first()});
    else
        job->addGroup(groupName, tensors);
    m_job = job;
    m_busy = true;
    const quint64 generation = m_generation;
    QPointer<StatsRunner> self(this);
    // Results cross to the GUI thread queued, and only while this request is the current one.
    auto deliver = [self, generation](auto function) {
        if (!self)
            return;
        QMetaObject::invokeMethod(self.data(), [self, generation, function] {
            if (self && self->m_generation == generation)
                function(self.data());
        }, Qt::QueuedConnection);
    };
    job->onProgress = [deliver](qint64 done, qint64 total) {
        deliver([done, total](StatsRunner* runner) { Q_EMIT runner->progress(done, total); });
    };
    job->onResult = [deliver](const TensorStats& stats) {
        deliver([stats](StatsRunner* runner) {
            runner->m_busy = false;
            Q_EMIT runner->finished(stats);
        });
    };
    Q_EMIT started();
    (void)QtConcurrent::run(QThreadPool::globalInstance(), [job, deliver] {
        const Status status = job->run();
        if (!status && status.error().code != ErrorCode::Cancelled) {
            const QString message = status.error().message;
            deliver([message](StatsRunner* runner) {
                runner->m_busy = false;
                Q_EMIT runner->failed(message);
            });
        }
    });
}

}  // namespace statelens::ui
