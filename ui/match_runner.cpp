#include "match_runner.h"

#include "core/match/architecture_sources.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QPointer>
#include <QThreadPool>
#include <QtConcurrent>

namespace statelens::ui {

MatchRunner::MatchRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<statelens::MatchReport>();
    qRegisterMetaType<statelens::LoadReport>();
    qRegisterMetaType<statelens::ExportSummary>();
}

MatchRunner::~MatchRunner()
{
    cancel();
}

void MatchRunner::setBusy(bool busy, const QString& what)
{
    m_busy = busy;
    Q_EMIT busyChanged(busy, what);
}

void MatchRunner::cancel()
{
    if (m_cancelFlag)
        m_cancelFlag->store(true);
    m_cancelFlag.reset();
    ++m_generation;
    if (m_busy)
        setBusy(false);
}

// Runs `work` on the pool and hands its Result<T> to `done` on the GUI thread, unless a newer
// task or cancel() came first.
template <typename T, typename Work, typename Done>
void MatchRunner::start(const QString& what, Work work, Done done)
{
    cancel();
    const quint64 generation = m_generation;
    auto* watcher = new QFutureWatcher<Result<T>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, done] {
        watcher->deleteLater();
        if (generation != m_generation)
            return;
        setBusy(false);
        Result<T> result = watcher->result();
        if (result)
            done(result.value());
        else if (result.error().code != ErrorCode::Cancelled)
            Q_EMIT failed(result.error().message);
    });
    setBusy(true, what);
    watcher->setFuture(QtConcurrent::run(QThreadPool::globalInstance(), std::move(work)));
}

void MatchRunner::match(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, bool reuseArchitecture)
{
    std::shared_ptr<const Architecture> known;
    if (reuseArchitecture && m_architecture && m_architecture->id == request.architecture)
        known = m_architecture;
    start<MatchReport>(
        tr("Matching against %1…").arg(request.architecture),
        [checkpoint, file, request, known]() -> Result<MatchReport> {
            Architecture architecture;
            if (known) {
                architecture = *known;
            } else {
                auto loaded = loadArchitecture(request.architecture);
                if (!loaded)
                    return loaded.error();
                architecture = loaded.value();
            }
            return matchCheckpoint(*checkpoint, file, architecture, request);
        },
        [this](const MatchReport& report) {
            m_architecture = std::make_shared<const Architecture>(report.architecture);
            Q_EMIT matched(report);
        });
}

void MatchRunner::load(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, const QString& device)
{
    std::shared_ptr<const Architecture> known;
    if (m_architecture && m_architecture->id == request.architecture)
        known = m_architecture;
    start<LoadReport>(
        tr("Loading into %1 on %2…").arg(request.architecture, device),
        [checkpoint, file, request, device, known]() -> Result<LoadReport> {
            if (auto status = TorchRuntime::instance().checkDevice(device); !status)
                return status.error();
            Architecture architecture;
            if (known) {
                architecture = *known;
            } else {
                auto loaded = loadArchitecture(request.architecture);
                if (!loaded)
                    return loaded.error();
                architecture = loaded.value();
            }
            if (auto spec = loadableSpec(architecture); !spec)
                return spec.error();
            return loadIntoModel(*checkpoint, file, architecture, request, device);
        },
        [this](const LoadReport& report) { Q_EMIT loaded(report); });
}

void MatchRunner::exportStateDict(CheckpointPtr checkpoint, ExportRequest request)
{
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    QPointer<MatchRunner> self(this);
    // Progress crosses to the GUI thread at most every 50 ms.
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    request.progress = [cancelled, self, timer](qint64 done, qint64 total) {
        if (cancelled->load())
            return false;
        if (timer->elapsed() >= 50 || done == total) {
            timer->restart();
            QMetaObject::invokeMethod(self.data(), [self, cancelled, done, total] {
                if (self && !cancelled->load())
                    Q_EMIT self->progress(done, total);
            }, Qt::QueuedConnection);
        }
        return true;
    };
    start<ExportSummary>(
        tr("Exporting to %1…").arg(request.output),
        [checkpoint, request] { return statelens::exportStateDict(*checkpoint, request); },
        [this, checkpoint, request](const ExportSummary& summary) {
            Q_EMIT exported(summary, exportSnippet(*checkpoint, request, summary.view));
        });
    m_cancelFlag = cancelled;  // after start(): its cancel() must not trip this export's flag
}

}  // namespace statelens::ui
