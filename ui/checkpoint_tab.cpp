#include "ui/checkpoint_tab.h"

#include "ui/match_panel.h"
#include "ui/models/parameter_tree_model.h"
#include "ui/tensor_details.h"
#include "ui/weights_only_bar.h"

#include "core/base/display_format.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTreeView>
#include <QVBoxLayout>

#include <array>

namespace statelens::ui {

namespace {

const QColor kWarningBackground(0xff, 0xe0, 0x82);
const QColor kErrorBackground(0xf4, 0xc7, 0xc3);
const QColor kNoticeBackground(0xd6, 0xe9, 0xf8);
constexpr int kMaxUnsafeLinks = 8;      // the banner stays a banner; the tree marks the rest
constexpr int kMaxLinkCharacters = 160;

// What the reader was reading when it stopped, read from its message ("truncated zip archive:
// ...", "data.pkl: pickle: ...", "record 'data/0' ..."): the part of the file, and what being
// cut short means for it.
struct ReadPart {
    QString what;
    QString cutShort;
};

ReadPart partOf(const QString& message)
{
    static const QRegularExpression record(QStringLiteral("record '([^']*)'"));
    const QString lower = message.toLower();
    if (lower.contains(u"zip archive") || lower.contains(u"central directory") || lower.contains(u"zip64"))
        return {CheckpointTab::tr("the zip directory at the end of the file"), CheckpointTab::tr("the zip directory at its end is missing")};
    if (const QRegularExpressionMatch match = record.match(message); match.hasMatch()) {
        return {CheckpointTab::tr("the archive's record '%1'").arg(match.captured(1)),
                CheckpointTab::tr("the archive's record '%1' is cut short").arg(match.captured(1))};
    }
    if (lower.contains(u"storage"))
        return {CheckpointTab::tr("a tensor's storage"), CheckpointTab::tr("a tensor's storage is cut short")};
    if (lower.contains(u"header"))
        return {CheckpointTab::tr("the safetensors header"), CheckpointTab::tr("the safetensors header is cut short")};
    if (lower.contains(u"tensor"))
        return {CheckpointTab::tr("the tensor data"), CheckpointTab::tr("the tensor data ends before the header says it does")};
    if (lower.contains(u"pickle"))
        return {CheckpointTab::tr("the pickled object tree"), CheckpointTab::tr("the pickled object tree ends early")};
    if (lower.contains(u"tar "))
        return {CheckpointTab::tr("the tar archive"), CheckpointTab::tr("the tar archive ends early")};
    if (lower.contains(u"index") || lower.contains(u"shard"))
        return {CheckpointTab::tr("the shard index"), CheckpointTab::tr("a shard ends early")};
    return {CheckpointTab::tr("the file's layout"), CheckpointTab::tr("it ends before a structure it promises")};
}

// The first line of an error banner: what is wrong, in a reader's words, before the detail.
QString plainWords(const Error& error)
{
    const ReadPart part = partOf(error.message);
    switch (error.code) {
    case ErrorCode::Io: return CheckpointTab::tr("the file cannot be read");
    case ErrorCode::NotACheckpoint: return CheckpointTab::tr("this is not a PyTorch checkpoint");
    case ErrorCode::Truncated: return CheckpointTab::tr("the file is truncated: %1").arg(part.cutShort);
    case ErrorCode::Corrupt: return CheckpointTab::tr("the file is damaged: %1 is inconsistent").arg(part.what);
    case ErrorCode::Unsupported: return CheckpointTab::tr("%1 uses a feature Statelens does not read yet").arg(part.what);
    case ErrorCode::LimitExceeded: return CheckpointTab::tr("%1 is larger or deeper than Statelens reads safely").arg(part.what);
    case ErrorCode::Cancelled: return CheckpointTab::tr("opening was cancelled");
    }
    return {};
}

// What the user can do about it, when there is something.
QString hintFor(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Io: return CheckpointTab::tr("Check that the file exists and that you may read it.");
    case ErrorCode::Truncated: return CheckpointTab::tr("A download or copy was probably cut short, or the file is still being written: fetch or save it again.");
    case ErrorCode::Corrupt: return CheckpointTab::tr("The file was damaged after it was written, or written by a tool that does not follow the format.");
    case ErrorCode::LimitExceeded: return CheckpointTab::tr("The limits keep a hostile file from exhausting memory; real checkpoints stay far below them.");
    default: return {};
    }
}

// A page that needs more room than the split beside the tree leaves (a narrow window, a split
// dragged far right) scrolls rather than taking the tree's columns.
QWidget* scrolled(QWidget* page)
{
    auto* area = new QScrollArea;
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

}  // namespace

CheckpointTab::CheckpointTab(const QString& path, QWidget* parent)
    : QWidget(parent)
    , m_path(path)
    , m_bannerFrame(new QFrame(this))
    , m_banner(new QLabel(m_bannerFrame))
    , m_unsafeList(new QWidget(m_bannerFrame))
    , m_unsafeLayout(new QVBoxLayout(m_unsafeList))
    , m_weightsOnly(new WeightsOnlyBar(m_bannerFrame))
    , m_changedBar(new QWidget(this))
    , m_changedText(new QLabel(m_changedBar))
    , m_watcher(new QFileSystemWatcher(this))
    , m_filter(new QLineEdit(this))
    , m_filterCount(new QLabel(this))
    , m_tree(new QTreeView(this))
    , m_model(new ParameterTreeModel(this))
    , m_pages(new QTabWidget(this))
    , m_details(new TensorDetails(this))
    , m_match(new MatchPanel(this))
{
    // The banner: a message (selectable, for bug reports) and, for unsafe files, one link per
    // object that would run.
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_unsafeLayout->setContentsMargins(16, 0, 0, 0);
    m_model->setWarningIcon(style()->standardIcon(QStyle::SP_MessageBoxWarning));
    m_unsafeLayout->setSpacing(2);
    auto* bannerLayout = new QVBoxLayout(m_bannerFrame);
    bannerLayout->setContentsMargins(8, 8, 8, 8);
    bannerLayout->setSpacing(4);
    bannerLayout->addWidget(m_banner);
    bannerLayout->addWidget(m_unsafeList);
    bannerLayout->addWidget(m_weightsOnly);
    connect(m_weightsOnly, &WeightsOnlyBar::answersShown, this, &CheckpointTab::showWeightsOnlyNotice);
    m_bannerFrame->setAutoFillBackground(true);
    m_bannerFrame->hide();
    m_unsafeList->hide();

    // A file rewritten under us (a training loop saving again): say so and offer to reload.
    auto* changedLayout = new QHBoxLayout(m_changedBar);
    changedLayout->setContentsMargins(8, 4, 8, 4);
    m_changedText->setWordWrap(true);
    auto* reload = new QPushButton(tr("Reload"), m_changedBar);
    reload->setObjectName(QStringLiteral("reloadButton"));
    connect(reload, &QPushButton::clicked, this, [this] { Q_EMIT reloadRequested(m_path); });
    changedLayout->addWidget(m_changedText, 1);
    changedLayout->addWidget(reload);
    m_changedBar->setAutoFillBackground(true);
    m_changedBar->setBackgroundRole(QPalette::ToolTipBase);
    m_changedBar->setForegroundRole(QPalette::ToolTipText);
    m_changedBar->hide();
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &CheckpointTab::showChangedOnDisk);

