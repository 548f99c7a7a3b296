#include "ui/tensor_details.h"

#include "ui/jobs/stats_runner.h"
#include "ui/plots/histogram_plot.h"
#include "ui/value_preview.h"

#include "core/base/display_format.h"

#include <QCheckBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTabBar>
#include <QTableView>
#include <QTabWidget>
#include <QVBoxLayout>

#include <cmath>

namespace statelens::ui {

namespace {

constexpr int kBins = 64;

QString row(const QString& name, const QString& value)
{
    return QStringLiteral("<tr><td style='padding-right:12px'><b>%1</b></td><td>%2</td></tr>").arg(name.toHtmlEscaped(), value);
}

QString number(double value, bool exists)
{
    return exists && std::isfinite(value) ? QString::number(value, 'g', 7) : QStringLiteral("–");
}

// Every tensor below a node, for a module's histogram.
void collectTensors(const ModuleTree& tree, int node, QVector<int>* tensors)
{
    const ModuleTreeNode& n = tree.node(node);
    if (n.tensor >= 0)
        tensors->append(n.tensor);
    for (int child : n.children)
        collectTensors(tree, child, tensors);
}

}  // namespace

TensorDetails::TensorDetails(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_metadata(new QLabel(this))
    , m_stats(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_views(new QTabWidget(this))  // before its pages: Tab follows creation order (orderTabStops)
    , m_histogram(new HistogramPlot(this))
    , m_values(new ValuePreview(this))
    , m_runner(new StatsRunner(this))
{
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_title->setFont(titleFont);
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    for (QLabel* label : {m_metadata, m_stats}) {
        label->setTextFormat(Qt::RichText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    }
    setStatsLinkFocusable(false);
    m_progress->setTextVisible(true);
    m_progress->hide();
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, &TensorDetails::cancelStatistics);
    connect(m_stats, &QLabel::linkActivated, this, [this] { computeStatistics(); });
    connect(m_runner, &StatsRunner::progress, this, [this](qint64 done, qint64 total) {
        // Only long jobs get a bar (a small tensor finishes before anyone could read it).
        m_progress->setRange(0, 1000);
        m_progress->setValue(total > 0 ? int(1000.0 * double(done) / double(total)) : 0);
        m_progress->setFormat(tr("%1 of %2").arg(formatBytes(done), formatBytes(total)));
        m_progress->setVisible(done < total);
        m_cancel->setVisible(done < total);
    });
    connect(m_runner, &StatsRunner::finished, this, &TensorDetails::showStats);
    connect(m_runner, &StatsRunner::failed, this, [this](const QString& message) {
        m_progress->hide();
        m_cancel->hide();
        m_stats->setText(tr("Statistics failed: %1").arg(message.toHtmlEscaped()));
        m_histogram->clear(tr("No histogram: the statistics failed."));
    });

    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 4, 4);
    layout->addWidget(m_title);
    layout->addWidget(m_metadata);
    layout->addWidget(m_stats);
    layout->addLayout(progressRow);
    // The histogram stays the first, current tab: it is what a glance (and a screenshot) needs.
    m_views->setDocumentMode(true);
    m_views->addTab(m_histogram, tr("Histogram"));
    m_views->addTab(m_values, tr("Values"));
    layout->addWidget(m_views, 1);
    // Tab stays out of the table's cells: it moves on to the next control, as everywhere else.
    m_values->table()->setTabKeyNavigation(false);
    orderTabStops();
    clear();
}

// Tab walks the page top to bottom: Cancel (while statistics run), the Histogram/Values tabs,
// then the current view's controls (the other view's are hidden, so Tab skips them). That is
// the order the widgets are created in, which Qt follows, except for the Values index spin
// boxes, made per tensor and so placed at the end of the window's chain: they go between the
// histogram's last control and the values table. (Qt 6.4's setTabOrder cannot be trusted to
// move a tab widget's tab bar, so the rest is left to the creation order.)
void TensorDetails::orderTabStops()
{
    QList<QWidget*> chain{m_histogram->exportButton()};
    for (QSpinBox* spin : m_values->indexSpinBoxes())
        chain.append(spin);
    chain.append(m_values->table());
    for (int i = 1; i < chain.size(); ++i)
        QWidget::setTabOrder(chain[i - 1], chain[i]);
}

// The statistics label is a Tab stop only while it offers a link ("Compute them").
void TensorDetails::setStatsLinkFocusable(bool focusable)
{
    Qt::TextInteractionFlags flags = Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse;
    if (focusable)
        flags |= Qt::LinksAccessibleByKeyboard;
    m_stats->setTextInteractionFlags(flags);
}

void TensorDetails::clear()
{
    m_runner->cancel();
    m_request = {};
    m_title->setText(tr("Select a tensor or a module"));
    m_metadata->clear();
    m_stats->clear();
    setStatsLinkFocusable(false);
    m_progress->hide();
    m_cancel->hide();
    m_histogram->clear();
    m_values->showMessage(tr("Select a tensor to see its values."));
}

void TensorDetails::cancelStatistics()
{
    m_runner->cancel();
    m_progress->hide();
    m_cancel->hide();
    m_stats->setText(tr("Statistics cancelled. <a href=\"compute\">Compute them</a>"));
    setStatsLinkFocusable(true);
    m_histogram->clear(tr("No histogram: the statistics were cancelled."));
}

void TensorDetails::computeStatistics()
{
    if (m_request.tensors.isEmpty())
        return;
    m_stats->clear();
    setStatsLinkFocusable(false);
    m_histogram->showPending(tr("Computing the histogram…"));
    m_runner->request(m_request.checkpoint, m_request.tensors, m_request.group, kBins, m_device);
}

void TensorDetails::showNode(const CheckpointPtr& checkpoint, const ModuleTree& tree, int node)
{
    if (!checkpoint || node <= ModuleTree::kRoot || node >= tree.size()) {
        clear();
        return;
    }
    const ModuleTreeNode& n = tree.node(node);
    const QString path = tree.path(node);
    m_title->setText(path);
    m_stats->clear();
    setStatsLinkFocusable(false);
    QString table = QStringLiteral("<table>");
    QVector<int> tensors;
    if (n.tensor >= 0) {
        const TensorInfo& t = checkpoint->tensors[n.tensor];
        table += row(tr("dtype"), dtypeName(t.dtype));
        table += row(tr("shape"), formatShape(t.shape));
        table += row(tr("strides"), formatShape(t.strides));
        table += row(tr("elements"), formatCount(t.numel()));
        table += row(tr("size"), formatBytes(t.nbytes()));
        table += row(tr("layout"), layoutName(t.layout));
        if (t.storage >= 0) {
            const StorageInfo& storage = checkpoint->storages[t.storage];
            table += row(tr("storage"), tr("%1 (%2, %3)").arg(storage.key.toHtmlEscaped(), formatBytes(storage.nbytes), storage.location));
            table += row(tr("offset"), QString::number(t.storageOffset));
        }
        if (t.viewOf >= 0)
            table += row(tr("view of"), checkpoint->tensors[t.viewOf].name.toHtmlEscaped());
        if (t.device != QLatin1String("cpu"))
            table += row(tr("saved on"), t.device);
        tensors.append(n.tensor);
        // Cheap whether or not its tab is open: nothing is decoded until the table asks.
        m_values->showTensor(checkpoint, n.tensor);
        orderTabStops();  // the tensor has its own index spin boxes
    } else if (n.isValue()) {
        table += row(tr("value"), n.value.toHtmlEscaped());
        m_values->showMessage(tr("Values are shown for tensors; this is a plain value."));
    } else {
        m_values->showMessage(tr("Values are shown for tensors; select one inside this module."));
        table += row(tr("tensors"), formatCount(n.tensorCount));
        table += row(tr("elements"), formatCount(n.numel));
        table += row(tr("size"), formatBytes(n.nbytes));
        collectTensors(tree, node, &tensors);
    }
    m_metadata->setText(table + QStringLiteral("</table>"));
    m_request = {checkpoint, tensors, n.tensor >= 0 ? QString() : path};
    if (tensors.isEmpty()) {
        m_runner->cancel();
        m_progress->hide();
        m_cancel->hide();
        m_histogram->clear(n.isValue() ? tr("%1 holds a value, not a tensor: there is nothing to plot.").arg(path)
                                       : tr("%1 holds no tensors: there is nothing to plot.").arg(path));
        return;
    }
    computeStatistics();
}

void TensorDetails::showStats(const TensorStats& stats)
{
    m_progress->hide();
    m_cancel->hide();
    const Moments& m = stats.moments;
    const bool finite = stats.hasValues() && m.finite > 0;
    QString table = QStringLiteral("<table>");
    if (!stats.hasValues()) {
        table += row(tr("statistics"), (stats.skipped.isEmpty() ? stats.error : stats.skipped).toHtmlEscaped());
    } else {
        auto flagged = [](qint64 count, const QString& text) {
            return count > 0 ? QStringLiteral("<span style='color:#d32f2f'><b>%1</b></span>").arg(text) : text;
        };
        table += row(tr("min / max"), number(m.min, finite) + QStringLiteral(" / ") + number(m.max, finite));
        table += row(tr("mean ± std"), number(m.mean, finite) + QStringLiteral(" ± ") + number(m.std(), finite && m.finite > 1));
        table += row(tr("NaN"), flagged(m.nan, formatCount(m.nan)));
        table += row(tr("±Inf"), flagged(m.inf(), formatCount(m.inf())));
        table += row(tr("zeros"), flagged(stats.allZero() ? 1 : 0, formatCount(m.zeros) + (stats.allZero() ? tr(" (all)") : QString())));
    }
    for (const QString& warning : stats.warnings)
        table += row(tr("left out"), warning.toHtmlEscaped());
    m_stats->setText(table + QStringLiteral("</table>"));
    m_histogram->showStats(stats);
}

}  // namespace statelens::ui
