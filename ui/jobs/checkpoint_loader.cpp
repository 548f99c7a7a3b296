#include "ui/jobs/checkpoint_loader.h"

#include "core/formats/checkpoint_reader.h"

#include <algorithm>

namespace statelens::ui {

CheckpointLoader::CheckpointLoader(QObject* parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
    qRegisterMetaType<statelens::CheckpointPtr>("statelens::CheckpointPtr");
}

CheckpointLoader::~CheckpointLoader()
{
    m_opens.clear();  // each tracker cancels and waits (opening reads metadata only: short)
}

bool CheckpointLoader::isBusy() const
{
    return std::any_of(m_opens.begin(), m_opens.end(), [](const auto& open) { return open.second->isRunning(); });
}

void CheckpointLoader::open(const QString& path)
{
    std::unique_ptr<JobTracker>& tracker = m_opens[path];
    if (!tracker)
        tracker = std::make_unique<JobTracker>(this, &m_pool);
    struct Opened {
        Result<CheckpointPtr> checkpoint = Error{};
        std::shared_ptr<ModuleTree> tree;
    };
    Q_EMIT loadStarted(path);
    tracker->start(
        [path](const JobControl&) {
            Opened opened;
            OpenOptions options;
            options.acceptWithoutTensors = true;  // the tab shows what a config pickle holds
            opened.checkpoint = openCheckpoint(path, options);
            if (opened.checkpoint)
                opened.tree = std::make_shared<ModuleTree>(ModuleTree::build(*opened.checkpoint.value()));
            return opened;
        },
        [this, path](const Opened& opened) {
            if (opened.checkpoint)
                Q_EMIT loadFinished(path, opened.checkpoint.value(), opened.tree);
            else
                Q_EMIT loadFailed(path, opened.checkpoint.error());
        });
}

}  // namespace statelens::ui