    const QString findKey = QKeySequence(QKeySequence::Find).toString(QKeySequence::NativeText);
    m_filter->setPlaceholderText(tr("Filter tensors, values and objects (substring or regular expression, case-insensitive; %1)").arg(findKey));
    m_filter->setClearButtonEnabled(true);
    m_filter->installEventFilter(this);
    connect(m_filter, &QLineEdit::textChanged, this, &CheckpointTab::applyFilter);
    m_filterCount->setObjectName(QStringLiteral("filterCount"));
    m_filterCount->setToolTip(tr("Tensors the filter keeps, of all in the file"));
    // Ctrl+F from anywhere in the window: only the current tab is visible, so only its action
    // is live and the shortcut is never ambiguous between tabs.
    auto* find = new QAction(tr("Find"), this);
    find->setShortcut(QKeySequence::Find);
    find->setShortcutContext(Qt::WindowShortcut);
    connect(find, &QAction::triggered, this, &CheckpointTab::focusFilter);
    addAction(find);

    setUpTree();

    auto* filterRow = new QHBoxLayout;
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_filterCount);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_bannerFrame);
    layout->addWidget(m_changedBar);
    layout->addLayout(filterRow);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_tree);
    m_pages->setDocumentMode(true);
    m_pages->addTab(m_details, tr("Details"));
    m_pages->addTab(scrolled(m_match), tr("Match to Model"));
    m_pages->setTabToolTip(1, tr("Does this checkpoint load into a model? Why not, and how to fix it"));
    splitter->addWidget(m_pages);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({560, 460});  // the tree's columns visible; the user's split wins below
    // Every tab opens with the split the user last chose.
    const QString splitKey = QStringLiteral("layout/treeDetailsSplit");
    splitter->restoreState(QSettings().value(splitKey).toByteArray());
    connect(splitter, &QSplitter::splitterMoved, this, [splitter, splitKey] { QSettings().setValue(splitKey, splitter->saveState()); });
    layout->addWidget(splitter, 1);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
        m_details->showNode(m_model->checkpoint(), m_model->tree(), current.isValid() ? m_model->nodeForIndex(current) : -1);
    });
    connect(m_model, &QAbstractItemModel::modelReset, m_details, &TensorDetails::clear);
}

