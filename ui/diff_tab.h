// A comparison of two checkpoints in one tab: a summary line with counts, progress and Cancel;
// the module tree coloured by status with sortable delta columns (and "only differences");
// the per-layer chart of relative change; and for a selected tensor, A's and B's value
// histograms overlaid.
#pragma once

#include "core/diff/checkpoint_diff.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTimer;
class QTreeView;

namespace statelens::ui {

class DiffChart;
class DiffHistograms;
class DiffRunner;
class DiffTreeModel;

class DiffTab : public QWidget {
    Q_OBJECT
public:
    DiffTab(const QString& pathA, const QString& pathB, QWidget* parent = nullptr);

    void start(const QString& device);
    const QString& pathA() const { return m_pathA; }
    const QString& pathB() const { return m_pathB; }
    QString summary() const;  // for the status bar

    DiffTreeModel* model() const { return m_model; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }
    QTreeView* treeView() const { return m_tree; }
    DiffChart* chart() const { return m_chart; }
    DiffHistograms* histograms() const { return m_histograms; }
    DiffRunner* runner() const { return m_runner; }
    QLabel* summaryLabel() const { return m_summary; }
    QCheckBox* onlyDifferences() const { return m_onlyDifferences; }
    QPushButton* cancelButton() const { return m_cancel; }

Q_SIGNALS:
    void comparisonFinished();  // every result in, cancelled, or failed

private:
    void updateSummary();
    void showSelection(const QModelIndex& current);
    void selectPath(const QString& path);

    QString m_pathA;
    QString m_pathB;
    CheckpointPtr m_a;
    CheckpointPtr m_b;
    QString m_state;  // "comparing", "done", "cancelled", or the error
    QLabel* m_summary;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QCheckBox* m_onlyDifferences;
    QTreeView* m_tree;
    DiffTreeModel* m_model;
    QSortFilterProxyModel* m_proxy;
    DiffChart* m_chart;
    DiffHistograms* m_histograms;
    DiffRunner* m_runner;
    QTimer* m_chartTimer;
};

}  // namespace statelens::ui
