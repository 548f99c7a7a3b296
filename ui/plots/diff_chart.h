// The per-layer chart of a comparison: one horizontal bar per module that owns tensors, in file
// order from the top, its length the relative L2 change ||a-b|| / ||a|| of those tensors
// together. Built for deep models: the rows scroll (wheel or scroll bar) under a fixed axis, a
// run of unchanged layers folds into one row (a click unfolds it), and a layer whose tensors
// cannot be compared says why beside its row (shape changed, only in A or B). Clicking a layer's
// row asks to show that module; hovering one names it in full under the chart.
#pragma once

#include "ui/models/diff_tree_model.h"

#include <QSet>
#include <QWidget>

class QCPBars;
class QCPItemText;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QScrollBar;
class QWheelEvent;

namespace statelens::ui {

class PlotArea;

class DiffChart : public QWidget {
    Q_OBJECT
public:
    // One row: a layer, or a run of unchanged layers folded into one.
    struct Row {
        QString path;           // the layer's (a fold's first layer's)
        QString label;          // what the axis says
        QString mark;           // why there is no comparable bar ("shape changed", ...), or empty
        double value = std::numeric_limits<double>::quiet_NaN();  // the bar's length; NaN: none
        int firstLayer = 0;     // index into layers()
        int layerCount = 1;     // more than 1: a fold

        bool isFold() const { return layerCount > 1; }
    };

    explicit DiffChart(QWidget* parent = nullptr);

    void setLayers(const QVector<DiffTreeModel::Layer>& layers);
    // Nothing to chart: `message` (why) in the chart's place.
    void showMessage(const QString& message);
    // Shows a fold's layers one row each (a click on the fold does the same).
    void unfold(int row);

    const QVector<DiffTreeModel::Layer>& layers() const { return m_layers; }
    const QVector<Row>& rows() const { return m_rows; }
    QCustomPlot* plot() const { return m_plot; }
    QCPBars* bars() const { return m_bars; }
    QScrollBar* scrollBar() const { return m_scroll; }
    QLabel* readout() const { return m_readout; }
    PlotArea* area() const { return m_area; }
    // The rows on screen: the first one and how many.
    int firstVisibleRow() const;
    int visibleRowCount() const;
    // Where row `row` is drawn, in the plot's coordinates (at the start of its bar).
    QPoint rowPosition(int row) const;

    static constexpr int kMinFold = 2;  // a single unchanged layer keeps its own row

Q_SIGNALS:
    void layerClicked(const QString& path);

private:
    void buildRows();
    void draw();
    void placeMarks();
    void updateScrollRange();
    void applyScroll();
    int rowAt(const QPoint& position) const;
    void click(QMouseEvent* event);
    void hover(QMouseEvent* event);
    void scrollBy(QWheelEvent* event);
    QString summary() const;
    int rowHeight() const;

    QCustomPlot* m_plot;
    PlotArea* m_area;
    QCPBars* m_bars;
    QScrollBar* m_scroll;
    QLabel* m_readout;
    QVector<DiffTreeModel::Layer> m_layers;
    QVector<Row> m_rows;
    QVector<QCPItemText*> m_marks;
    QSet<QString> m_unfolded;  // layers the user unfolded: they stay unfolded as results arrive
};

}  // namespace statelens::ui