void CheckpointTab::setUpTree()
{
    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true);  // lets the view skip measuring 100 000 rows
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setTextElideMode(Qt::ElideMiddle);  // "layer4.1.downsample…" loses its end, "lay…weight" its middle
    QHeaderView* header = m_tree->header();
    header->setSortIndicator(-1, Qt::AscendingOrder);  // file order until the user sorts
    m_tree->setSortingEnabled(true);
    header->setStretchLastSection(true);
    header->setMinimumSectionSize(m_tree->fontMetrics().averageCharWidth() * 5);
    // Widths follow the view until the user drags one; the last column only stretches.
    connect(header, &QHeaderView::sectionResized, this, [this](int column) {
        if (!m_fitting && column != ParameterTreeModel::NotesColumn && m_tree->isVisible())
            m_userSizedColumns = true;
    });
    m_tree->viewport()->installEventFilter(this);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_tree, &QTreeView::customContextMenuRequested, this, &CheckpointTab::showContextMenu);
    auto* copy = new QAction(tr("Copy Path"), m_tree);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, [this] { copySelection(ParameterTreeModel::PathRole, 0); });
    m_tree->addAction(copy);
}

bool CheckpointTab::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_tree->viewport() && event->type() == QEvent::Resize && !m_userSizedColumns && !m_fitting)
        fitColumns();
    if (watched == m_filter && event->type() == QEvent::KeyPress)
        return handleFilterKey(static_cast<QKeyEvent*>(event)->key());
    return QWidget::eventFilter(watched, event);
}

void CheckpointTab::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

// Escape clears the filter (then leaves it); Enter and Down go to the matches, the first one
// selected unless the selection is still shown.
bool CheckpointTab::handleFilterKey(int key)
{
    if (key == Qt::Key_Escape) {
        if (m_filter->text().isEmpty())
            m_tree->setFocus(Qt::OtherFocusReason);
        else
            m_filter->clear();
        return true;
    }
    if (key != Qt::Key_Return && key != Qt::Key_Enter && key != Qt::Key_Down)
        return false;
    if (!m_tree->currentIndex().isValid()) {
        QModelIndex first = m_model->index(0, 0);
        while (first.isValid() && m_model->rowCount(first) > 0)  // down to the first leaf
            first = m_model->index(0, 0, first);
        if (first.isValid()) {
            m_tree->scrollTo(first);
            m_tree->setCurrentIndex(first);
        }
    }
    m_tree->setFocus(Qt::OtherFocusReason);
    return true;
}

void CheckpointTab::applyFilter(const QString& text)
{
    m_model->setFilterText(text);
    expandSensibly();
    updateFilterCount();
}

// "312 of 100 000 tensors" while filtering (values and objects it keeps added), the total without.
void CheckpointTab::updateFilterCount()
{
    if (!m_model->checkpoint()) {
        m_filterCount->clear();
        return;
    }
    const int total = m_model->totalTensorCount();
    if (m_model->filterText().isEmpty()) {
        m_filterCount->setText(total == 1 ? tr("1 tensor") : tr("%1 tensors").arg(formatCount(total)));
        return;
    }
    QString text = tr("%1 of %2 tensors").arg(formatCount(m_model->visibleTensorCount()), formatCount(total));
    if (const int values = m_model->visibleValueCount(); values > 0)
        text += values == 1 ? tr(", 1 value") : tr(", %1 values").arg(formatCount(values));
    m_filterCount->setText(text);
}

