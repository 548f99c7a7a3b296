// Runs the matching panel's work off the GUI thread: matching (describing a built-in model loads
// libtorch, ~0.6 s the first time), loading into a model, and exporting. One task at a time; a
// new one supersedes the old, whose result is dropped. Cancel stops an export at once (its file
// is never created); a match or load that libtorch is running cannot be interrupted, so it is
// abandoned: it finishes in the background and its result is discarded.
#pragma once

#include "core/export/state_dict_export.h"
#include "core/match/model_loading.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace statelens::ui {

class MatchRunner : public QObject {
    Q_OBJECT
public:
    explicit MatchRunner(QObject* parent = nullptr);
    ~MatchRunner() override;

    // `reuseArchitecture`: take the model's layout from the last match with the same
    // request.architecture instead of describing it again (one-click fixes, strict/lenient).
    void match(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, bool reuseArchitecture);
    void load(CheckpointPtr checkpoint, const QString& file, const MatchRequest& request, const QString& device);
    void exportStateDict(CheckpointPtr checkpoint, ExportRequest request);
    void cancel();
    bool isBusy() const { return m_busy; }

Q_SIGNALS:
    void busyChanged(bool busy, const QString& what);
    void progress(qint64 done, qint64 total);  // exports only; others show a busy indicator
    void matched(const statelens::MatchReport& report);
    void loaded(const statelens::LoadReport& report);
    void exported(const statelens::ExportSummary& summary, const QString& snippet);
    void failed(const QString& message);

private:
    template <typename T, typename Work, typename Done>
    void start(const QString& what, Work work, Done done);
    void setBusy(bool busy, const QString& what = {});

    quint64 m_generation = 0;
    bool m_busy = false;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    std::shared_ptr<const Architecture> m_architecture;  // of the last match
};

}  // namespace statelens::ui
