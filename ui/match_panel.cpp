#include "ui/match_panel.h"

#include "ui/architecture_chooser.h"
#include "ui/jobs/match_runner.h"
#include "ui/models/match_filter_proxy.h"
#include "ui/models/match_result_model.h"

#include "core/base/display_format.h"

#include <QApplication>
#include <QButtonGroup>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSplitter>
#include <QTableView>
#include <QTextCursor>
#include <QToolButton>
#include <QVBoxLayout>

namespace statelens::ui {

namespace {

constexpr int kShownSuggestions = 6;

QString percent(qint64 part, qint64 whole)
{
    return whole > 0 ? QStringLiteral("%1%").arg(100.0 * double(part) / double(whole), 0, 'f', 1) : QStringLiteral("—");
}

QString fixText(const FixSuggestion& fix)
{
    if (fix.kind == QLatin1String("rename"))
        return QObject::tr("rename %1 → %2").arg(fix.from, fix.to);
    if (fix.kind == QLatin1String("tied-weights"))
        return QObject::tr("tie %1 to %2").arg(fix.to, fix.from);
    if (fix.kind == QLatin1String("add-prefix"))
        return QObject::tr("add prefix %1").arg(fix.add);
    if (fix.kind == QLatin1String("replace-prefix"))
        return QObject::tr("replace prefix %1 with %2").arg(fix.strip.join(QString()), fix.add);
    return QObject::tr("strip %1").arg(fix.strip.join(QStringLiteral(" then ")));
}

}  // namespace

MatchPanel::MatchPanel(QWidget* parent)
    : QWidget(parent)
    , m_chooser(new ArchitectureChooser(this))
    , m_strict(new QRadioButton(tr("Strict"), this))
    , m_lenient(new QRadioButton(tr("Lenient"), this))
    , m_match(new QPushButton(tr("Match"), this))
    , m_verdict(new QLabel(this))
    , m_notice(new QLabel(this))
    , m_fixesBar(new QWidget(this))
    , m_fixesLabel(new QLabel(m_fixesBar))
    , m_suggestionsBox(new QWidget(this))
    , m_suggestionsLayout(new QVBoxLayout(m_suggestionsBox))
    , m_keyFilter(new QLineEdit(this))
    , m_table(new QTableView(this))
    , m_model(new MatchResultModel(this))
    , m_proxy(new MatchFilterProxy(this))
    , m_torchBox(new QWidget(this))
    , m_torchMessage(new QPlainTextEdit(m_torchBox))
    , m_load(new QPushButton(tr("Load into Model"), this))
    , m_export(new QPushButton(tr("Export Fixed State Dict…"), this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_outcome(new QLabel(this))
    , m_copySnippet(new QPushButton(tr("Copy Python"), this))
    , m_runner(new MatchRunner(this))
{
    // Model row: chooser, mode, Match.
    m_strict->setChecked(true);
    m_strict->setToolTip(tr("As load_state_dict(strict=True): every key must agree"));
    m_lenient->setToolTip(tr("Load what agrees in name and shape, leave the rest"));
    auto* mode = new QButtonGroup(this);
    mode->addButton(m_strict);
    mode->addButton(m_lenient);
    connect(m_strict, &QRadioButton::toggled, this, [this](bool strict) {
        clearFixes(strict ? tr("the mode changed to strict") : tr("the mode changed to lenient"));
        if (m_report)
            rematch();
    });
    m_match->setDefault(true);
    m_match->setObjectName(QStringLiteral("matchButton"));
    connect(m_match, &QPushButton::clicked, this, &MatchPanel::runMatch);
    connect(m_chooser, &ArchitectureChooser::architectureChosen, this, [this] { runMatch(); });
    // Two rows, so that the panel fits beside the tree in the default window: the model and
    // Match, then how torch would load it.
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(new QLabel(tr("Model:"), this));
    modelRow->addWidget(m_chooser, 1);
    modelRow->addWidget(m_match);
    auto* modeRow = new QHBoxLayout;
    modeRow->addWidget(new QLabel(tr("Load as:"), this));
    modeRow->addWidget(m_strict);
    modeRow->addWidget(m_lenient);
    modeRow->addStretch(1);

    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdict->setText(tr("Choose a model to see whether this checkpoint loads into it."));
    m_notice->setWordWrap(true);
    m_notice->setObjectName(QStringLiteral("fixesNotice"));
    m_notice->hide();

    // Applied fixes, undoable.
    auto* fixesRow = new QHBoxLayout(m_fixesBar);
    fixesRow->setContentsMargins(0, 0, 0, 0);
    m_fixesLabel->setWordWrap(true);
    auto* undo = new QToolButton(m_fixesBar);
    undo->setText(tr("Undo"));
    undo->setObjectName(QStringLiteral("undoFix"));
    connect(undo, &QToolButton::clicked, this, &MatchPanel::undoFix);
    auto* reset = new QToolButton(m_fixesBar);
    reset->setText(tr("Reset"));
    reset->setObjectName(QStringLiteral("resetFixes"));
    reset->setToolTip(tr("Clear every applied fix"));
    connect(reset, &QToolButton::clicked, this, &MatchPanel::resetFixes);
    fixesRow->addWidget(m_fixesLabel, 1);
    fixesRow->addWidget(undo);
    fixesRow->addWidget(reset);
    m_fixesBar->hide();
    m_suggestionsLayout->setContentsMargins(0, 0, 0, 0);
    m_suggestionsLayout->setSpacing(2);
    m_suggestionsBox->hide();

    // Filters: one toggle per status, with its count, and a key filter.
    auto* filterRow = new QHBoxLayout;
    for (int status = 0; status < kMatchStatusCount; ++status) {
        auto* toggle = new QToolButton(this);
        toggle->setCheckable(true);
        toggle->setChecked(true);
        toggle->setAutoRaise(true);
        connect(toggle, &QToolButton::toggled, this, [this, status](bool shown) {
            m_proxy->setStatusShown(MatchStatus(status), shown);
        });
        m_toggles.append(toggle);
        filterRow->addWidget(toggle);
    }
    m_keyFilter->setPlaceholderText(tr("Filter keys"));
    m_keyFilter->setClearButtonEnabled(true);
    connect(m_keyFilter, &QLineEdit::textChanged, m_proxy, &MatchFilterProxy::setKeyFilter);
    filterRow->addWidget(m_keyFilter, 1);
    updateToggles();

    m_proxy->setSourceModel(m_model);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);  // model order until the user sorts
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->resizeSection(MatchResultModel::KeyColumn, 260);
    m_table->horizontalHeader()->resizeSection(MatchResultModel::StatusColumn, 110);
    m_table->horizontalHeader()->resizeSection(MatchResultModel::CheckpointColumn, 170);
    m_table->horizontalHeader()->resizeSection(MatchResultModel::ModelColumn, 170);
    m_table->setWordWrap(false);

    // torch's message, as load_state_dict(strict=True) raises it.
    auto* torchLayout = new QVBoxLayout(m_torchBox);
    torchLayout->setContentsMargins(0, 0, 0, 0);
    auto* torchHeader = new QHBoxLayout;
    torchHeader->addWidget(new QLabel(tr("torch's error (load_state_dict, strict=True):"), m_torchBox), 1);
    auto* copy = new QToolButton(m_torchBox);
    copy->setText(tr("Copy"));
    connect(copy, &QToolButton::clicked, this, [this] { QApplication::clipboard()->setText(m_torchMessage->toPlainText()); });
    torchHeader->addWidget(copy);
    torchLayout->addLayout(torchHeader);
    m_torchMessage->setReadOnly(true);
    m_torchMessage->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_torchMessage->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    torchLayout->addWidget(m_torchMessage);
    m_torchBox->hide();

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_torchBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);

    // Actions on the result.
    connect(m_load, &QPushButton::clicked, this, &MatchPanel::loadIntoModel);
    connect(m_export, &QPushButton::clicked, this, &MatchPanel::chooseExportPath);
    m_progress->hide();
    m_progress->setMaximumWidth(220);
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, m_runner, &MatchRunner::cancel);
    m_copySnippet->hide();
    m_copySnippet->setToolTip(tr("Python that makes the same file with torch from the original"));
    connect(m_copySnippet, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_lastSnippet); });
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_load);
    actions->addWidget(m_export);
    actions->addStretch(1);
    actions->addWidget(m_progress);
    actions->addWidget(m_cancel);
    m_outcome->setWordWrap(true);
    m_outcome->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* outcomeRow = new QHBoxLayout;
    outcomeRow->addWidget(m_outcome, 1);
    outcomeRow->addWidget(m_copySnippet, 0, Qt::AlignTop);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(modelRow);
    layout->addLayout(modeRow);
    layout->addWidget(m_verdict);
    layout->addWidget(m_notice);
    layout->addWidget(m_fixesBar);
    layout->addWidget(m_suggestionsBox);
    layout->addLayout(filterRow);
    layout->addWidget(splitter, 1);
    layout->addLayout(actions);
    layout->addLayout(outcomeRow);

    connect(m_runner, &MatchRunner::busyChanged, this, [this](bool busy, const QString& what) {
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
        m_progress->setRange(0, 0);  // busy until an export reports bytes
        if (busy)
            m_outcome->setText(what);
        updateActions();
    });
    connect(m_runner, &MatchRunner::progress, this, [this](qint64 done, qint64 total) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(total > 0 ? int(1000.0 * double(done) / double(total)) : 0);
    });
    connect(m_runner, &MatchRunner::matched, this, &MatchPanel::showReport);
    connect(m_runner, &MatchRunner::loaded, this, &MatchPanel::showLoaded);
    connect(m_runner, &MatchRunner::exported, this, &MatchPanel::showExported);
    connect(m_runner, &MatchRunner::failed, this, [this](const QString& message) {
        if (!m_report)  // the match itself failed: say so where the verdict goes
            m_verdict->setText(tr("<span style='color:#c0392b'>&#10008;</span> %1").arg(message.toHtmlEscaped()));
        showOutcome(message.toHtmlEscaped(), true);
    });
    updateActions();
}

