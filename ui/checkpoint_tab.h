// One open checkpoint: a warning banner for unsafe globals or errors, a filter box and the
// parameter tree (module hierarchy with totals).
#pragma once

#include "core/checkpoint.h"
#include "core/module_tree.h"

#include <QWidget>

class QFileSystemWatcher;
class QLabel;
class QLineEdit;
class QTabWidget;
class QTreeView;

namespace statelens::ui {

class MatchPanel;
class ParameterTreeModel;
class TensorDetails;

class CheckpointTab : public QWidget {
    Q_OBJECT
public:
    explicit CheckpointTab(const QString& path, QWidget* parent = nullptr);

    const QString& path() const { return m_path; }
    void showCheckpoint(CheckpointPtr checkpoint, std::shared_ptr<ModuleTree> tree = {});
    void showError(const QString& message);
    void showLoading();
    // The device statistics run on; reruns the current selection's.
    void setDevice(const QString& device);

    QString summary() const;  // for the status bar
    ParameterTreeModel* model() const { return m_model; }
    QTreeView* treeView() const { return m_tree; }
    TensorDetails* details() const { return m_details; }
    MatchPanel* matchPanel() const { return m_match; }
    // Shows the details (0) or the matching panel (1) beside the tree.
    void showPage(int page);
    QLineEdit* filterEdit() const { return m_filter; }
    QLabel* banner() const { return m_banner; }
    QWidget* changedBar() const { return m_changedBar; }

Q_SIGNALS:
    // The user asked to read the file again (it changed on disk).
    void reloadRequested(const QString& path);

private:
    void applyFilter(const QString& text);
    void expandSensibly();
    void showContextMenu(const QPoint& position);
    void copySelection(int role, int column);
    void watchFiles(const CheckpointPtr& checkpoint);
    void showChangedOnDisk(const QString& file);

    QString m_path;
    QLabel* m_banner;
    QWidget* m_changedBar;
    QLabel* m_changedText;
    QFileSystemWatcher* m_watcher;
    QLineEdit* m_filter;
    QTreeView* m_tree;
    ParameterTreeModel* m_model;
    TensorDetails* m_details;
    MatchPanel* m_match;
    QTabWidget* m_pages;
};

}  // namespace statelens::ui
