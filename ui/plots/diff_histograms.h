// A compared tensor's two value distributions overlaid: A's and B's histograms (64 bins over
// each one's finite range, as torch.histc) drawn as steps on one axis, so a shift, a widening or
// a collapse shows at a glance. Statistics run off the GUI thread (two StatsRunners). With
// nothing selected, or nothing to draw, a sentence says why in the plot's place.
#pragma once

#include "core/model/checkpoint.h"
#include "core/stats/tensor_stats.h"

#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QLabel;

namespace statelens::ui {

class PlotArea;
class StatsRunner;

class DiffHistograms : public QWidget {
    Q_OBJECT
public:
    explicit DiffHistograms(QWidget* parent = nullptr);

    // tensorA / tensorB: indexes in each checkpoint, -1 when the side lacks the tensor.
    void show(const CheckpointPtr& a, int tensorA, const CheckpointPtr& b, int tensorB, const QString& title);
    void setDevice(const QString& device) { m_device = device; }
    // Nothing to compare: `message` (why) in the plot's place.
    void clear(const QString& message);

    QCPGraph* graphA() const { return m_a; }
    QCPGraph* graphB() const { return m_b; }
    StatsRunner* runnerA() const { return m_runnerA; }
    StatsRunner* runnerB() const { return m_runnerB; }
    PlotArea* area() const { return m_area; }

Q_SIGNALS:
    void drawn();  // both sides' histograms are in the plot (or failed)

private:
    void draw(QCPGraph* graph, const TensorStats& stats);
    void sideDone();
    void cancel();

    QLabel* m_title;
    QCustomPlot* m_plot;
    PlotArea* m_area;
    QCPGraph* m_a;
    QCPGraph* m_b;
    StatsRunner* m_runnerA;
    StatsRunner* m_runnerB;
    QString m_device = QStringLiteral("cpu");
    int m_waiting = 0;
};

}  // namespace statelens::ui
