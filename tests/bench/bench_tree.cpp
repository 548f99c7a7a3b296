// Benchmark: the parameter tree of a 100 000-tensor checkpoint. Prints the time to open the file
// and show the tree (read + build the module tree + model reset + first paint), measured in a
// fresh process each time (a user's first open: nothing in the heap to reuse), the median of five
// beside torch.load of the same file in the same run; then the time each filter takes to answer
// (substring, regular expression, no match, cleared). Goals: under 1 s and 100 ms.
//
//   bench_tree [WORKDIR] [--keep]
//   bench_tree --open-once FILE     (one measured open; prints "read built gui shown" in ms)
#include "tests/bench/bench_support.h"

#include "core/formats/checkpoint_reader.h"
#include "ui/models/parameter_tree_model.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTreeView>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace statelens;
using namespace statelens::bench;

namespace {

struct OpenTimes {
    double readMs = 0, builtMs = 0, guiMs = 0, shownMs = 0;
};

// Opens PATH as the application does: read and module tree on one thread, then the GUI thread
// installs the tree and paints.
bool openAndShow(const QString& path, QTreeView* view, ui::ParameterTreeModel* model, OpenTimes* times)
{
    QElapsedTimer timer;
    timer.start();
    auto opened = openCheckpoint(path);
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return false;
    }
    times->readMs = timer.nsecsElapsed() / 1e6;
    ModuleTree tree = ModuleTree::build(**opened);
    times->builtMs = timer.nsecsElapsed() / 1e6 - times->readMs;
    QElapsedTimer gui;
    gui.start();
    model->setCheckpoint(*opened, std::move(tree));
    view->expand(model->index(0, 0));
    QCoreApplication::processEvents();
    times->guiMs = gui.nsecsElapsed() / 1e6;
    times->shownMs = timer.nsecsElapsed() / 1e6;
    return true;
}

}  // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    QTreeView view;
    ui::ParameterTreeModel model;
    view.setUniformRowHeights(true);
    view.setModel(&model);
    view.resize(1200, 800);
    view.show();
    if (arguments.size() > 2 && arguments[1] == QLatin1String("--open-once")) {
        OpenTimes times;
        if (!openAndShow(arguments[2], &view, &model, &times))
            return 1;
        std::printf("%.1f %.1f %.1f %.1f\n", times.readMs, times.builtMs, times.guiMs, times.shownMs);
        return 0;
    }
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

    // Cold opens, each in a fresh process.
    constexpr int kRuns = 5;
    std::vector<double> read, built, guiBusy, shown;
    for (int run = 0; run < kRuns; ++run) {
        QByteArray out;
        if (!runProcess(QCoreApplication::applicationFilePath(), {QStringLiteral("--open-once"), path}, &out)) {
            std::fprintf(stderr, "the measured open failed\n");
            return 1;
        }
        const QList<QByteArray> fields = out.trimmed().split(' ');
        if (fields.size() != 4)
            return 1;
        read.push_back(fields[0].toDouble());
        built.push_back(fields[1].toDouble());
        guiBusy.push_back(fields[2].toDouble());
        shown.push_back(fields[3].toDouble());
        std::printf("open %d: read %.0f ms, tree built %.0f ms, GUI thread %.0f ms, tree shown after %.0f ms\n", run + 1,
                    read.back(), built.back(), guiBusy.back(), shown.back());
    }
    const double torchMs = torchLoadMilliseconds(path);
    std::printf("median of %d: read %.0f ms, tree built %.0f ms, tree shown after %.0f ms (goal < 1000 ms); "
                "GUI thread busy %.0f ms (goal < 100 ms)\n",
                kRuns, median(read), median(built), median(shown), median(guiBusy));
    if (torchMs > 0)
        std::printf("torch.load of the same file (no tree, no names): %.0f ms; tree shown / torch.load = %.2f\n", torchMs,
                    median(shown) / torchMs);

    OpenTimes times;  // this process's own open, for the filters below
    if (!openAndShow(path, &view, &model, &times))
        return 1;
    std::printf("%d tensors, %d tree nodes\n", model.checkpoint() ? int(model.checkpoint()->tensors.size()) : 0, model.tree().size());
    QElapsedTimer timer;
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
