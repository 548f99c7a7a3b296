// Opens checkpoints off the GUI thread and hands the result back on it, with its module tree
// already built (a few hundred ms at 100 000 tensors that must not block the event loop).
// Opening a path again supersedes its earlier open: a stale result is dropped, never shown.
// Files open one after another on one thread: file work never competes with itself on small
// machines.
#pragma once

#include "core/model/checkpoint.h"
#include "core/model/module_tree.h"
#include "ui/jobs/job_tracker.h"

#include <QObject>
#include <QThreadPool>

#include <map>
#include <memory>

namespace statelens::ui {

class CheckpointLoader : public QObject {
    Q_OBJECT
public:
    explicit CheckpointLoader(QObject* parent = nullptr);
    ~CheckpointLoader() override;

    void open(const QString& path);
    bool isBusy() const;

Q_SIGNALS:
    void loadStarted(const QString& path);
    void loadFinished(const QString& path, statelens::CheckpointPtr checkpoint,
                      std::shared_ptr<statelens::ModuleTree> tree);
    // The reader's error as it is: its code and offset say more than its text (the tab's banner
    // puts plain words from the code first).
    void loadFailed(const QString& path, const statelens::Error& error);

private:
    QThreadPool m_pool;  // declared before the trackers: they wait for their jobs before it goes
    std::map<QString, std::unique_ptr<JobTracker>> m_opens;  // one tracker per path
};

}  // namespace statelens::ui