void MatchPanel::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    m_chooser->listBuiltIns();  // loads libtorch once, off the GUI thread, when first needed
}

void MatchPanel::setCheckpoint(CheckpointPtr checkpoint, const QString& file)
{
    m_runner->cancel();
    m_checkpoint = std::move(checkpoint);
    m_file = file;
    m_fixes.clear();  // a new file: nothing of the old one applies
    m_notice->hide();
    m_matchedArchitecture.clear();
    m_report.reset();
    m_model->clear();
    showSuggestions();
    showAppliedFixes();
    m_torchBox->hide();
    m_outcome->clear();
    m_copySnippet->hide();
    updateToggles();
    updateActions();
    if (m_checkpoint && !m_chooser->architecture().isEmpty())
        runMatch();
}

void MatchPanel::setArchitecture(const QString& spec)
{
    m_chooser->setArchitecture(spec);
}

void MatchPanel::setStrict(bool strict)
{
    (strict ? m_strict : m_lenient)->setChecked(true);
}

MatchRequest MatchPanel::currentRequest() const
{
    MatchRequest request;
    request.architecture = m_chooser->architecture();
    request.strict = m_strict->isChecked();
    request.fixes = m_fixes;
    return request;
}

// Describes the model anew (a TorchScript or spec file may have changed on disk). The applied
// fixes stay when the model is the one they were applied for; another model clears them.
void MatchPanel::runMatch()
{
    const QString architecture = m_chooser->architecture();
    if (!m_checkpoint || architecture.isEmpty())
        return;
    if (architecture != m_matchedArchitecture)
        clearFixes(tr("the model changed to %1").arg(architecture));
    m_matchedArchitecture = architecture;
    m_report.reset();
    m_model->clear();
    showSuggestions();
    updateToggles();
    m_torchBox->hide();
    m_copySnippet->hide();
    m_verdict->setText(tr("Matching against %1…").arg(architecture.toHtmlEscaped()));
    m_runner->match(m_checkpoint, m_file, currentRequest(), false);
}

