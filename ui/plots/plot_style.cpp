#include "ui/plots/plot_style.h"

#include "ui/plots/qcustomplot_include.h"

#include <QLabel>
#include <QTimer>

namespace statelens::ui {

void applyPalette(QCustomPlot* plot)
{
    const QPalette palette = plot->palette();
    plot->setBackground(palette.brush(QPalette::Base));
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        axis->setBasePen(QPen(palette.color(QPalette::Text)));
        axis->setTickPen(QPen(palette.color(QPalette::Text)));
        axis->setSubTickPen(QPen(palette.color(QPalette::Text)));
        axis->setTickLabelColor(palette.color(QPalette::Text));
        axis->setLabelColor(palette.color(QPalette::Text));
    }
}

PlotArea::PlotArea(QCustomPlot* plot, QWidget* parent)
    : QStackedWidget(parent), m_plot(plot), m_message(new QLabel(this)), m_delay(new QTimer(this))
{
    // The stack is as tall as the plot's minimum, so the layout does not jump between the two.
    // The message sits where the plot would, on the plot's background, in the muted text colour.
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setMargin(16);
    m_message->setAutoFillBackground(true);
    m_message->setBackgroundRole(QPalette::Base);
    m_message->setForegroundRole(QPalette::PlaceholderText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    addWidget(m_plot);
    addWidget(m_message);
    m_delay->setSingleShot(true);
    m_delay->setInterval(kMessageDelayMs);
    connect(m_delay, &QTimer::timeout, this, [this] { setCurrentWidget(m_message); });
    setCurrentWidget(m_message);
}

void PlotArea::showPlot()
{
    m_delay->stop();
    setCurrentWidget(m_plot);
}

void PlotArea::showMessage(const QString& message)
{
    m_delay->stop();
    m_message->setText(message);
    setCurrentWidget(m_message);
}

void PlotArea::showMessageSoon(const QString& message)
{
    m_message->setText(message);
    if (!isShowingPlot())
        return;  // the message page is already up: the new text shows at once
    m_delay->start();
}

bool PlotArea::isShowingPlot() const
{
    return currentWidget() == m_plot;
}

QString PlotArea::message() const
{
    return isShowingPlot() ? QString() : m_message->text();
}

}  // namespace statelens::ui
