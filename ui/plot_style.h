// Shared look of the application's QCustomPlot charts: background and axes in the system
// palette's colours, so they read on light and dark themes alike.
#pragma once

class QCustomPlot;

namespace statelens::ui {

void applyPalette(QCustomPlot* plot);

}  // namespace statelens::ui