void MatchPanel::rematch()
{
    if (!m_checkpoint || !m_report)
        return;
    m_runner->match(m_checkpoint, m_file, currentRequest(), true);
}

void MatchPanel::applySuggestion(int index)
{
    if (!m_report || index < 0 || index >= m_report->suggestions.size())
        return;
    m_fixes.append(m_report->suggestions[index]);
    m_notice->hide();
    showAppliedFixes();
    rematch();
}

void MatchPanel::undoFix()
{
    if (m_fixes.isEmpty())
        return;
    m_fixes.removeLast();
    showAppliedFixes();
    rematch();
}

void MatchPanel::resetFixes()
{
    clearFixes(tr("Reset was clicked"));
    rematch();
}

void MatchPanel::clearFixes(const QString& why)
{
    if (m_fixes.isEmpty())
        return;
    QStringList texts;
    for (const FixSuggestion& fix : m_fixes)
        texts.append(fixText(fix));
    const QString cleared = m_fixes.size() == 1 ? tr("Cleared the applied fix") : tr("Cleared the %1 applied fixes").arg(m_fixes.size());
    m_notice->setText(tr("%1 (%2): %3.").arg(cleared, texts.join(QStringLiteral(" · ")), why));
    m_notice->show();
    m_fixes.clear();
    showAppliedFixes();
}

