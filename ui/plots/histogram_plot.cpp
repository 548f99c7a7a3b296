#include "ui/plots/histogram_plot.h"

#include "ui/plots/plot_style.h"

#include "ui/plots/qcustomplot_include.h"

#include "core/base/display_format.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace statelens::ui {

namespace {

QCPItemStraightLine* verticalLine(QCustomPlot* plot, const QPen& pen)
{
    auto* line = new QCPItemStraightLine(plot);
    line->setPen(pen);
    line->setVisible(false);
    return line;
}

void placeVertical(QCPItemStraightLine* line, double x)
{
    line->point1->setCoords(x, 0);
    line->point2->setCoords(x, 1);
    line->setVisible(std::isfinite(x));
}

// Why a finished computation left nothing to draw.
QString nothingToPlot(const TensorStats& stats)
{
    if (!stats.hasValues())
        return stats.skipped.isEmpty() ? stats.error : stats.skipped;
    if (stats.numel == 0)
        return QCoreApplication::translate("HistogramPlot", "No elements: an empty tensor has no histogram.");
    return QCoreApplication::translate("HistogramPlot", "No finite values: all %1 are NaN or ±Inf.").arg(formatCount(stats.numel));
}

}  // namespace

HistogramPlot::HistogramPlot(QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_log(new QCheckBox(tr("Log scale"), this))
    , m_export(new QPushButton(tr("Export…"), this))
    , m_readout(new QLabel(this))
{
    applyPalette(m_plot);  // light or dark, as the system
    const QPalette palette = this->palette();
    m_plot->yAxis->setLabel(tr("count"));
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(palette.color(QPalette::Highlight));
    m_mean = verticalLine(m_plot, QPen(QColor(0xd3, 0x2f, 0x2f), 1.5));
    m_stdLow = verticalLine(m_plot, QPen(QColor(0xd3, 0x2f, 0x2f), 1, Qt::DashLine));
    m_stdHigh = verticalLine(m_plot, QPen(QColor(0xd3, 0x2f, 0x2f), 1, Qt::DashLine));
    m_plot->setMinimumHeight(180);
    m_area = new PlotArea(m_plot, this);
    connect(m_plot, &QCustomPlot::mouseMove, this, &HistogramPlot::updateReadout);
    connect(m_log, &QCheckBox::toggled, this, &HistogramPlot::setLogScale);

    m_export->setToolTip(tr("Save the histogram as PNG or PDF"));
    connect(m_export, &QPushButton::clicked, this, &HistogramPlot::exportWithDialog);
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* controls = new QHBoxLayout;
    controls->addWidget(m_log);
    controls->addWidget(m_readout, 1);
    controls->addWidget(m_export);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_area, 1);
    layout->addLayout(controls);
    clear();
}

void HistogramPlot::clear(const QString& message)
{
    m_stats = TensorStats();
    m_bars->data()->clear();
    for (QCPItemStraightLine* line : {m_mean, m_stdLow, m_stdHigh})
        line->setVisible(false);
    m_readout->clear();
    setControlsEnabled(false);
    m_area->showMessage(message.isEmpty() ? tr("Select a tensor or a module to see how its values are distributed.") : message);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramPlot::showPending(const QString& message)
{
    // The previous plot stays for a moment (it is replaced without a flash when the new
    // statistics come quickly); what described it goes at once.
    m_readout->clear();
    setControlsEnabled(false);
    m_area->showMessageSoon(message);
}

void HistogramPlot::showStats(const TensorStats& stats)
{
    const int bins = int(stats.histogram.size());
    if (bins == 0) {
        clear(nothingToPlot(stats));
        return;
    }
    m_stats = stats;
    const double width = (stats.range.hi - stats.range.lo) / bins;
    QVector<double> keys(bins), values(bins);
    for (int b = 0; b < bins; ++b) {
        keys[b] = stats.range.lo + (b + 0.5) * width;
        values[b] = double(stats.histogram[b]);
    }
    m_bars->setWidth(width);
    m_bars->setData(keys, values, true);
    m_plot->xAxis->setRange(stats.range.lo, stats.range.hi);
    const double mean = stats.moments.mean, std = stats.moments.std();
    placeVertical(m_mean, mean);
    placeVertical(m_stdLow, mean - std);
    placeVertical(m_stdHigh, mean + std);
    m_readout->setText(tr("%1 bins over [%2, %3]").arg(bins)
                           .arg(QString::number(stats.range.lo, 'g', 6), QString::number(stats.range.hi, 'g', 6)));
    setControlsEnabled(true);
    m_area->showPlot();
    setLogScale(m_log->isChecked());
}

// Log scale and Export act on a drawn histogram only.
void HistogramPlot::setControlsEnabled(bool enabled)
{
    m_log->setEnabled(enabled);
    m_export->setEnabled(enabled);
}

QString HistogramPlot::message() const
{
    return m_area->message();
}

void HistogramPlot::setLogScale(bool on)
{
    if (m_log->isChecked() != on)
        m_log->setChecked(on);
    m_plot->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else {
        // Counts are whole numbers: ticks at multiples of 1, 2, 5, 10, ...
        auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
        ticker->setTickStep(1.0);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        m_plot->yAxis->setTicker(ticker);
    }
    // Log scale starts at 0.5 so single counts show; linear at 0.
    bool found = false;
    const QCPRange range = m_bars->getValueRange(found);
    m_plot->yAxis->setRange(on ? 0.5 : 0.0, found ? std::max(1.0, range.upper * (on ? 2.0 : 1.05)) : 1.0);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramPlot::updateReadout(QMouseEvent* event)
{
    const int bins = int(m_stats.histogram.size());
    if (bins == 0)
        return;
    const double x = m_plot->xAxis->pixelToCoord(event->position().x());
    const double width = (m_stats.range.hi - m_stats.range.lo) / bins;
    const int bin = int(std::floor((x - m_stats.range.lo) / width));
    if (bin < 0 || bin >= bins)
        return;
    m_readout->setText(tr("[%1, %2): %3 values")
                           .arg(QString::number(m_stats.range.lo + bin * width, 'g', 6),
                                QString::number(m_stats.range.lo + (bin + 1) * width, 'g', 6),
                                formatCount(m_stats.histogram[bin])));
}

bool HistogramPlot::exportTo(const QString& path)
{
    if (path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive))
        return m_plot->savePdf(path);
    return m_plot->savePng(path);
}

void HistogramPlot::exportWithDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Histogram"), m_stats.name + QStringLiteral(".png"),
                                                      tr("PNG image (*.png);;PDF document (*.pdf)"));
    if (!path.isEmpty())
        exportTo(path);
}

QVector<double> HistogramPlot::drawnCounts() const
{
    QVector<double> counts;
    if (!m_area->isShowingPlot())
        return counts;
    for (auto it = m_bars->data()->constBegin(); it != m_bars->data()->constEnd(); ++it)
        counts.append(it->value);
    return counts;
}

}  // namespace statelens::ui
