// A histogram of a tensor's (or a module's) values: QCustomPlot bars over [lo, hi], a log-scale
// toggle, mean and ±std markers, a readout of the bin under the mouse, and PNG/PDF export.
#pragma once

#include "core/stats/tensor_stats.h"

#include <QWidget>

class QCheckBox;
class QCPBars;
class QCPItemStraightLine;
class QCustomPlot;
class QLabel;

namespace statelens::ui {

class HistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);

    void showStats(const TensorStats& stats);
    void clear(const QString& message = {});
    void setLogScale(bool on);
    bool exportTo(const QString& path);  // .png or .pdf

    QCustomPlot* plot() const { return m_plot; }
    QCPBars* bars() const { return m_bars; }
    QLabel* readout() const { return m_readout; }
    // Counts currently drawn, one per bin (what the tests compare with core's).
    QVector<double> drawnCounts() const;

private:
    void updateReadout(QMouseEvent* event);
    void exportWithDialog();

    QCustomPlot* m_plot;
    QCPBars* m_bars;
    QCPItemStraightLine* m_mean;
    QCPItemStraightLine* m_stdLow;
    QCPItemStraightLine* m_stdHigh;
    QCheckBox* m_log;
    QLabel* m_readout;
    TensorStats m_stats;
};

}  // namespace statelens::ui