void MatchPanel::showReport(const MatchReport& report)
{
    m_report = report;
    m_chooser->remember(report.architecture.id);
    m_model->setReport(m_checkpoint.get(), report);
    const LoadVerdict& v = report.verdict;
    const qint64 modelTensors = report.architecture.tensors.size();
    // Counted as the fix buttons count ("before → after"): model tensors that load from the
    // checkpoint. Those torch fills in itself (BatchNorm's num_batches_tracked in a checkpoint
    // without version metadata) are named apart: they load in neither count.
    const qint64 filled = v.filledByTorch.size();
    const qint64 loaded = v.matched.size() - filled;
    QString share = tr("%1 of %2 model tensors load (%3 of %4 parameters, %5)")
                        .arg(formatCount(loaded), formatCount(modelTensors), formatCount(v.loadedParameters),
                             formatCount(v.modelParameters), percent(v.loadedParameters, v.modelParameters));
    if (filled > 0 && !(report.request.strict && !v.strictOk()))  // a refusal names them with the missing
        share += tr(", %1 filled by torch").arg(filled);
    const QString model = QStringLiteral("<b>%1</b> (%2)").arg(report.architecture.modelClass.toHtmlEscaped(), report.architecture.source);
    QString html;
    if (report.request.strict && v.strictOk()) {
        html = tr("<span style='color:#2e8540'>&#10004;</span> Loads into %1 with strict=True. %2.").arg(model, share);
    } else if (report.request.strict) {
        const QString missing = filled > 0 ? tr("%1 of %2 missing, %3 filled by torch").arg(v.missing.size()).arg(modelTensors).arg(filled)
                                           : tr("%1 of %2 missing").arg(v.missing.size()).arg(modelTensors);
        html = tr("<span style='color:#c0392b'>&#10008;</span> torch would refuse this checkpoint for %1: %2, %3 unexpected, %4 of another shape.<br>%5.")
                   .arg(model, missing)
                   .arg(v.unexpected.size())
                   .arg(v.shapeMismatches.size())
                   .arg(share);
    } else {
        html = tr("%1 Lenient load into %2: %3; %4 left at their initial values, %5 checkpoint keys ignored.")
                   .arg(v.matched.isEmpty() ? QStringLiteral("<span style='color:#c0392b'>&#10008;</span>")
                                            : QStringLiteral("<span style='color:#2e8540'>&#10004;</span>"),
                        model, share)
                   .arg(v.missing.size() + v.shapeMismatches.size())
                   .arg(v.unexpected.size() + v.shapeMismatches.size());
    }
    if (!v.dtypeDifferences.isEmpty())
        html += tr(" %1 tensors are cast to the model's dtype.").arg(v.dtypeDifferences.size());
    if (!report.stateDict.path.isEmpty())
        html += tr("<br>State dict: <code>%1</code>").arg(report.stateDict.path.toHtmlEscaped());
    m_verdict->setText(html);
    m_torchMessage->setPlainText(v.strictMessage);
    m_torchMessage->moveCursor(QTextCursor::Start);
    m_torchBox->setVisible(!v.strictMessage.isEmpty());
    showSuggestions();
    updateToggles();
    updateActions();
    if (!m_runner->isBusy())
        m_outcome->clear();
    Q_EMIT reportShown();
}

