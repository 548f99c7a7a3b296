#include "ui/jobs/job_tracker.h"

#include <QRunnable>

namespace statelens::ui {

struct CancelToken::State {
    std::atomic<bool> cancelled{false};
    std::mutex mutex;  // guards `stop`; held while it runs
    std::function<void()> stop;
};

CancelToken::CancelToken() : d(std::make_shared<State>()) {}

bool CancelToken::isCancelled() const
{
    return d->cancelled.load(std::memory_order_acquire);
}

// The hook runs under the token's lock, so onCancel({}) from the job returns only after a
// concurrent cancel() has finished calling into the job: the job may then end its core work
// (a StatsJob on its stack) without a cancel() still reaching it.
void CancelToken::cancel() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    if (d->cancelled.exchange(true, std::memory_order_acq_rel))
        return;
    if (d->stop)
        d->stop();
    d->stop = nullptr;
}

void CancelToken::onCancel(std::function<void()> stop) const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    if (!d->cancelled.load(std::memory_order_acquire))
        d->stop = std::move(stop);
    else if (stop)
        stop();
}

JobTracker::JobTracker(QObject* context, QThreadPool* pool, int threads) : m_context(context), m_pool(pool)
{
    if (!m_pool) {
        m_ownPool = std::make_unique<QThreadPool>();
        m_ownPool->setMaxThreadCount(qMax(1, threads));
        m_pool = m_ownPool.get();
    }
}

JobTracker::~JobTracker()
{
    cancel();
    waitForDone();
}

JobControl JobTracker::beginJob()
{
    cancel();
    m_token = CancelToken();
    const quint64 generation = m_generations->current.load();
    m_running->delivering.store(generation);
    return JobControl(m_context, m_generations, generation, m_token);
}

void JobTracker::cancel()
{
    m_token.cancel();
    // Generations start at 1 after the first cancel(): 0 never names a job, so "delivering == 0"
    // can mean "none".
    m_generations->current.fetch_add(1, std::memory_order_acq_rel);
    m_running->delivering.store(0);
}

namespace {

// A runnable whose first act is the TSan hand-over (QRunnable::create's would read its
// std::function before any code of ours ran).
class PoolTask final : public QRunnable {
public:
    explicit PoolTask(std::function<void()> job) : m_job(std::move(job)) {}
    void run() override
    {
        TsanHandoff::sync();  // the task was built before it was queued
        m_job();
    }

private:
    std::function<void()> m_job;
};

}  // namespace

void JobTracker::runOnPool(std::function<void()> job)
{
    std::shared_ptr<Running> running = m_running;
    auto* task = new PoolTask([job = std::move(job), running] {
        job();
        std::lock_guard<std::mutex> lock(running->mutex);
        if (--running->inFlight == 0)
            running->idle.notify_all();
    });
    {
        std::lock_guard<std::mutex> lock(running->mutex);
        ++running->inFlight;
    }
    TsanHandoff::sync();
    m_pool->start(task);  // the pool deletes it (autoDelete)
}

void JobTracker::waitForDone()
{
    std::unique_lock<std::mutex> lock(m_running->mutex);
    m_running->idle.wait(lock, [this] { return m_running->inFlight == 0; });
}

}  // namespace statelens::ui
