#include "ui/weights_only_bar.h"

#include "ui/jobs/match_runner.h"

#include "core/base/display_format.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace statelens::ui {

namespace {

QLabel* linkLabel(const QString& text, const QString& name, QWidget* parent)
{
    auto* label = new QLabel(QStringLiteral("<a href=\"%1\">%2</a>").arg(name, text.toHtmlEscaped()), parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::RichText);
    label->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    return label;
}

QString verdictWords(const WeightsOnlyVerdict& verdict)
{
    if (!verdict.applies)
        return QObject::tr("%1 cannot read it").arg(verdict.torchVersion);
    if (verdict.loads)
        return QObject::tr("%1 loads it").arg(verdict.torchVersion);
    return QObject::tr("%1 refuses it (%2)").arg(verdict.torchVersion, verdict.error.section(u'\n', 0, 0).left(160));
}

}  // namespace

WeightsOnlyBar::WeightsOnlyBar(QWidget* parent)
    : QWidget(parent)
    , m_verdicts(new QLabel(this))
    , m_copy(linkLabel(tr("Copy the add_safe_globals line"), QStringLiteral("copySafeGlobals"), this))
    , m_convert(linkLabel(tr("Save the tensors as safetensors…"), QStringLiteral("convertToSafetensors"), this))
    , m_outcome(new QLabel(this))
    , m_runner(new MatchRunner(this))
{
    m_verdicts->setWordWrap(true);
    m_verdicts->setTextFormat(Qt::RichText);
    m_verdicts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_outcome->setWordWrap(true);
    auto* links = new QHBoxLayout;
    links->setContentsMargins(0, 0, 0, 0);
    links->addWidget(m_copy);
    links->addWidget(m_convert);
    links->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_verdicts);
    layout->addLayout(links);
    layout->addWidget(m_outcome);
    m_outcome->hide();

    connect(m_copy, &QLabel::linkActivated, this, [this] {
        QApplication::clipboard()->setText(snippet());
        m_outcome->setText(tr("Copied. Run it before torch.load only if you trust where the file comes from."));
        m_outcome->show();
    });
    connect(m_convert, &QLabel::linkActivated, this, [this] { chooseConversionPath(); });
    connect(m_runner, &MatchRunner::exported, this, [this](const ExportSummary& summary, const QString&) {
        m_outcome->setText(tr("Wrote %1 tensors (%2) to %3: safetensors.torch.load_file reads it without running code.")
                               .arg(summary.tensors)
                               .arg(formatBytes(summary.bytes), QDir::toNativeSeparators(summary.output)));
        m_outcome->show();
        Q_EMIT conversionFinished(true);
    });
    connect(m_runner, &MatchRunner::failed, this, [this](const QString& message) {
        m_outcome->setText(tr("Not converted: %1").arg(message));
        m_outcome->show();
        Q_EMIT conversionFinished(false);
    });
    hide();
}

void WeightsOnlyBar::inspect(CheckpointPtr checkpoint, const QString& path)
{
    m_checkpoint = std::move(checkpoint);
    m_path = path;
    m_answers.reset();
    m_outcome->hide();
    hide();
    if (!m_checkpoint) {
        m_job.cancel();
        return;
    }
    m_job.start([checkpoint = m_checkpoint](const JobControl&) { return std::make_shared<const WeightsOnlyAnswers>(weightsOnlyAnswers(*checkpoint)); },
                [this](std::shared_ptr<const WeightsOnlyAnswers> answers) {
                    showAnswers(std::move(answers));
                    Q_EMIT answersShown();
                });
}

void WeightsOnlyBar::showAnswers(std::shared_ptr<const WeightsOnlyAnswers> answers)
{
    m_answers = std::move(answers);
    if (!m_answers || m_answers->byRelease.isEmpty() || !m_answers->byRelease.front().applies) {
        hide();
        return;
    }
    QStringList words;
    for (const WeightsOnlyVerdict& verdict : m_answers->byRelease)
        words.append(verdictWords(verdict).toHtmlEscaped());
    QString html = tr("torch.load(weights_only=True): torch %1.").arg(words.join(QStringLiteral("; ")));
    const SafeGlobalsAdvice& advice = m_answers->advice;
    if (advice.applies && !advice.line.isEmpty()) {
        html += QStringLiteral("<br>") + tr("To load it with weights_only=True in torch %1, only if you trust the file:").arg(advice.torchVersion)
                + QStringLiteral("<br><code>%1</code>").arg(snippet().toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
        html += QStringLiteral("<br>") + (advice.loadsAfter ? tr("It then loads.")
                                                              : tr("It would still fail: %1").arg(advice.stillFails.toHtmlEscaped()));
        if (!advice.dangerous.isEmpty())
            html += QStringLiteral("<br><b>%1</b>").arg(tr("Warning: %1 can run code or reach the system when the file is loaded.")
                                                           .arg(advice.dangerous.join(QStringLiteral(", ")))
                                                           .toHtmlEscaped());
    }
    if (advice.applies && !advice.blocked.isEmpty())
        html += QStringLiteral("<br>") + tr("torch refuses %1 whatever is allowed.").arg(advice.blocked.join(QStringLiteral(", "))).toHtmlEscaped();
    m_verdicts->setText(html);
    m_copy->setVisible(advice.applies && !advice.line.isEmpty());
    // Something to convert: tensors or arrays whose bytes are read, never the pickle's calls.
    const bool tensors = m_checkpoint && std::any_of(m_checkpoint->tensors.cbegin(), m_checkpoint->tensors.cend(),
                                                     [](const TensorInfo& tensor) { return tensor.storage >= 0; });
    m_convert->setVisible(tensors && m_checkpoint->format != Format::Safetensors);
    setVisible(someReleaseRefuses() || advice.applies);
}

bool WeightsOnlyBar::someReleaseRefuses() const
{
    return m_answers && std::any_of(m_answers->byRelease.cbegin(), m_answers->byRelease.cend(),
                                    [](const WeightsOnlyVerdict& verdict) { return verdict.applies && !verdict.loads; });
}

QString WeightsOnlyBar::snippet() const
{
    if (!m_answers || m_answers->advice.line.isEmpty())
        return QString();
    return QStringLiteral("import torch, %1\n%2").arg(m_answers->advice.imports.join(QStringLiteral(", ")), m_answers->advice.line);
}

void WeightsOnlyBar::chooseConversionPath()
{
    const QFileInfo input(m_path);
    const QString suggested = input.absoluteDir().filePath(input.completeBaseName() + QStringLiteral(".safetensors"));
    const QString path = QFileDialog::getSaveFileName(this, tr("Save the tensors as safetensors"), suggested, tr("safetensors (*.safetensors)"));
    if (!path.isEmpty())
        convertTo(path);
}

void WeightsOnlyBar::convertTo(const QString& path)
{
    if (!m_checkpoint)
        return;
    ExportRequest request;
    request.output = path;
    request.format = ExportFormat::Safetensors;
    m_outcome->setText(tr("Writing %1…").arg(QDir::toNativeSeparators(path)));
    m_outcome->show();
    m_runner->exportStateDict(m_checkpoint, request);
}

}  // namespace statelens::ui
