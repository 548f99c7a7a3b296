#include "ui/jobs/match_runner.h"

#include "core/match/architecture_sources.h"

#include <QElapsedTimer>

namespace statelens::ui {

MatchRunner::MatchRunner(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<statelens::MatchReport>();
    qRegisterMetaType<statelens::LoadReport>();
    qRegisterMetaType<statelens::ExportSummary>();
}

void MatchRunner::cancel()
{
    const bool wasBusy = isBusy();
    m_jobs.cancel();
    if (wasBusy)
        Q_EMIT busyChanged(false, {});
}

// Runs `work(control)` on the tracker's thread and hands its Result<T> to `done` on the GUI
// thread, unless a newer task or cancel() came first.
template <typename T, typename Work, typename Done>
void MatchRunner::start(const QString& what, Work work, Done done)
{
    cancel();
    m_jobs.start(std::move(work), [this, done](const Result<T>& result) {
        Q_EMIT busyChanged(false, {});
        if (result)
            done(result.value());
        else if (result.error().code != ErrorCode::Cancelled)
            Q_EMIT failed(result.error().message);
    });
    Q_EMIT busyChanged(true, what);
}

// The model's layout: the one the last match described, when it is the same request.architecture.
static Result<Architecture> architectureFor(const MatchRequest& request, const std::shared_ptr<const Architecture>& known)
{
    if (known)
        return *known;
    return loadArchitecture(request.architecture);
}

void MatchRunner::match(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, bool reuseArchitecture)
{
    std::shared_ptr<const Architecture> known;
    if (reuseArchitecture && m_architecture && m_architecture->id == request.architecture)
        known = m_architecture;
    start<MatchReport>(
        tr("Matching against %1…").arg(request.architecture),
        [checkpoint, file, request, known](const JobControl&) -> Result<MatchReport> {
            auto architecture = architectureFor(request, known);
            if (!architecture)
                return architecture.error();
            return matchCheckpoint(*checkpoint, file, architecture.value(), request);
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
        [checkpoint, file, request, device, known](const JobControl&) -> Result<LoadReport> {
            if (auto status = TorchRuntime::instance().checkDevice(device); !status)
                return status.error();
            auto architecture = architectureFor(request, known);
            if (!architecture)
                return architecture.error();
            if (auto spec = loadableSpec(architecture.value()); !spec)
                return spec.error();
            return loadIntoModel(*checkpoint, file, architecture.value(), request, device);
        },
        [this](const LoadReport& report) { Q_EMIT loaded(report); });
}

void MatchRunner::exportStateDict(CheckpointPtr checkpoint, ExportRequest request)
{
    start<ExportSummary>(
        tr("Exporting to %1…").arg(request.output),
        [this, checkpoint, request](const JobControl& control) mutable -> Result<ExportSummary> {
            // core's exporter polls this between writes; a false return stops it and removes
            // the temporary file. Progress is throttled by the exporter's caller here: at most
            // one report per 50 ms crosses to the GUI thread.
            qint64 lastReportMs = -1000;
            QElapsedTimer clock;
            clock.start();
            request.progress = [this, &control, &clock, &lastReportMs](qint64 done, qint64 total) {
                if (control.isCancelled())
                    return false;
                if (clock.elapsed() - lastReportMs >= 50 || done == total) {
                    lastReportMs = clock.elapsed();
                    control.post([this, done, total] { Q_EMIT progress(done, total); });
                }
                return true;
            };
            return statelens::exportStateDict(*checkpoint, request);
        },
        [this, checkpoint, request](const ExportSummary& summary) {
            Q_EMIT exported(summary, exportSnippet(*checkpoint, request, summary.view));
        });
}

}  // namespace statelens::ui
