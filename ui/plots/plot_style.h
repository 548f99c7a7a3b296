// Shared look and behaviour of the application's QCustomPlot charts: background and axes in the
// system palette's colours, so they read on light and dark themes alike; and PlotArea, which puts
// a sentence saying why in place of a plot that has nothing to draw (never QCustomPlot's empty
// 0-5 axes, nor the axes of the previous selection).
#pragma once

#include <QStackedWidget>

class QCustomPlot;
class QLabel;
class QTimer;

namespace statelens::ui {

void applyPalette(QCustomPlot* plot);

class PlotArea : public QStackedWidget {
    Q_OBJECT
public:
    // Takes `plot` in (reparents it).
    explicit PlotArea(QCustomPlot* plot, QWidget* parent = nullptr);

    void showPlot();
    // The message now, in place of the plot.
    void showMessage(const QString& message);
    // The message in a moment unless showPlot() comes first: a result that arrives quickly
    // replaces the previous plot without a flash of "Computing…" in between.
    void showMessageSoon(const QString& message);

    bool isShowingPlot() const;
    QString message() const;
    QLabel* messageLabel() const { return m_message; }

    static constexpr int kMessageDelayMs = 150;

private:
    QCustomPlot* m_plot;
    QLabel* m_message;
    QTimer* m_delay;
};

}  // namespace statelens::ui