void MatchPanel::showSuggestions()
{
    // deleteLater: this runs while a fix button's click is being handled (the rerun it starts,
    // or focus moving), and a widget must never be deleted inside its own event handler.
    while (QLayoutItem* item = m_suggestionsLayout->takeAt(0)) {
        if (QWidget* widget = item->widget()) {
            widget->setObjectName(QString());  // findChild() must find the new buttons only
            widget->hide();
            widget->deleteLater();
        }
        delete item;
    }
    if (!m_report || m_report->suggestions.isEmpty() || (m_report->request.strict && m_report->verdict.strictOk())) {
        m_suggestionsBox->hide();
        return;
    }
    m_suggestionsLayout->addWidget(new QLabel(tr("Fixes (each shows how many model tensors would load before → after):"), m_suggestionsBox));
    const int shown = std::min<int>(kShownSuggestions, m_report->suggestions.size());
    for (int i = 0; i < shown; ++i) {
        const FixSuggestion& fix = m_report->suggestions[i];
        auto* button = new QPushButton(tr("%1   (%2 → %3)").arg(fixText(fix)).arg(fix.loadableBefore).arg(fix.loadableAfter),
                                       m_suggestionsBox);
        button->setObjectName(QStringLiteral("suggestion%1").arg(i));
        button->setToolTip(fix.description());
        button->setStyleSheet(QStringLiteral("text-align: left; padding: 3px 8px;"));
        connect(button, &QPushButton::clicked, this, [this, i] { applySuggestion(i); });
        m_suggestionsLayout->addWidget(button);
    }
    if (m_report->suggestions.size() > shown)
        m_suggestionsLayout->addWidget(
            new QLabel(tr("…and %1 more (statelens-cli match --json lists them all)").arg(m_report->suggestions.size() - shown), m_suggestionsBox));
    m_suggestionsBox->show();
}

void MatchPanel::showAppliedFixes()
{
    QStringList texts;
    for (const FixSuggestion& fix : m_fixes)
        texts.append(fixText(fix).toHtmlEscaped());
    m_fixesLabel->setText(tr("Applied: %1").arg(texts.join(QStringLiteral(" · "))));
    m_fixesBar->setVisible(!m_fixes.isEmpty());
}

// Only the statuses some key has get a toggle: six toggles with zeros do not fit beside the tree
// and filter nothing. A toggle hidden while off would hide rows without showing why: it comes
// back on.
void MatchPanel::updateToggles()
{
    for (int status = 0; status < kMatchStatusCount; ++status) {
        QToolButton* toggle = m_toggles[status];
        const int count = m_model->count(MatchStatus(status));
        toggle->setText(QStringLiteral("%1 %2").arg(matchStatusName(MatchStatus(status))).arg(count));
        if (count == 0)
            toggle->setChecked(true);
        toggle->setVisible(count > 0);
    }
}

