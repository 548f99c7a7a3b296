#include "ui/plots/diff_histograms.h"

#include "ui/jobs/stats_runner.h"
#include "ui/plots/plot_style.h"
#include "ui/plots/qcustomplot_include.h"

#include <QLabel>
#include <QVBoxLayout>

namespace statelens::ui {

DiffHistograms::DiffHistograms(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_plot(new QCustomPlot(this))
    , m_runnerA(new StatsRunner(this))
    , m_runnerB(new StatsRunner(this))
{
    applyPalette(m_plot);
    m_plot->yAxis->setLabel(tr("count"));
    m_a = m_plot->addGraph();
    m_a->setName(tr("A"));
    m_a->setLineStyle(QCPGraph::lsStepCenter);
    m_a->setPen(QPen(QColor(0x2f, 0x6f, 0xc0), 1.6));
    m_a->setBrush(QColor(0x2f, 0x6f, 0xc0, 40));
    m_b = m_plot->addGraph();
    m_b->setName(tr("B"));
    m_b->setLineStyle(QCPGraph::lsStepCenter);
    m_b->setPen(QPen(QColor(0xe0, 0x7b, 0x20), 1.6));
    m_b->setBrush(QColor(0xe0, 0x7b, 0x20, 40));
    m_plot->legend->setVisible(true);
    m_plot->legend->setBrush(palette().brush(QPalette::Base));
    m_plot->legend->setTextColor(palette().color(QPalette::Text));
    m_plot->setMinimumHeight(160);
    m_area = new PlotArea(m_plot, this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    for (StatsRunner* runner : {m_runnerA, m_runnerB}) {
        QCPGraph* graph = runner == m_runnerA ? m_a : m_b;
        connect(runner, &StatsRunner::finished, this, [this, graph](const TensorStats& stats) {
            draw(graph, stats);
            sideDone();
        });
        connect(runner, &StatsRunner::failed, this, [this, graph](const QString& message) {
            graph->data()->clear();
            m_title->setText(m_title->text() + QStringLiteral("\n") + message);
            sideDone();
        });
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_area, 1);
    clear(tr("Select a tensor to compare its values."));
}

void DiffHistograms::clear(const QString& message)
{
    cancel();
    m_title->clear();
    m_title->hide();
    m_area->showMessage(message);
}

void DiffHistograms::cancel()
{
    m_runnerA->cancel();
    m_runnerB->cancel();
    m_waiting = 0;
}

void DiffHistograms::show(const CheckpointPtr& a, int tensorA, const CheckpointPtr& b, int tensorB, const QString& title)
{
    cancel();
    m_title->setText(title);
    m_title->show();
    // The previous pair stays for a moment: a quick result replaces it without a flash.
    m_area->showMessageSoon(tr("Computing both histograms…"));
    m_a->setVisible(tensorA >= 0);
    m_b->setVisible(tensorB >= 0);
    if (tensorA >= 0) {
        ++m_waiting;
        m_runnerA->request(a, {tensorA}, QString(), 64, m_device);
    }
    if (tensorB >= 0) {
        ++m_waiting;
        m_runnerB->request(b, {tensorB}, QString(), 64, m_device);
    }
}

void DiffHistograms::draw(QCPGraph* graph, const TensorStats& stats)
{
    QVector<double> keys;
    QVector<double> values;
    const int bins = int(stats.histogram.size());
    const double width = bins > 0 ? (stats.range.hi - stats.range.lo) / bins : 0.0;
    for (int i = 0; i < bins; ++i) {
        keys.append(stats.range.lo + (i + 0.5) * width);
        values.append(double(stats.histogram[i]));
    }
    graph->setData(keys, values, true);
}

void DiffHistograms::sideDone()
{
    if (--m_waiting > 0)
        return;
    const bool anything = (m_a->visible() && !m_a->data()->isEmpty()) || (m_b->visible() && !m_b->data()->isEmpty());
    if (!anything) {
        m_area->showMessage(tr("Nothing to plot: neither side has finite values."));
    } else {
        m_plot->rescaleAxes(true);
        m_plot->yAxis->setRangeLower(0);
        m_area->showPlot();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    Q_EMIT drawn();
}

}  // namespace statelens::ui
