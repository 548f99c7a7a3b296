// The few pieces every parallel job over tensor bytes shares (statistics, diff): a queue of units
// that a handful of threads pull from, the threads themselves, and progress reports throttled
// so that the GUI's event loop is not flooded.
#pragma once

#include <QElapsedTimer>
#include <QThread>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace statelens {

template <typename Unit>
class WorkQueue {
public:
    // Also guards what the job's units share (a tensor's running sums, whether it failed).
    std::mutex& mutex() { return m_mutex; }

    // Before the workers start, or inside finish()'s settle (which holds the lock).
    void pushBack(Unit unit) { m_queue.push_back(std::move(unit)); }
    void pushFront(Unit unit) { m_queue.push_front(std::move(unit)); }

    // The next unit; nothing once the job is cancelled or done. Done means the queue is empty
    // and no unit is in flight: until then a worker waits, since a unit being processed may
    // queue more (the statistics' first pass queues the histogram pass).
    std::optional<Unit> take()
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_wake.wait(lock, [&] { return m_cancelled || !m_queue.empty() || m_inFlight == 0; });
        if (m_cancelled || m_queue.empty()) {
            m_wake.notify_all();
            return std::nullopt;
        }
        Unit unit = std::move(m_queue.front());
        m_queue.pop_front();
        ++m_inFlight;
        return unit;
    }

    // Ends a unit from take(): settle() runs under the lock, then waiting workers wake.
    template <typename Settle>
    void finish(Settle&& settle)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            settle();
            --m_inFlight;
        }
        m_wake.notify_all();
    }

    // From any thread: workers stop at their next take(), units check isCancelled() as they go.
    void cancel()
    {
        m_cancelled = true;
        m_wake.notify_all();
    }
    bool isCancelled() const { return m_cancelled; }

private:
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Unit> m_queue;
    int m_inFlight = 0;
    std::atomic<bool> m_cancelled{false};
};

// Runs worker() on `threads` threads (all cores when 0 or less), this one among them, and
// returns once every one has returned.
inline void runOnThreads(int threads, const std::function<void()>& worker)
{
    if (threads <= 0)
        threads = qMax(1, QThread::idealThreadCount());
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads; ++t)
        helpers.emplace_back(worker);
    worker();
    for (std::thread& helper : helpers)
        helper.join();
}

// Progress from many workers, passed on at most every 50 ms and never two reports at once.
class ProgressThrottle {
public:
    void start() { m_clock.start(); }

    // Calls report() when 50 ms have passed since the last report, or always when forced.
    template <typename Report>
    void offer(bool force, Report&& report)
    {
        const qint64 now = m_clock.elapsed();
        qint64 last = m_lastMs.load();
        if (!force && (now - last < 50 || !m_lastMs.compare_exchange_strong(last, now)))
            return;
        std::lock_guard<std::mutex> lock(m_reporting);
        report();
    }

private:
    QElapsedTimer m_clock;
    std::atomic<qint64> m_lastMs{-1000};
    std::mutex m_reporting;
};

}  // namespace statelens