void MatchPanel::updateActions()
{
    const bool busy = m_runner->isBusy();
    const bool loadable = m_report && (m_report->architecture.source == QLatin1String("built-in")
                                       || m_report->architecture.source == QLatin1String("torchscript"));
    const bool refused = m_report && (m_report->request.strict ? !m_report->verdict.strictOk() : m_report->verdict.matched.isEmpty());
    m_load->setEnabled(!busy && loadable && !refused);
    if (!m_report)
        m_load->setToolTip(tr("Match against a model first"));
    else if (!loadable)
        m_load->setToolTip(tr("Only built-in and TorchScript models can be loaded; this one only describes a layout"));
    else if (refused)
        m_load->setToolTip(tr("torch would refuse this load: apply a fix or switch to lenient"));
    else
        m_load->setToolTip(tr("Copy the matched tensors into the model on the chosen device and run a forward pass"));
    m_export->setEnabled(!busy && m_report && !m_report->verdict.matched.isEmpty());
    m_export->setToolTip(m_report && !m_report->request.strict
                             ? tr("Write the keys a lenient load uses, with the fixes applied")
                             : tr("Write the state dict with the fixes applied"));
}

void MatchPanel::loadIntoModel()
{
    if (!m_checkpoint || !m_report)
        return;
    m_copySnippet->hide();
    m_runner->load(m_checkpoint, m_file, currentRequest(), m_device);
}

void MatchPanel::showLoaded(const LoadReport& report)
{
    const TorchRuntime::LoadOutcome& outcome = report.outcome;
    if (!report.attempted) {
        showOutcome(tr("Not loaded: torch's load_state_dict would refuse this (see above)."), true);
        return;
    }
    QString html = tr("Loaded %1 tensors into %2 on <b>%3</b> in %4 s, eval().")
                       .arg(outcome.loaded)
                       .arg(report.match.architecture.modelClass.toHtmlEscaped(), report.device)
                       .arg(outcome.loadSeconds, 0, 'f', 3);
    if (outcome.ranForward)
        html += tr(" Forward pass on zeros %1 → output %2 in %3 ms.")
                    .arg(formatShape(outcome.input), formatShape(outcome.output))
                    .arg(outcome.forwardSeconds * 1000.0, 0, 'f', 1);
    showOutcome(html, false);
}

void MatchPanel::chooseExportPath()
{
    if (!m_report)
        return;
    const QFileInfo input(m_file);
    const QString suggested = input.absoluteDir().filePath(input.completeBaseName() + QStringLiteral("_fixed.pt"));
    QString selectedFilter;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export fixed state dict"), suggested,
        tr("torch.save (*.pt *.pth);;safetensors (*.safetensors)"), &selectedFilter);
    if (!path.isEmpty())
        exportTo(path);
}

void MatchPanel::exportTo(const QString& path)
{
    if (!m_checkpoint || !m_report)
        return;
    ExportRequest request;
    request.output = path;
    request.format = path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive) ? ExportFormat::Safetensors
                                                                                       : ExportFormat::TorchZip;
    request.key = m_report->request.key;
    request.fixes = m_fixes;
    if (!m_report->request.strict) {
        request.onlySelected = true;
        request.selected = QSet<QString>(m_report->verdict.matched.begin(), m_report->verdict.matched.end());
    }
    m_copySnippet->hide();
    m_runner->exportStateDict(m_checkpoint, request);
}

void MatchPanel::showExported(const ExportSummary& summary, const QString& snippet)
{
    m_lastSnippet = snippet;
    showOutcome(tr("Wrote %1 tensors (%2) to %3.")
                    .arg(summary.tensors)
                    .arg(formatBytes(summary.bytes), summary.output.toHtmlEscaped()),
                false);
    m_copySnippet->show();
}

void MatchPanel::showOutcome(const QString& html, bool error)
{
    m_outcome->setText(error ? QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(html) : html);
    updateActions();
    Q_EMIT outcomeShown();
}

}  // namespace statelens::ui
