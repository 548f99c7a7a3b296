#include "ui/diff_tab.h"

#include "ui/jobs/diff_runner.h"
#include "ui/models/diff_tree_model.h"
#include "ui/plots/diff_chart.h"
#include "ui/plots/diff_histograms.h"

#include "core/base/display_format.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace statelens::ui {

namespace {

// Keeps rows that differ (or have something below that differs) when asked. Sorts the delta
// columns by their numbers with the blanks (not compared, undefined) last in either order.
class DiffFilterProxy : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setOnlyDifferences(bool only)
    {
        m_only = only;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override
    {
        return !m_only || sourceModel()->index(row, 0, parent).data(DiffTreeModel::DiffersRole).toBool();
    }

    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override
    {
        if (left.column() < DiffTreeModel::MaxAbsColumn)
            return QSortFilterProxyModel::lessThan(left, right);
        const QVariant a = left.data(DiffTreeModel::SortRole);
        const QVariant b = right.data(DiffTreeModel::SortRole);
        if (a.isValid() && b.isValid())
            return a.toDouble() < b.toDouble();
        // A descending sort puts the "lesser" last, an ascending one the "greater": a blank is
        // whichever of the two ends last.
        if (a.isValid() == b.isValid())
            return false;
        return sortOrder() == Qt::DescendingOrder ? !a.isValid() : !b.isValid();
    }

private:
    bool m_only = false;
};

}  // namespace

DiffTab::DiffTab(const QString& pathA, const QString& pathB, QWidget* parent)
    : QWidget(parent)
    , m_pathA(pathA)
    , m_pathB(pathB)
    , m_summary(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_onlyDifferences(new QCheckBox(tr("Only differences"), this))
    , m_tree(new QTreeView(this))
    , m_model(new DiffTreeModel(this))
    , m_proxy(new DiffFilterProxy(this))
    , m_chart(new DiffChart(this))
    , m_histograms(new DiffHistograms(this))
    , m_runner(new DiffRunner(this))
    , m_chartTimer(new QTimer(this))
{
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(240);
    connect(m_cancel, &QPushButton::clicked, m_runner, &DiffRunner::cancel);
    connect(m_onlyDifferences, &QCheckBox::toggled, this, [this](bool only) {
        static_cast<DiffFilterProxy*>(m_proxy)->setOnlyDifferences(only);
        m_tree->expandToDepth(only ? 8 : 0);
    });

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(DiffTreeModel::SortRole);
    m_proxy->setRecursiveFilteringEnabled(true);
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSortingEnabled(true);
    m_tree->header()->setSortIndicator(-1, Qt::AscendingOrder);  // file order until the user sorts
    m_tree->header()->setSortIndicatorClearable(true);           // and again after a third click
    m_tree->header()->resizeSection(DiffTreeModel::NameColumn, 220);
    m_tree->header()->resizeSection(DiffTreeModel::StatusColumn, 130);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &DiffTab::showSelection);
    connect(m_chart, &DiffChart::layerClicked, this, &DiffTab::selectPath);

    // The chart follows results at most five times a second: redrawing per tensor would cost
    // more than the comparison itself on small tensors.
    m_chartTimer->setInterval(200);
    connect(m_chartTimer, &QTimer::timeout, this, [this] { m_chart->setLayers(m_model->layers()); });

    connect(m_runner, &DiffRunner::planned, this, [this](CheckpointPtr a, CheckpointPtr b, const DiffPlan& plan) {
        m_a = std::move(a);
        m_b = std::move(b);
        m_model->setPlan(plan);
        m_tree->expandToDepth(0);
        m_chart->setLayers(m_model->layers());
        m_chartTimer->start();
        updateSummary();
    });
    connect(m_runner, &DiffRunner::result, this, [this](const TensorDiff& diff) {
        m_model->setResult(diff);
        updateSummary();
    });
    connect(m_runner, &DiffRunner::progress, this, [this](qint64 done, qint64 total) {
        m_progress->setValue(total > 0 ? int(1000.0 * double(done) / double(total)) : 0);
    });
    connect(m_runner, &DiffRunner::finished, this, [this](bool cancelled) {
        m_state = cancelled ? tr("cancelled") : QStringLiteral("done");
        m_chartTimer->stop();
        m_chart->setLayers(m_model->layers());
        updateSummary();
        Q_EMIT comparisonFinished();
    });
    connect(m_runner, &DiffRunner::failed, this, [this](const QString& message) {
        m_state = message;
        m_chartTimer->stop();
        if (m_model->plan().entries.isEmpty())
            m_chart->showMessage(tr("No chart: the comparison failed."));
        updateSummary();
        Q_EMIT comparisonFinished();
    });

    auto* top = new QHBoxLayout;
    top->addWidget(m_summary, 1);
    top->addWidget(m_onlyDifferences);
    top->addWidget(m_progress);
    top->addWidget(m_cancel);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(m_chart);
    right->addWidget(m_histograms);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_tree);
    split->addWidget(right);
    split->setSizes({620, 480});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(split, 1);
}

