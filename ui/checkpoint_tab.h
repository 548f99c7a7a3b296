// One open checkpoint: a banner (unsafe globals with links to the objects that would run, or why
// the file cannot be opened, in plain words first), a filter box with its match count (Ctrl+F),
// and the parameter tree (module hierarchy with totals) with its columns fitted to the view.
#pragma once

#include "core/base/result.h"
#include "core/model/checkpoint.h"
#include "core/model/module_tree.h"

#include <QWidget>

class QFileSystemWatcher;
class QFrame;
class QLabel;
class QLineEdit;
class QTabWidget;
class QTreeView;
class QVBoxLayout;

namespace statelens::ui {

class MatchPanel;
class ParameterTreeModel;
class TensorDetails;
class WeightsOnlyBar;

class CheckpointTab : public QWidget {
    Q_OBJECT
public:
    explicit CheckpointTab(const QString& path, QWidget* parent = nullptr);

    const QString& path() const { return m_path; }
    // The tree at once; torch.load(weights_only=True) per torch release follows under the banner
    // (WeightsOnlyBar works it out off the GUI thread: four walks of a big pickle take seconds).
    void showCheckpoint(CheckpointPtr checkpoint, std::shared_ptr<ModuleTree> tree = {});
    // Why the file cannot be opened: plain words from the error's code and what the reader was
    // reading first, then the reader's own message.
    void showError(const Error& error);
    void showLoading();
    // The device statistics run on; reruns the current selection's.
    void setDevice(const QString& device);
    // Selects a node of the tree (ModuleTree index), clearing a filter that hides it.
    void selectNode(int node);
    // Gives the filter the keyboard, its text selected (Ctrl+F).
    void focusFilter();

    QString summary() const;  // for the status bar
    ParameterTreeModel* model() const { return m_model; }
    QTreeView* treeView() const { return m_tree; }
    TensorDetails* details() const { return m_details; }
    MatchPanel* matchPanel() const { return m_match; }
    // Shows the details (0) or the matching panel (1) beside the tree.
    void showPage(int page);
    QLineEdit* filterEdit() const { return m_filter; }
    QLabel* filterCount() const { return m_filterCount; }
    QLabel* banner() const { return m_banner; }
    // One link per unsafe object in the banner ("payload = posix.system(...)"), in file order.
    QList<QLabel*> unsafeObjectLinks() const;
    QWidget* changedBar() const { return m_changedBar; }
    WeightsOnlyBar* weightsOnlyBar() const { return m_weightsOnly; }

Q_SIGNALS:
    // The user asked to read the file again (it changed on disk).
    void reloadRequested(const QString& path);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void setUpTree();
    void applyFilter(const QString& text);
    bool handleFilterKey(int key);
    void updateFilterCount();
    void expandSensibly();
    void fitColumns();
    void showContextMenu(const QPoint& position);
    void copySelection(int role, int column);
    void watchFiles(const CheckpointPtr& checkpoint);
    void showChangedOnDisk(const QString& file);
    void showBanner(const QString& html, const QColor& background);
    void showUnsafeGlobals(const Checkpoint& checkpoint);
    void setUnsafeObjectLinks(const std::vector<int>& nodes);
    void showWeightsOnlyNotice();

    QString m_path;
    QFrame* m_bannerFrame;
    QLabel* m_banner;
    QWidget* m_unsafeList;
    QVBoxLayout* m_unsafeLayout;
    WeightsOnlyBar* m_weightsOnly;
    QWidget* m_changedBar;
    QLabel* m_changedText;
    QFileSystemWatcher* m_watcher;
    QLineEdit* m_filter;
    QLabel* m_filterCount;
    QTreeView* m_tree;
    ParameterTreeModel* m_model;
    QTabWidget* m_pages;  // made before the pages: its tab bar comes first in the Tab order
    TensorDetails* m_details;
    MatchPanel* m_match;
    bool m_fitting = false;           // our own section resizes, not the user's
    bool m_userSizedColumns = false;  // once the user drags a column, the widths are theirs
};

}  // namespace statelens::ui
