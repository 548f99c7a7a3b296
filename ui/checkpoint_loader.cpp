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
    auto* watcher = new QFutureWatcher<Result<CheckpointPtr>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path, generation]() {
        watcher->deleteLater();
        --m_pending;
        if (m_generations.value(path) != generation)
            return;  // superseded by a newer open() of the same path
        Result<CheckpointPtr> result = watcher->result();
        if (result)
            Q_EMIT loadFinished(path, *result);
        else
            Q_EMIT loadFailed(path, result.error().toString());
    });
    watcher->setFuture(QtConcurrent::run(&m_pool, [path]() { return openCheckpoint(path); }));
}

}  // namespace statelens::ui
