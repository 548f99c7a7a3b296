// The GUI's background-job helper: results arrive on the context's thread, after start() returned;
// a newer request, cancel() or the context's deletion drops what an older job sends; the token
// reaches a core job's own cancel(); destruction cancels and waits. "Nothing arrives" is proved
// structurally: waitForDone() (every job returned and posted) and then the posted events are
// delivered; no sleeps.
#include "ui/jobs/job_tracker.h"

#include <QCoreApplication>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>

using namespace statelens::ui;

namespace {

// A context object that says when a delivery ran.
class Receiver : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
Q_SIGNALS:
    void delivered(int value);
};

void flushPosted(QObject* context)
{
    QCoreApplication::sendPostedEvents(context);
}

}  // namespace

class TestJobTracker : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void deliversOnTheContextThreadAfterStartReturns()
    {
        Receiver receiver;
        JobTracker tracker(&receiver);
        QSemaphore workMayFinish;
        std::atomic<bool> startReturned{false};
        QThread* workThread = nullptr;
        QThread* deliverThread = nullptr;
        bool startHadReturned = false;
        tracker.start(
            [&](const JobControl&) {
                workMayFinish.acquire();  // the work cannot finish before start() returned
                workThread = QThread::currentThread();
                return 42;
            },
            [&](int value) {
                deliverThread = QThread::currentThread();
                startHadReturned = startReturned.load();
                Q_EMIT receiver.delivered(value);
            });
        startReturned = true;
        QVERIFY(tracker.isRunning());
        QSignalSpy spy(&receiver, &Receiver::delivered);
        workMayFinish.release();
        QVERIFY(spy.wait(5000));
        QCOMPARE(spy.takeFirst().at(0).toInt(), 42);
        QVERIFY(startHadReturned);
        QVERIFY(workThread && workThread != QThread::currentThread());
        QCOMPARE(deliverThread, QThread::currentThread());
        QVERIFY(!tracker.isRunning());
    }

    // A second request supersedes the first: the first's posts and result are dropped even when
    // the first finishes last, and its token says it was cancelled.
    void newerRequestDropsOlderResults()
    {
        Receiver receiver;
        JobTracker tracker(&receiver, nullptr, 2);
        QSemaphore firstMayFinish;
        std::atomic<bool> firstSawCancel{false};
        QList<int> delivered;
        tracker.start(
            [&](const JobControl& job) {
                firstMayFinish.acquire();
                firstSawCancel = job.isCancelled();
                job.post([&] { delivered.append(-1); });
                return 1;
            },
            [&](int value) { delivered.append(value); });
        tracker.start(
            [&](const JobControl& job) {
                job.post([&] { delivered.append(20); });
                return 2;
            },
            [&](int value) { delivered.append(value); });
        firstMayFinish.release();
        tracker.waitForDone();
        flushPosted(&receiver);
        QCOMPARE(delivered, (QList<int>{20, 2}));
        QVERIFY(firstSawCancel.load());
        QVERIFY(!tracker.isRunning());
    }

    void cancelDropsTheResultAndRunsTheHook()
    {
        Receiver receiver;
        JobTracker tracker(&receiver);
        QSemaphore hookInstalled;
        std::atomic<int> hookRuns{0};
        std::atomic<bool> stopped{false};
        bool delivered = false;
        tracker.start(
            [&](const JobControl& job) {
                // As a runner wires a core job's own cancel() to the token.
                job.token().onCancel([&] {
                    ++hookRuns;
                    stopped = true;
                });
                hookInstalled.release();
                while (!stopped.load())
                    QThread::yieldCurrentThread();
                return 7;
            },
            [&](int) { delivered = true; });
        hookInstalled.acquire();
        tracker.cancel();
        QVERIFY(!tracker.isRunning());
        tracker.waitForDone();
        flushPosted(&receiver);
        QVERIFY(!delivered);
        QCOMPARE(hookRuns.load(), 1);
        tracker.cancel();  // a second cancel runs no hook again
        QCOMPARE(hookRuns.load(), 1);
    }

    void hookInstalledAfterCancelRunsAtOnce()
    {
        CancelToken token;
        token.cancel();
        bool ran = false;
        token.onCancel([&] { ran = true; });
        QVERIFY(ran);
        QVERIFY(token.isCancelled());
    }

    // Streaming posts arrive in the order the job made them, each on the context's thread.
    void postsArriveInOrder()
    {
        Receiver receiver;
        JobTracker tracker(&receiver);
        QList<int> seen;
        bool allOnContextThread = true;
        QThread* contextThread = QThread::currentThread();
        tracker.start(
            [&](const JobControl& job) {
                for (int i = 0; i < 100; ++i)
                    job.post([&, i] {
                        allOnContextThread = allOnContextThread && QThread::currentThread() == contextThread;
                        seen.append(i);
                    });
                return 100;
            },
            [&](int value) { seen.append(value); });
        tracker.waitForDone();
        flushPosted(&receiver);
        QCOMPARE(seen.size(), 101);
        for (int i = 0; i <= 100; ++i)
            QCOMPARE(seen[i], i);
        QVERIFY(allOnContextThread);
    }

    // The context goes away while its job runs (a tab closed mid-job): the tracker, its member,
    // cancels and waits, and nothing is delivered to the deleted object.
    void destroyingTheContextCancelsWaitsAndDropsResults()
    {
        struct Owner : QObject {
            JobTracker tracker{this};
        };
        auto* owner = new Owner;
        QSemaphore running;
        std::atomic<bool> workReturned{false};
        std::atomic<bool> delivered{false};
        owner->tracker.start(
            [&](const JobControl& job) {
                running.release();
                while (!job.isCancelled())
                    QThread::yieldCurrentThread();
                job.post([&] { delivered = true; });
                workReturned = true;
                return 0;
            },
            [&](int) { delivered = true; });
        running.acquire();
        delete owner;  // returns only once the work has returned
        QVERIFY(workReturned.load());
        QCoreApplication::sendPostedEvents();
        QVERIFY(!delivered.load());
    }

    // The loader's case: several trackers share one pool of one thread; each waits only for its
    // own jobs, and one tracker's request does not supersede another's.
    void trackersSharingAPoolAreIndependent()
    {
        Receiver receiver;
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        QList<int> delivered;
        {
            JobTracker first(&receiver, &pool);
            JobTracker second(&receiver, &pool);
            first.start([](const JobControl&) { return 1; }, [&](int value) { delivered.append(value); });
            second.start([](const JobControl&) { return 2; }, [&](int value) { delivered.append(value); });
            first.waitForDone();
            second.waitForDone();
            flushPosted(&receiver);
        }
        std::sort(delivered.begin(), delivered.end());
        QCOMPARE(delivered, (QList<int>{1, 2}));
    }
};

QTEST_GUILESS_MAIN(TestJobTracker)
#include "tst_job_tracker.moc"
