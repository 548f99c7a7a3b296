#include "plot_style.h"

#include "qcustomplot_include.h"

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

}  // namespace statelens::ui
