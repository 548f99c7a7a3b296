// Benchmark: the parameter tree of a 100 000-tensor checkpoint. Prints the time to open the file
// and show the tree (read + build the module tree + model reset), and the time each filter takes
// to answer (substring, regular expression, no match, cleared). Goals: under 1 s and 100 ms.
//
//   bench_tree [WORKDIR] [--keep]
#include "bench_support.h"

#include "core/checkpoint_reader.h"
#include "ui/parameter_tree_model.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTreeView>

#include <cstdio>

using namespace statelens;
using namespace statelens::bench;

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    const QString work = arguments.size() > 1 && !arguments[1].startsWith(QLatin1String("--"))
        ? arguments[1] : QDir::tempPath() + QStringLiteral("/statelens-bench");
    QDir().mkpath(work);
    const int count = 100000;
    const QString path = QStringLiteral("%1/bench_tree_%2.pt").arg(work).arg(count);
    if (!QFile::exists(path)
        && !runProcess(QLatin1String(kPython), {QStringLiteral(STATELENS_BENCH_DIR "/make_many_tensors.py"), path, QString::number(count)})) {
        std::fprintf(stderr, "could not write %s\n", qPrintable(path));
        return 1;
    }
    QTreeView view;
    ui::ParameterTreeModel model;
    view.setUniformRowHeights(true);
    view.setModel(&model);
    view.resize(1200, 800);
    view.show();
    QElapsedTimer timer;
    timer.start();
    auto opened = openCheckpoint(path);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    const double readMs = timer.nsecsElapsed() / 1e6;
    // As the application does it: the module tree is built on the loader's thread, and the GUI
    // thread only installs it and paints.
    ModuleTree tree = ModuleTree::build(**opened);
    const double builtMs = timer.nsecsElapsed() / 1e6;
    QElapsedTimer gui;
    gui.start();
    model.setCheckpoint(*opened, std::move(tree));
    view.expand(model.index(0, 0));
    QCoreApplication::processEvents();
    const double guiMs = gui.nsecsElapsed() / 1e6;
    const double shownMs = timer.nsecsElapsed() / 1e6;
    std::printf("%d tensors, %d tree nodes\n", int((*opened)->tensors.size()), model.tree().size());
    std::printf("open: read %.0f ms, tree built %.0f ms, tree shown after %.0f ms (goal < 1000 ms)\n", readMs,
                builtMs - readMs, shownMs);
    std::printf("GUI thread busy %.0f ms while showing it (goal < 100 ms)\n", guiMs);
    for (const char* filter : {"q_proj", "layers\\.1[0-9]{3}\\.mlp", "no-such-tensor", "LAYERNORM", ""}) {
        timer.restart();
        model.setFilterText(QLatin1String(filter));
        if (model.visibleTensorCount() <= 200)
            view.expandAll();
        QCoreApplication::processEvents();
        std::printf("filter %-28s %7d tensors shown in %6.1f ms (goal < 100 ms)\n",
                    qPrintable(QStringLiteral("'%1'").arg(QLatin1String(filter))), model.visibleTensorCount(),
                    timer.nsecsElapsed() / 1e6);
    }
    if (!arguments.contains(QStringLiteral("--keep")))
        QFile::remove(path);
    return 0;
}
