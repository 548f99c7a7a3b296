// The one way the GUI runs work in the background. Every runner (checkpoint loader, statistics,
// comparison, matching, the device and architecture lists, the About box) starts its work here.
//
// What it guarantees, so that the widgets never have to think about threads:
// - a generation per request: start() supersedes the job before it, whose results and posts are
//   dropped, never shown;
// - results reach the context object's thread through a queued call, checked there against the
//   current generation (never a QPointer read on the worker: the check runs where the context
//   lives, so a context being deleted cannot race it, and Qt drops events posted to a deleted
//   object);
// - a cancel token the work polls, with a hook for core jobs that have their own cancel()
//   (StatsJob, DiffJob), so Cancel stops them within one work unit;
// - its own thread pool, or one the owner passes (the loader shares one thread among its files);
// - destruction cancels and waits for this tracker's jobs, so a tab closed mid-job frees nothing
//   a worker still uses.
// The tracker is a plain member of its context (or of an object the context owns): it is then
// destroyed, and has waited, before the context's QObject part goes away.
//
// QtCore only: built without the GUI too, so the sanitizer builds run its tests.
#pragma once

#include "ui/jobs/tsan_handoff.h"

#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace statelens::ui {

// Shared by a job and whoever may cancel it; cheap to copy.
class CancelToken {
public:
    CancelToken();

    bool isCancelled() const;
    // Idempotent. Runs the onCancel() hook once, on the calling thread.
    void cancel() const;
    // `stop` runs once when the token is cancelled: at once when it already is. For core jobs with
    // their own cancel(), so that they stop within one work unit instead of at the next poll.
    // A later call replaces the hook; onCancel({}) removes it and returns only once a cancel()
    // running at that moment has finished with the old hook (so the job it names may end).
    void onCancel(std::function<void()> stop) const;

private:
    struct State;
    std::shared_ptr<State> d;
};

// What a running job may do besides computing: ask whether it should stop, and post calls to the
// context's thread (progress, results as they stream), which run only while the job is current.
class JobControl {
public:
    const CancelToken& token() const { return m_token; }
    bool isCancelled() const { return m_token.isCancelled() || isStale(); }

    // Queues `function` on the context's thread; it is dropped there when a newer job started,
    // the job was cancelled, or the context is gone. Callable from any thread, the job's own
    // helper threads included (the tracker waits for the job, and so for them).
    template <typename Function>
    void post(Function function) const
    {
        QMetaObject::invokeMethod(
            m_context,
            // `handoff` last: under ThreadSanitizer its copy marks the closure's last write before
            // Qt's queue takes it (tsan_handoff.h); elsewhere it is an empty member.
            [generations = m_generations, generation = m_generation, function = std::move(function),
             handoff = TsanHandoff()]() mutable {
                (void)handoff;        // there for its copies, never read
                TsanHandoff::sync();  // before any capture is read
                if (generations->current.load(std::memory_order_acquire) == generation)
                    function();
                TsanHandoff::sync();  // before Qt frees the call, perhaps on another thread
            },
            Qt::QueuedConnection);
    }

private:
    friend class JobTracker;
    struct Generations {
        std::atomic<quint64> current{0};
    };
    JobControl(QObject* context, std::shared_ptr<Generations> generations, quint64 generation, CancelToken token)
        : m_context(context), m_generations(std::move(generations)), m_generation(generation), m_token(std::move(token))
    {
    }
    bool isStale() const { return m_generations->current.load(std::memory_order_acquire) != m_generation; }

    QObject* m_context;
    std::shared_ptr<Generations> m_generations;
    quint64 m_generation;
    CancelToken m_token;
};

class JobTracker {
public:
    // `pool`: where the work runs; null gives the tracker a pool of its own with `threads` threads.
    explicit JobTracker(QObject* context, QThreadPool* pool = nullptr, int threads = 1);
    ~JobTracker();  // cancel() and waitForDone()
    JobTracker(const JobTracker&) = delete;
    JobTracker& operator=(const JobTracker&) = delete;

    // Runs `work(const JobControl&)` on the pool. Its return value is handed to `deliver` on the
    // context's thread unless cancel() or a newer start() came first; `deliver` runs before any
    // later call of this tracker's isRunning() says false. Supersedes (cancels) the job before.
    template <typename Work, typename Deliver>
    void start(Work work, Deliver deliver)
    {
        using Output = std::invoke_result_t<Work&, const JobControl&>;
        const JobControl control = beginJob();
        std::shared_ptr<Generations> generations = m_generations;
        std::shared_ptr<Running> running = m_running;
        const quint64 generation = control.m_generation;
        runOnPool([control, work = std::move(work), deliver = std::move(deliver), running, generation]() mutable {
            // The output is shared so that the queued call stays copyable whatever Output is.
            auto output = std::make_shared<Output>(work(control));
            control.post([output, deliver = std::move(deliver), running, generation]() mutable {
                running->finishedOnContext(generation);
                deliver(std::move(*output));
            });
        });
    }

    // Supersedes the current job: its later posts and result are dropped, its token cancelled.
    void cancel();
    // A job started and neither delivered nor cancelled.
    bool isRunning() const { return m_running->isRunning(); }
    // Blocks until every job this tracker started has returned and posted what it posts; then
    // QCoreApplication::sendPostedEvents(context) shows exactly what arrives (tests use this
    // instead of sleeping to prove that nothing stale does).
    void waitForDone();

private:
    using Generations = JobControl::Generations;
    // The job counters shared with the workers: "is one current" on the context's thread, and
    // how many run for waitForDone().
    struct Running {
        std::atomic<quint64> delivering{0};  // generation that may still deliver; 0: none
        std::mutex mutex;
        std::condition_variable idle;
        int inFlight = 0;
        bool isRunning() const { return delivering.load() != 0; }
        void finishedOnContext(quint64 generation)
        {
            quint64 expected = generation;
            delivering.compare_exchange_strong(expected, 0);
        }
    };

    JobControl beginJob();
    void runOnPool(std::function<void()> job);

    QObject* m_context;
    std::unique_ptr<QThreadPool> m_ownPool;
    QThreadPool* m_pool;
    std::shared_ptr<Generations> m_generations = std::make_shared<Generations>();
    std::shared_ptr<Running> m_running = std::make_shared<Running>();
    CancelToken m_token;  // of the current job
};

}  // namespace statelens::ui