void DiffTab::start(const QString& device)
{
    m_state = QStringLiteral("comparing");
    m_histograms->setDevice(device);
    updateSummary();
    m_runner->start(m_pathA, m_pathB, device);
}

QString DiffTab::summary() const
{
    QStringList parts;
    for (DiffStatus status : {DiffStatus::Same, DiffStatus::Changed, DiffStatus::ShapeChanged, DiffStatus::DtypeChanged,
                              DiffStatus::OnlyA, DiffStatus::OnlyB}) {
        if (m_model->count(status) > 0)
            parts.append(QStringLiteral("%1 %2").arg(formatCount(m_model->count(status)), diffStatusName(status)));
    }
    if (m_model->pendingCount() > 0)
        parts.append(tr("%1 comparing").arg(formatCount(m_model->pendingCount())));
    return parts.join(QStringLiteral(" · "));
}

void DiffTab::updateSummary()
{
    const bool busy = m_state == QLatin1String("comparing");
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    QString text = tr("<b>A</b> %1 &nbsp; <b>B</b> %2<br>%3")
                       .arg(QFileInfo(m_pathA).fileName().toHtmlEscaped(), QFileInfo(m_pathB).fileName().toHtmlEscaped(),
                            summary().toHtmlEscaped());
    if (!busy && m_state != QLatin1String("done"))
        text += QStringLiteral(" <span style='color:#c0392b'>%1</span>").arg(m_state.toHtmlEscaped());
    m_summary->setText(text);
    m_summary->setToolTip(QStringLiteral("A: %1\nB: %2").arg(m_pathA, m_pathB));
}

void DiffTab::showSelection(const QModelIndex& current)
{
    const int entry = current.data(DiffTreeModel::EntryRole).toInt();
    if (!current.isValid() || !m_a || !m_b) {
        m_histograms->clear(tr("Select a tensor to compare its values."));
        return;
    }
    if (entry < 0) {
        m_histograms->clear(tr("%1 is a module: select one of its tensors to compare A's and B's values.")
                                .arg(current.data(DiffTreeModel::PathRole).toString()));
        return;
    }
    const TensorDiff& diff = m_model->plan().entries[entry];
    QString title = QStringLiteral("%1: %2").arg(diff.name, diffStatusName(diff.status));
    if (diff.hasDeltas()) {
        const DiffDeltas deltas = diff.deltas();
        title += tr(", ‖a−b‖/‖a‖ %1, cosine %2").arg(deltas.relL2, 0, 'g', 4).arg(deltas.cosine, 0, 'g', 6);
    }
    m_histograms->show(m_a, diff.a.tensor, m_b, diff.b.tensor, title);
}

void DiffTab::selectPath(const QString& path)
{
    // Walk down the proxy by path components: the model has no path index, and layers are few.
    QModelIndex parent;
    const QStringList parts = path.split(u'.');
    for (int depth = 0; depth < parts.size(); ++depth) {
        QModelIndex found;
        for (int row = 0; row < m_proxy->rowCount(parent); ++row) {
            const QModelIndex index = m_proxy->index(row, 0, parent);
            if (index.data(DiffTreeModel::PathRole).toString() == parts.mid(0, depth + 1).join(u'.')) {
                found = index;
                break;
            }
        }
        if (!found.isValid())
            return;
        parent = found;
    }
    m_tree->expand(parent);
    m_tree->scrollTo(parent);
    m_tree->setCurrentIndex(parent);
}

}  // namespace statelens::ui
