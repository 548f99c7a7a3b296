#include "ui/plots/diff_chart.h"

#include "ui/plots/plot_style.h"
#include "ui/plots/qcustomplot_include.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScrollBar>
#include <QVBoxLayout>

#include <cmath>

namespace statelens::ui {

namespace {

constexpr double kBarThickness = 0.7;  // of a row's height
constexpr int kLabelWidth = 220;       // pixels; longer layer paths are elided in the middle
const QColor kShapeChanged(0xa0, 0x4f, 0xc8);  // the tree's tint for shape_changed

// Why a layer's row has no comparable bar, or what else a reader should know about it.
QString markOf(const DiffTreeModel::Layer& layer)
{
    QStringList notes;
    if (layer.has(DiffStatus::ShapeChanged))
        notes.append(DiffChart::tr("shape changed"));
    if (layer.has(DiffStatus::DtypeChanged))
        notes.append(DiffChart::tr("dtype changed"));
    if (layer.has(DiffStatus::OnlyA))
        notes.append(DiffChart::tr("only in A"));
    if (layer.has(DiffStatus::OnlyB))
        notes.append(DiffChart::tr("only in B"));
    // A layer still being compared has no note: its bar appears when it is done, and a note
    // per row would be hundreds of items redrawn five times a second on a large model.
    if (layer.unchanged())
        notes.append(DiffChart::tr("unchanged"));
    return notes.join(QStringLiteral(", "));
}

}  // namespace

DiffChart::DiffChart(QWidget* parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_scroll(new QScrollBar(Qt::Vertical, this))
    , m_readout(new QLabel(this))
{
    applyPalette(m_plot);
    // Layers down the left, their change along the bottom: long paths and the axis title both
    // read horizontally, and any number of layers fits by scrolling.
    m_plot->xAxis->setLabel(tr("relative change ‖a−b‖/‖a‖ per layer"));
    m_plot->yAxis->setRangeReversed(true);  // file order from the top
    m_plot->yAxis->setSubTicks(false);
    m_plot->yAxis->setTickLength(0, 3);
    m_plot->yAxis->grid()->setVisible(false);
    m_bars = new QCPBars(m_plot->yAxis, m_plot->xAxis);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(palette().color(QPalette::Highlight));
    m_bars->setWidthType(QCPBars::wtAbsolute);
    // Room on the right for the last tick label, which QCustomPlot centres on the axis' end.
    m_plot->axisRect()->setMinimumMargins(QMargins(0, 8, 24, 0));
    m_plot->setMinimumHeight(180);
    m_plot->setMouseTracking(true);
    m_area = new PlotArea(m_plot, this);
    m_area->showMessage(tr("Reading both files…"));
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        updateScrollRange();
        applyScroll();
    });
    connect(m_plot, &QCustomPlot::mousePress, this, &DiffChart::click);
    connect(m_plot, &QCustomPlot::mouseMove, this, &DiffChart::hover);
    connect(m_plot, &QCustomPlot::mouseWheel, this, &DiffChart::scrollBy);
    connect(m_scroll, &QScrollBar::valueChanged, this, [this] {
        applyScroll();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    m_scroll->hide();
    m_readout->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_readout->setWordWrap(true);

    auto* chartRow = new QHBoxLayout;
    chartRow->setSpacing(0);
    chartRow->addWidget(m_area, 1);
    chartRow->addWidget(m_scroll);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(chartRow, 1);
    layout->addWidget(m_readout);
}

void DiffChart::setLayers(const QVector<DiffTreeModel::Layer>& layers)
{
    m_layers = layers;
    buildRows();
    if (m_rows.isEmpty()) {
        showMessage(tr("No layers to chart: neither file holds tensors."));
        return;
    }
    m_area->showPlot();
    draw();
}

void DiffChart::showMessage(const QString& message)
{
    m_rows.clear();
    m_bars->data()->clear();
    m_readout->clear();
    m_scroll->hide();
    m_area->showMessage(message);
}

void DiffChart::unfold(int row)
{
    if (row < 0 || row >= m_rows.size() || !m_rows[row].isFold())
        return;
    for (int i = m_rows[row].firstLayer; i < m_rows[row].firstLayer + m_rows[row].layerCount; ++i)
        m_unfolded.insert(m_layers[i].path);
    buildRows();
    draw();
}

// One row per layer, except runs of unchanged layers the user has not unfolded: one row each.
void DiffChart::buildRows()
{
    m_rows.clear();
    const QFontMetrics metrics(m_plot->yAxis->tickLabelFont());
    auto elided = [&](const QString& text) { return metrics.elidedText(text, Qt::ElideMiddle, kLabelWidth); };
    auto foldable = [this](int i) { return m_layers[i].unchanged() && !m_unfolded.contains(m_layers[i].path); };
    for (int i = 0; i < m_layers.size();) {
        int end = i;
        while (end < m_layers.size() && foldable(end))
            ++end;
        if (end - i >= kMinFold) {
            Row fold;
            fold.path = m_layers[i].path;
            fold.label = tr("%n unchanged layers", nullptr, end - i);
            fold.mark = tr("%1 … %2: click to show them").arg(elided(m_layers[i].path), elided(m_layers[end - 1].path));
            fold.firstLayer = i;
            fold.layerCount = end - i;
            m_rows.append(fold);
            i = end;
            continue;
        }
        const DiffTreeModel::Layer& layer = m_layers[i];
        Row row;
        row.path = layer.path;
        row.label = elided(layer.path);
        row.mark = markOf(layer);
        row.value = std::isfinite(layer.relL2) ? layer.relL2 : std::numeric_limits<double>::quiet_NaN();
        row.firstLayer = i;
        m_rows.append(row);
        ++i;
    }
}

void DiffChart::draw()
{
    QVector<double> keys;
    QVector<double> values;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double highest = 0.0;
    for (int i = 0; i < m_rows.size(); ++i) {
        const Row& row = m_rows[i];
        ticker->addTick(i, row.label);
        if (row.isFold() || std::isnan(row.value))
            continue;
        keys.append(i);
        values.append(row.value);
        highest = std::max(highest, row.value);
    }
    m_bars->setData(keys, values, true);
    m_bars->setWidth(kBarThickness * rowHeight());
    m_plot->yAxis->setTicker(ticker);
    // Room after the longest bar for its mark.
    m_plot->xAxis->setRange(0, highest > 0 ? highest * 1.15 : 1.0);
    placeMarks();
    updateScrollRange();
    applyScroll();
    m_readout->setText(summary());
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

// A mark sits just after its row's bar: the reason there is none, or a note such as a cast.
void DiffChart::placeMarks()
{
    for (QCPItemText* mark : m_marks)
        m_plot->removeItem(mark);
    m_marks.clear();
    const QColor muted = palette().color(QPalette::PlaceholderText);
    for (int i = 0; i < m_rows.size(); ++i) {
        const Row& row = m_rows[i];
        if (row.mark.isEmpty())
            continue;
        auto* mark = new QCPItemText(m_plot);
        mark->setText(row.mark);
        mark->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        mark->position->setCoords(std::isnan(row.value) ? 0.0 : row.value, i);
        mark->setPadding(QMargins(4, 0, 0, 0));
        const bool shape = !row.isFold() && m_layers[row.firstLayer].has(DiffStatus::ShapeChanged);
        mark->setColor(shape ? kShapeChanged : muted);
        if (shape) {
            QFont bold = mark->font();
            bold.setBold(true);
            mark->setFont(bold);
        }
        m_marks.append(mark);
    }
}

int DiffChart::rowHeight() const
{
    return QFontMetrics(m_plot->yAxis->tickLabelFont()).height() + 6;
}

int DiffChart::visibleRowCount() const
{
    // Before the first layout the axis rect has no size yet: estimate it from the widget's.
    const int height = m_plot->axisRect()->height() > 0 ? m_plot->axisRect()->height() : m_plot->height() - 50;
    return std::max(1, height / rowHeight());
}

int DiffChart::firstVisibleRow() const
{
    return m_scroll->isVisible() ? m_scroll->value() : 0;
}

void DiffChart::updateScrollRange()
{
    const int visible = visibleRowCount();
    const int hidden = std::max(0, int(m_rows.size()) - visible);
    m_scroll->setRange(0, hidden);
    m_scroll->setPageStep(visible);
    m_scroll->setVisible(hidden > 0);
}

// The rows on screen: all of them when they fit, spread over the height; else a window of rows
// at their natural height, from the scroll bar's position.
void DiffChart::applyScroll()
{
    const int visible = visibleRowCount();
    const int count = int(m_rows.size());
    if (count <= visible) {
        m_plot->yAxis->setRange(-0.5, std::max(1, count) - 0.5);
        return;
    }
    const int first = m_scroll->value();
    m_plot->yAxis->setRange(first - 0.5, first + visible - 0.5);
}

QPoint DiffChart::rowPosition(int row) const
{
    return QPoint(int(m_plot->xAxis->coordToPixel(0)) + 2, int(m_plot->yAxis->coordToPixel(row)));
}

// The row under `position` (plot coordinates), its label included; -1 if none.
int DiffChart::rowAt(const QPoint& position) const
{
    const QRect rect = m_plot->axisRect()->rect();
    if (position.y() < rect.top() || position.y() > rect.bottom() || position.x() > rect.right())
        return -1;
    const int row = int(std::lround(m_plot->yAxis->pixelToCoord(position.y())));
    return row >= 0 && row < m_rows.size() ? row : -1;
}

void DiffChart::click(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return;
    const int row = rowAt(event->position().toPoint());
    if (row < 0)
        return;
    if (m_rows[row].isFold())
        unfold(row);
    else
        Q_EMIT layerClicked(m_rows[row].path);
}

void DiffChart::hover(QMouseEvent* event)
{
    const int row = rowAt(event->position().toPoint());
    m_plot->setCursor(row >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
    if (row < 0) {
        m_readout->setText(summary());
        return;
    }
    const Row& r = m_rows[row];
    if (r.isFold()) {
        m_readout->setText(tr("%1 unchanged layers, %2 … %3: click to show them")
                               .arg(r.layerCount)
                               .arg(m_layers[r.firstLayer].path, m_layers[r.firstLayer + r.layerCount - 1].path));
        return;
    }
    QString text = std::isnan(r.value) ? r.path : tr("%1: ‖a−b‖/‖a‖ %2").arg(r.path, QString::number(r.value, 'g', 4));
    if (!r.mark.isEmpty())
        text += QStringLiteral(" (%1)").arg(r.mark);
    m_readout->setText(text);
}

void DiffChart::scrollBy(QWheelEvent* event)
{
    // Three rows per notch, as a list view scrolls.
    const int rows = -event->angleDelta().y() * 3 / 120;
    m_scroll->setValue(m_scroll->value() + rows);
    event->accept();
}

QString DiffChart::summary() const
{
    int unchanged = 0;
    int shapeChanged = 0;
    for (const DiffTreeModel::Layer& layer : m_layers) {
        unchanged += layer.unchanged() ? 1 : 0;
        shapeChanged += layer.has(DiffStatus::ShapeChanged) ? 1 : 0;
    }
    QStringList parts{tr("%n layers", nullptr, int(m_layers.size()))};
    if (unchanged > 0)
        parts.append(tr("%1 unchanged").arg(unchanged));
    if (shapeChanged > 0)
        parts.append(tr("%1 with a shape change").arg(shapeChanged));
    return parts.join(QStringLiteral(" · ")) + tr(" · click a layer to show it");
}

}  // namespace statelens::ui
