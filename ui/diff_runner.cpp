#include "diff_runner.h"

#include "core/checkpoint_reader.h"
#include "core/diff/diff_job.h"

#include <QPointer>
#include <QThreadPool>
#include <QtConcurrent>

#include <atomic>
#include <mutex>

namespace statelens::ui {

namespace {
std::mutex g_jobMutex;  // guards the hand-over of a job between the worker and cancel()
}

DiffRunner::DiffRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<statelens::TensorDiff>();
    qRegisterMetaType<statelens::DiffPlan>();
}

DiffRunner::~DiffRunner()
{
    cancel();
}

void DiffRunner::cancel()
{
    if (m_cancelled)
        m_cancelled->store(true);
    if (m_job) {
        std::lock_guard<std::mutex> lock(g_jobMutex);
        if (*m_job)
            (*m_job)->cancel();
    }
    m_job.reset();
    m_cancelled.reset();
    ++m_generation;
    if (m_busy) {
        m_busy = false;
        Q_EMIT finished(true);
    }
}

void DiffRunner::start(const QString& pathA, const QString& pathB, const QString& device)
{
    cancel();
    m_busy = true;
    const quint64 generation = m_generation;
    auto slot = std::make_shared<std::shared_ptr<DiffJob>>();
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    m_job = slot;
    m_cancelled = cancelled;
    QPointer<DiffRunner> self(this);
    // Everything reaches the GUI thread queued, and only while this comparison is the current one.
    auto deliver = [self, generation, cancelled](auto function) {
        if (cancelled->load())
            return;
        QMetaObject::invokeMethod(self.data(), [self, generation, function] {
            if (self && self->m_generation == generation)
                function(self.data());
        }, Qt::QueuedConnection);
    };
    (void)QtConcurrent::run(QThreadPool::globalInstance(), [pathA, pathB, device, slot, cancelled, deliver] {
        auto fail = [deliver](const QString& message) {
            deliver([message](DiffRunner* runner) {
                runner->m_busy = false;
                Q_EMIT runner->failed(message);
            });
        };
        auto a = openCheckpoint(pathA);
        if (!a)
            return fail(a.error().toString());
        auto b = openCheckpoint(pathB);
        if (!b)
            return fail(b.error().toString());
        auto plan = planDiff(*a.value(), *b.value());
        if (!plan)
            return fail(plan.error().message);
        CheckpointPtr checkpointA = a.value();
        CheckpointPtr checkpointB = b.value();
        const DiffPlan planned = plan.value();
        deliver([checkpointA, checkpointB, planned](DiffRunner* runner) { Q_EMIT runner->planned(checkpointA, checkpointB, planned); });
        DiffOptions options;
        options.device = device;
        auto job = std::make_shared<DiffJob>(checkpointA, checkpointB, planned, options);
        job->onResult = [deliver](const TensorDiff& diff) {
            deliver([diff](DiffRunner* runner) { Q_EMIT runner->result(diff); });
        };
        job->onProgress = [deliver](qint64 done, qint64 total) {
            deliver([done, total](DiffRunner* runner) { Q_EMIT runner->progress(done, total); });
        };
        {
            std::lock_guard<std::mutex> lock(g_jobMutex);
            if (cancelled->load())
                return;
            *slot = job;
        }
        const Status status = job->run();
        if (!status && status.error().code != ErrorCode::Cancelled)
            return fail(status.error().message);
        deliver([](DiffRunner* runner) {
            runner->m_busy = false;
            Q_EMIT runner->finished(false);
        });
    });
}

}  // namespace statelens::ui
