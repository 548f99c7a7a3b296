// The per-layer bar chart of a comparison: one bar per module that owns tensors, in file
// order, its height the relative L2 change ||a-b|| / ||a|| of those tensors together. Clicking
// a bar asks to show that module.
#pragma once

#include "diff_tree_model.h"

#include <QWidget>

class QCustomPlot;
class QCPBars;

namespace statelens::ui {

class DiffChart : public QWidget {
    Q_OBJECT
public:
    explicit DiffChart(QWidget* parent = nullptr);

    void setLayers(const QVector<DiffTreeModel::Layer>& layers);
    QCPBars* bars() const { return m_bars; }
    const QVector<DiffTreeModel::Layer>& layers() const { return m_layers; }

Q_SIGNALS:
    void layerClicked(const QString& path);

private:
    QCustomPlot* m_plot;
    QCPBars* m_bars;
    QVector<DiffTreeModel::Layer> m_layers;
};

}  // namespace statelens::ui