// Every column on screen, each as wide as its text up to a cap (longer text is elided there and
// whole in its tooltip), never narrower than its header; the notes keep a few words. When that
// is still too wide the value, then the name give way; room left goes to the name, the notes,
// then the value (a long call or string is whole in its tooltip and in the details). The last
// column stretches over what remains.
void CheckpointTab::fitColumns()
{
    const int available = m_tree->viewport()->width();
    if (available <= 0 || !m_model->checkpoint())
        return;
    using Model = ParameterTreeModel;
    QHeaderView* header = m_tree->header();
    const int ch = m_tree->fontMetrics().averageCharWidth();
    // In characters, by column: Name, Dtype, Shape / Value, Parameters, Size, Notes.
    constexpr std::array<int, Model::ColumnCount> kCap = {44, 13, 36, 14, 12, 18};
    constexpr std::array<int, Model::ColumnCount> kFloor = {16, 0, 14, 0, 0, 0};
    // QTreeView measures the rows on screen (up to resizeContentsPrecision), indentation
    // included; its override is protected, the base's is public.
    const QAbstractItemView* view = m_tree;
    std::array<int, Model::ColumnCount> want{}, floor{}, width{};
    int excess = -available;
    for (size_t column = 0; column < want.size(); ++column) {
        const int title = header->sectionSizeHint(int(column));
        want[column] = qMax(view->sizeHintForColumn(int(column)), title);
        floor[column] = qMax(kFloor[column] * ch, title);
        width[column] = qMin(want[column], qMax(kCap[column] * ch, floor[column]));
        excess += width[column];
    }
    for (const int column : {int(Model::ShapeColumn), int(Model::NameColumn)}) {
        const int cut = qBound(0, excess, width[size_t(column)] - floor[size_t(column)]);
        width[size_t(column)] -= cut;
        excess -= cut;
    }
    for (const int column : {int(Model::NameColumn), int(Model::NotesColumn), int(Model::ShapeColumn)}) {
        const int grow = qBound(0, -excess, want[size_t(column)] - width[size_t(column)]);
        width[size_t(column)] += grow;
        excess += grow;
    }
    m_fitting = true;
    for (size_t column = 0; column < width.size(); ++column)
        header->resizeSection(int(column), width[column]);  // the last one too: it stretches from there
    m_fitting = false;
}

void CheckpointTab::expandSensibly()
{
    if (m_model->visibleTensorCount() <= 200) {
        m_tree->expandAll();
        return;
    }
    m_tree->collapseAll();
    for (int row = 0; row < m_model->rowCount() && row < 50; ++row)
        m_tree->expand(m_model->index(row, 0));
}

void CheckpointTab::copySelection(int role, int column)
{
    QStringList lines;
    for (const QModelIndex& index : m_tree->selectionModel()->selectedRows(column))
        lines.append(m_model->data(index, role).toString());
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(u'\n'));
}

void CheckpointTab::showContextMenu(const QPoint& position)
{
    if (!m_tree->indexAt(position).isValid())
        return;
    QMenu menu(this);
    menu.addAction(tr("Copy Path"), this, [this] { copySelection(ParameterTreeModel::PathRole, 0); });
    menu.addAction(tr("Copy Name"), this, [this] { copySelection(Qt::DisplayRole, ParameterTreeModel::NameColumn); });
    menu.addAction(tr("Copy Shape"), this, [this] { copySelection(Qt::DisplayRole, ParameterTreeModel::ShapeColumn); });
    menu.addSeparator();
    menu.addAction(tr("Expand All Below"), this, [this, position] { m_tree->expandRecursively(m_tree->indexAt(position)); });
    menu.addAction(tr("Collapse All"), m_tree, &QTreeView::collapseAll);
    menu.exec(m_tree->viewport()->mapToGlobal(position));
}

void CheckpointTab::showPage(int page)
{
    m_pages->setCurrentIndex(page);
}

void CheckpointTab::setDevice(const QString& device)
{
    m_details->setDevice(device);
    m_match->setDevice(device);
    const QModelIndex current = m_tree->currentIndex();
    if (current.isValid())
        m_details->showNode(m_model->checkpoint(), m_model->tree(), m_model->nodeForIndex(current));
}

