// A histogram of a tensor's (or a module's) values: QCustomPlot bars over [lo, hi], a log-scale
// toggle, mean and ±std markers, a readout of the bin under the mouse, and PNG/PDF export. With
// nothing to draw (no selection, a plain value, no finite values, statistics cancelled) it shows
// a sentence saying why in the plot's place.
#pragma once

#include "core/stats/tensor_stats.h"

#include <QWidget>

class QCheckBox;
class QCPBars;
class QCPItemStraightLine;
class QCustomPlot;
class QLabel;
class QPushButton;

namespace statelens::ui {

class PlotArea;

class HistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);

    void showStats(const TensorStats& stats);
    // Nothing to plot: `message` (why) in the plot's place; empty: the invitation to select.
    void clear(const QString& message = {});
    // Statistics are on their way: `message` replaces the plot unless they arrive within moments.
    void showPending(const QString& message);
    void setLogScale(bool on);
    bool exportTo(const QString& path);  // .png or .pdf

    QCustomPlot* plot() const { return m_plot; }
    QCPBars* bars() const { return m_bars; }
    QLabel* readout() const { return m_readout; }  // the footer: bins and range, or the bin under the mouse
    PlotArea* area() const { return m_area; }
    QCheckBox* logScaleBox() const { return m_log; }
    QPushButton* exportButton() const { return m_export; }
    // What stands in the plot's place (empty while the plot shows).
    QString message() const;
    // Counts currently drawn, one per bin (what the tests compare with core's); empty while a
    // message stands in the plot's place.
    QVector<double> drawnCounts() const;

private:
    void updateReadout(QMouseEvent* event);
    void exportWithDialog();
    void setControlsEnabled(bool enabled);

    QCustomPlot* m_plot;
    PlotArea* m_area;
    QCPBars* m_bars;
    QCPItemStraightLine* m_mean;
    QCPItemStraightLine* m_stdLow;
    QCPItemStraightLine* m_stdHigh;
    QCheckBox* m_log;
    QPushButton* m_export;
    QLabel* m_readout;
    TensorStats m_stats;
};

}  // namespace statelens::ui
