#include "checkpoint_loader.h"

#include "core/checkpoint_reader.h"

#include <QFutureWatcher>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace statelens::ui {

CheckpointLoader::CheckpointLoader(QObject* parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(1);
    qRegisterMetaType<statelens::CheckpointPtr>("statelens::CheckpointPtr");
}

CheckpointLoader::~CheckpointLoader()
{
    m_pool.waitForDone();  // opening reads metadata only: this is short
}

void CheckpointLoader::open(const QString& path)
{
    const quint64 generation = ++m_nextGeneration;
    m_generations.insert(path, generation);
    ++m_pending;
    Q_EMIT loadStarted(path);
    struct Opened {
        Result<CheckpointPtr> checkpoint = Error{};
        std::shared_ptr<ModuleTree> tree;
    };
    auto* watcher = new QFutureWatcher<Opened>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path, generation]() {
        watcher->deleteLater();
        --m_pending;
        if (m_generations.value(path) != generation)
            return;  // superseded by a newer open() of the same path
        Opened opened = watcher->result();
        if (opened.checkpoint)
            Q_EMIT loadFinished(path, opened.checkpoint.value(), opened.tree);
        else
            Q_EMIT loadFailed(path, opened.checkpoint.error().toString());
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, [path]() {
        Opened opened;
        opened.checkpoint = openCheckpoint(path);
        if (opened.checkpoint)
            opened.tree = std::make_shared<ModuleTree>(ModuleTree::build(*opened.checkpoint.value()));
        return opened;
    }));
}

}  // namespace statelens::ui