void CheckpointTab::watchFiles(const CheckpointPtr& checkpoint)
{
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    m_changedBar->hide();
    if (!checkpoint)
        return;
    QStringList paths;
    for (const SourceFile& file : checkpoint->files) {
        if (file.map && QFileInfo(file.map->path()).isFile())
            paths.append(file.map->path());
    }
    if (!paths.isEmpty())
        m_watcher->addPaths(paths);
}

void CheckpointTab::showChangedOnDisk(const QString& file)
{
    const QFileInfo info(file);
    m_changedText->setText(info.exists()
                               ? tr("%1 changed on disk since it was opened. The tree shows the version that was "
                                    "opened; statistics and values of a truncated file fail until it is reloaded.")
                                     .arg(info.fileName())
                               : tr("%1 was removed or replaced on disk since it was opened.").arg(info.fileName()));
    m_changedBar->show();
}

void CheckpointTab::showBanner(const QString& html, const QColor& background)
{
    m_banner->setText(html);
    QPalette palette = m_bannerFrame->palette();
    palette.setColor(QPalette::Window, background);
    palette.setColor(QPalette::WindowText, Qt::black);
    m_bannerFrame->setPalette(palette);
    m_bannerFrame->setBackgroundRole(QPalette::Window);  // showLoading() used AlternateBase
    m_bannerFrame->show();
}

void CheckpointTab::showLoading()
{
    setUnsafeObjectLinks({});
    m_weightsOnly->inspect(nullptr, m_path);
    m_banner->setText(tr("Opening %1…").arg(m_path.toHtmlEscaped()));
    m_bannerFrame->setPalette(palette());
    m_bannerFrame->setBackgroundRole(QPalette::AlternateBase);
    m_bannerFrame->show();
}

void CheckpointTab::showCheckpoint(CheckpointPtr checkpoint, std::shared_ptr<ModuleTree> tree)
{
    if (tree)
        m_model->setCheckpoint(checkpoint, std::move(*tree));  // the loader hands it to this tab alone
    else
        m_model->setCheckpoint(checkpoint);
    m_match->setCheckpoint(checkpoint, m_path);
    watchFiles(checkpoint);
    expandSensibly();
    updateFilterCount();
    fitColumns();
    m_weightsOnly->inspect(checkpoint, m_path);
    if (!checkpoint->looksSafe()) {
        showUnsafeGlobals(*checkpoint);
    } else {
        setUnsafeObjectLinks({});
        m_bannerFrame->hide();
    }
}

// Nothing unsafe, and yet torch.load(weights_only=True) refuses it: say so above the bar that
// says which releases, and what helps. (An unsafe file's banner is up already.)
void CheckpointTab::showWeightsOnlyNotice()
{
    const CheckpointPtr& checkpoint = m_model->checkpoint();
    if (!checkpoint || !checkpoint->looksSafe() || !m_weightsOnly->someReleaseRefuses())
        return;
    setUnsafeObjectLinks({});
    showBanner(QStringLiteral("<b>%1</b>").arg(tr("Nothing in this file runs code, but torch.load(weights_only=True) refuses it "
                                                  "in some torch releases.")),
               kNoticeBackground);
}

// What torch.load would run, and where: the globals by name, then a link per object that
// selects it in the tree.
void CheckpointTab::showUnsafeGlobals(const Checkpoint& checkpoint)
{
    const std::vector<int> objects = m_model->tree().unsafeObjects();
    QStringList globals;
    for (const QString& global : checkpoint.unsafeGlobals)
        globals.append(global.toHtmlEscaped());
    QString html;
    // A pickle that unpicklers read differently may hide a call from every listing, this one
    // included: said first. The calls other readings reach are among the globals below.
    if (!checkpoint.readingDifferences.isEmpty()) {
        html += QStringLiteral("<b>%1</b> %2<br>%3")
                    .arg(tr("Do not load this file: its pickle reads differently in different unpicklers."),
                         tr("What torch.load would run may not be what is shown here."),
                         checkpoint.readingDifferences.first().toHtmlEscaped());
    }
    if (!globals.isEmpty()) {
        if (!html.isEmpty())
            html += QStringLiteral("<br>");
        html += QStringLiteral("<b>%1</b> %2<br>%3")
                    .arg(tr("Loading this file with torch.load(weights_only=False) would run code."),
                         tr("Statelens ran nothing: it reads the pickle without calling anything."),
                         tr("Globals outside torch's allow list: %1.").arg(globals.join(QStringLiteral(", "))));
    }
    if (!objects.empty()) {
        html += QStringLiteral("<br>")
                + tr("What would run, marked in the tree (click to select):", nullptr, int(objects.size()));
    }
    showBanner(html, kWarningBackground);
    setUnsafeObjectLinks(objects);
}

