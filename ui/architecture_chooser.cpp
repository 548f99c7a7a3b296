#include "ui/architecture_chooser.h"

#include "ui/file_filters.h"

#include "core/runtime/torch_runtime.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QLineEdit>
#include <QSettings>
#include <QStandardItemModel>

namespace statelens::ui {

namespace {

const QString kRecentKey = QStringLiteral("match/recentArchitectures");
constexpr int kRecentLimit = 8;
const QString kTorchScript = QStringLiteral("@torchscript");
const QString kJsonSpec = QStringLiteral("@json");
const QString kReference = QStringLiteral("@reference");

}  // namespace

ArchitectureChooser::ArchitectureChooser(QWidget* parent) : QComboBox(parent)
{
    setEditable(true);
    setInsertPolicy(QComboBox::NoInsert);
    setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    setMinimumContentsLength(18);  // fits beside the tree; the popup is as wide as its entries
    lineEdit()->setPlaceholderText(tr("resnet18, mlp:sizes=784-256-10, a .pt/.json file, ref:FILE"));
    setToolTip(tr("The model to match against: a built-in model with its options (name:key=value,...), "
                  "a TorchScript or .pt2 file, a JSON spec, or ref:CHECKPOINT"));
    m_recent = QSettings().value(kRecentKey).toStringList();
    rebuild();
    setCurrentIndex(-1);
    connect(this, qOverload<int>(&QComboBox::activated), this, &ArchitectureChooser::onActivated);
    connect(lineEdit(), &QLineEdit::returnPressed, this, [this] { choose(architecture()); });
}

void ArchitectureChooser::setArchitecture(const QString& spec)
{
    m_chosen = spec.trimmed();
    if (currentText() != spec)
        setEditText(spec);
}

void ArchitectureChooser::choose(const QString& spec)
{
    if (spec.isEmpty() || spec == m_chosen)
        return;
    m_chosen = spec;
    Q_EMIT architectureChosen(spec);
}

void ArchitectureChooser::remember(const QString& spec)
{
    m_recent.removeAll(spec);
    m_recent.prepend(spec);
    while (m_recent.size() > kRecentLimit)
        m_recent.removeLast();
    QSettings().setValue(kRecentKey, m_recent);
    rebuild();
}

void ArchitectureChooser::listBuiltIns()
{
    if (m_builtInsState != NotListed)
        return;
    m_builtInsState = Listing;
    rebuild();
    using Entries = Result<QVector<TorchRuntime::ArchitectureEntry>>;
    m_jobs.start([](const JobControl&) { return TorchRuntime::instance().builtInArchitectures(); },
                 [this](const Entries& entries) {
                     if (entries) {
                         for (const auto& entry : entries.value())
                             m_builtIns.append({entry.name, entry.description});
                         m_builtInsState = Listed;
                     } else {
                         m_builtInsError = entries.error().message;
                         m_builtInsState = Failed;
                     }
                     rebuild();
                     Q_EMIT builtInsChanged();
                 });
}

// Recent choices, the built-ins, then the file entries; the edit text is kept.
void ArchitectureChooser::rebuild()
{
    const QString text = currentText();
    const QSignalBlocker blocker(this);
    clear();
    auto addSeparatorIfNeeded = [this] {
        if (count() > 0)
            insertSeparator(count());
    };
    auto addDisabled = [this](const QString& label) {
        addItem(label);
        if (auto* items = qobject_cast<QStandardItemModel*>(model()))
            items->item(count() - 1)->setEnabled(false);
    };
    for (const QString& spec : m_recent) {
        addItem(spec, spec);
        setItemData(count() - 1, tr("Used recently"), Qt::ToolTipRole);
    }
    addSeparatorIfNeeded();
    switch (m_builtInsState) {
    case NotListed:
    case Listing: addDisabled(tr("Listing the built-in models…")); break;
    case Failed: addDisabled(tr("Built-in models need libtorch: %1").arg(m_builtInsError)); break;
    case Listed:
        for (const auto& [name, description] : m_builtIns) {
            addItem(QStringLiteral("%1 — %2").arg(name, description), name);
            setItemData(count() - 1, description, Qt::ToolTipRole);
        }
        break;
    }
    insertSeparator(count());
    addItem(tr("TorchScript / .pt2 file…"), kTorchScript);
    addItem(tr("JSON spec…"), kJsonSpec);
    addItem(tr("Reference checkpoint…"), kReference);
    setCurrentIndex(-1);
    setEditText(text);
}

QString ArchitectureChooser::askForFile(const QString& kind)
{
    QSettings settings;
    const QString start = settings.value(QStringLiteral("files/lastFolder")).toString();
    QString filter;
    if (kind == kTorchScript)
        filter = tr("TorchScript and torch.export files (*.pt *.pth *.pt2 *.jit *.zip);;All files (*)");
    else if (kind == kJsonSpec)
        filter = tr("Architecture specs (*.json);;All files (*)");
    else
        filter = checkpointFileFilter();
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose the model"), start, filter);
    if (!path.isEmpty())
        settings.setValue(QStringLiteral("files/lastFolder"), QFileInfo(path).absolutePath());
    return path;
}

void ArchitectureChooser::onActivated(int index)
{
    const QString data = itemData(index).toString();
    if (data.isEmpty())
        return;
    QString spec = data;
    if (data.startsWith(u'@')) {
        const QString path = askForFile(data);
        if (path.isEmpty()) {
            setEditText(QString());
            return;
        }
        spec = data == kReference ? QStringLiteral("ref:") + path : path;
    }
    setCurrentIndex(-1);
    setEditText(spec);
    choose(spec);
}

}  // namespace statelens::ui
