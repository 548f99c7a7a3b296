#include "diff_chart.h"

#include "plot_style.h"
#include "qcustomplot_include.h"

#include <QVBoxLayout>

#include <cmath>

namespace statelens::ui {

DiffChart::DiffChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    applyPalette(m_plot);
    m_plot->yAxis->setLabel(tr("relative change ‖a−b‖/‖a‖"));
    m_plot->xAxis->setTickLabelRotation(60);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(palette().color(QPalette::Highlight));
    m_bars->setWidth(0.8);
    m_plot->setMinimumHeight(180);
    connect(m_plot, &QCustomPlot::plottableClick, this, [this](QCPAbstractPlottable*, int index, QMouseEvent*) {
        if (index >= 0 && index < m_layers.size())
            Q_EMIT layerClicked(m_layers[index].path);
    });
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
}

void DiffChart::setLayers(const QVector<DiffTreeModel::Layer>& layers)
{
    m_layers = layers;
    QVector<double> keys;
    QVector<double> values;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    // Labels only where they fit: every layer up to 40, else a regular subset.
    const int step = std::max(1, int(layers.size()) / 40);
    double highest = 0.0;
    for (int i = 0; i < layers.size(); ++i) {
        keys.append(i);
        const double value = std::isfinite(layers[i].relL2) ? layers[i].relL2 : 0.0;
        values.append(value);
        highest = std::max(highest, value);
        if (i % step == 0)
            ticker->addTick(i, layers[i].path);
    }
    m_bars->setData(keys, values, true);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setRange(-0.6, std::max<double>(1, layers.size()) - 0.4);
    m_plot->yAxis->setRange(0, highest > 0 ? highest * 1.1 : 1.0);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace statelens::ui