void CheckpointTab::setUnsafeObjectLinks(const std::vector<int>& nodes)
{
    while (QLayoutItem* item = m_unsafeLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    const ModuleTree& tree = m_model->tree();
    for (size_t i = 0; i < nodes.size() && i < size_t(kMaxUnsafeLinks); ++i) {
        const int node = nodes[i];
        auto* link = new QLabel(m_unsafeList);
        link->setObjectName(QStringLiteral("unsafeObjectLink"));
        link->setProperty("node", node);
        link->setTextFormat(Qt::RichText);
        if (node == ModuleTree::kRoot) {  // the whole file is the object: nothing to select
            link->setText(tr("the file itself: %1").arg(tree.node(node).value.toHtmlEscaped()));
        } else {
            QString text = tree.path(node) + QStringLiteral(" = ") + tree.node(node).value;
            link->setToolTip(tr("%1\nClick to select it in the tree.").arg(text));
            if (text.size() > kMaxLinkCharacters)
                text = text.left(kMaxLinkCharacters - 1) + u'…';
            link->setText(QStringLiteral("<a href=\"node:%1\">%2</a>").arg(node).arg(text.toHtmlEscaped()));
            link->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
            connect(link, &QLabel::linkActivated, this, [this](const QString& href) { selectNode(href.section(u':', 1).toInt()); });
        }
        m_unsafeLayout->addWidget(link);
    }
    if (nodes.size() > size_t(kMaxUnsafeLinks)) {
        m_unsafeLayout->addWidget(new QLabel(tr("… and %1 more, marked in the tree.").arg(nodes.size() - size_t(kMaxUnsafeLinks)), m_unsafeList));
    }
    m_unsafeList->setVisible(!nodes.empty());
}

QList<QLabel*> CheckpointTab::unsafeObjectLinks() const
{
    return m_unsafeList->findChildren<QLabel*>(QStringLiteral("unsafeObjectLink"), Qt::FindDirectChildrenOnly);
}

void CheckpointTab::selectNode(int node)
{
    QModelIndex index = m_model->indexForNode(node);
    if (!index.isValid() && !m_filter->text().isEmpty()) {
        m_filter->clear();  // the filter hides it
        index = m_model->indexForNode(node);
    }
    if (!index.isValid())
        return;
    m_tree->scrollTo(index, QAbstractItemView::PositionAtCenter);  // expands its ancestors
    m_tree->setCurrentIndex(index);
    m_tree->setFocus(Qt::OtherFocusReason);
}

void CheckpointTab::showError(const Error& error)
{
    m_model->setCheckpoint(nullptr);
    m_match->setCheckpoint(nullptr, m_path);
    watchFiles(nullptr);
    setUnsafeObjectLinks({});
    m_weightsOnly->inspect(nullptr, m_path);
    updateFilterCount();
    QString where = QFileInfo(m_path).fileName();
    if (!error.path.isEmpty() && QFileInfo(error.path) != QFileInfo(m_path))
        where += tr(" (in %1)").arg(QFileInfo(error.path).fileName());  // one shard of several
    QString detail = error.message;
    if (error.offset >= 0 && !detail.contains(QLatin1String("byte")))
        detail += tr(" (at byte %1)").arg(error.offset);
    QString html = QStringLiteral("<b>%1</b>").arg(tr("Cannot open %1: %2.").arg(where, plainWords(error)).toHtmlEscaped());
    if (const QString hint = hintFor(error.code); !hint.isEmpty())
        html += QStringLiteral("<br>") + hint.toHtmlEscaped();
    html += QStringLiteral("<br><small>%1</small>").arg(tr("Detail: %1").arg(detail).toHtmlEscaped());
    showBanner(html, kErrorBackground);
}

QString CheckpointTab::summary() const
{
    const CheckpointPtr& checkpoint = m_model->checkpoint();
    if (!checkpoint)
        return {};
    return tr("%1 · %2 tensors · %3 parameters · %4")
        .arg(formatName(checkpoint->format), formatCount(checkpoint->tensors.size()),
             formatCount(checkpoint->totalNumel()), formatBytes(checkpoint->totalNbytes()));
}

}  // namespace statelens::ui
