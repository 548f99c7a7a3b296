// Details of the selected tree node: a tensor's metadata (dtype, shape, strides, storage, offset,
// view of), its statistics with NaN/Inf/zero flags, and under them two tabs: its histogram (the
// default) and its values (ValuePreview); for a module, the histogram of all its tensors
// together. Statistics run off the GUI thread (StatsRunner).
#pragma once

#include "core/model/checkpoint.h"
#include "core/model/module_tree.h"
#include "core/stats/tensor_stats.h"

#include <QWidget>

class QFormLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;

namespace statelens::ui {

class HistogramPlot;
class StatsRunner;
class ValuePreview;

class TensorDetails : public QWidget {
    Q_OBJECT
public:
    explicit TensorDetails(QWidget* parent = nullptr);

    // Shows `node` of `tree` (built from `checkpoint`) and starts its statistics.
    void showNode(const CheckpointPtr& checkpoint, const ModuleTree& tree, int node);
    void clear();
    void setDevice(const QString& device) { m_device = device; }

    HistogramPlot* histogram() const { return m_histogram; }
    ValuePreview* valuePreview() const { return m_values; }
    QTabWidget* views() const { return m_views; }  // "Histogram" (index 0) and "Values"
    StatsRunner* runner() const { return m_runner; }
    QLabel* statsLabel() const { return m_stats; }
    QLabel* titleLabel() const { return m_title; }
    QPushButton* cancelButton() const { return m_cancel; }

private:
    void showStats(const TensorStats& stats);
    void computeStatistics();  // of m_request, again after a Cancel
    void cancelStatistics();
    void orderTabStops();
    void setStatsLinkFocusable(bool focusable);

    // What the statistics are computed over: one tensor, or a module's tensors as one group.
    struct Request {
        CheckpointPtr checkpoint;
        QVector<int> tensors;
        QString group;  // empty for one tensor
    };

    QLabel* m_title;
    QLabel* m_metadata;
    QLabel* m_stats;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QTabWidget* m_views;
    HistogramPlot* m_histogram;
    ValuePreview* m_values;
    StatsRunner* m_runner;
    Request m_request;
    QString m_device = QStringLiteral("cpu");
};

}  // namespace statelens::ui
