// The main window: one tab per open checkpoint or comparison; files arrive by drop, File › Open,
// the recent files or the command line. With no tab open it shows the empty state, which invites
// the first file.
#pragma once

#include "ui/jobs/job_tracker.h"

#include <QMainWindow>

class QTabWidget;
class QLabel;
class QAction;
class QMenu;
class QPushButton;
class QStackedWidget;
class QToolButton;
class QVBoxLayout;

namespace statelens::ui {

class CheckpointLoader;
class CheckpointTab;
class DiffTab;
class DeviceSelector;

// What the window shows with no tab open: Open… and Compare…, a drop zone that lights up while
// files are dragged over the window, and the recent files, each one click from reopening.
class EmptyState : public QWidget {
    Q_OBJECT
public:
    explicit EmptyState(QWidget* parent = nullptr);

    // Files that are gone stay listed, disabled, as in File › Open Recent.
    void setRecentFiles(const QStringList& paths);
    void setDropHighlighted(bool highlighted);
    bool isDropHighlighted() const { return m_dropHighlighted; }

    QPushButton* openButton() const { return m_open; }
    QPushButton* compareButton() const { return m_compare; }
    QWidget* dropZone() const { return m_dropZone; }
    // One per recent file, newest first; the tooltip holds the full path.
    const QVector<QToolButton*>& recentButtons() const { return m_recentButtons; }

Q_SIGNALS:
    void openRequested();
    void compareRequested();
    void recentRequested(const QString& path);

private:
    void addHeading(QVBoxLayout* column);
    void addButtons(QVBoxLayout* column);
    void addDropZone(QVBoxLayout* column);
    void addRecentList(QVBoxLayout* column);

    QPushButton* m_open;
    QPushButton* m_compare;
    QWidget* m_dropZone;
    QLabel* m_dropText;
    QLabel* m_recentTitle;
    QVBoxLayout* m_recentLayout;
    QVector<QToolButton*> m_recentButtons;
    bool m_dropHighlighted = false;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    void openPath(const QString& path);
    // Compares two checkpoints in a new tab.
    void openDiff(const QString& pathA, const QString& pathB);
    // Files opened from now on are matched against `spec` and show the matching panel.
    void setMatchArchitecture(const QString& spec) { m_matchArchitecture = spec; }
    QTabWidget* tabs() const { return m_tabs; }
    CheckpointTab* currentTab() const;
    CheckpointLoader* loader() const { return m_loader; }
    DeviceSelector* deviceSelector() const { return m_devices; }
    EmptyState* emptyState() const { return m_empty; }
    // Ctrl+Tab / Ctrl+PgDown and Ctrl+Shift+Tab / Ctrl+PgUp, in View.
    QAction* nextTabAction() const { return m_nextTabAction; }
    QAction* previousTabAction() const { return m_previousTabAction; }

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void createMenus();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();
    void showOpenDialog();
    void showCompareDialog(bool withCurrent);
    void showAbout();
    void updateStatus();
    void updateActions();
    void switchTab(int step);
    CheckpointTab* tabFor(const QString& path) const;

    QStackedWidget* m_pages;  // the empty state, or the tabs
    EmptyState* m_empty;
    QTabWidget* m_tabs;
    QLabel* m_status;
    CheckpointLoader* m_loader;
    DeviceSelector* m_devices;
    QString m_matchArchitecture;
    QMenu* m_recentMenu = nullptr;
    QAction* m_reloadAction = nullptr;
    QAction* m_matchAction = nullptr;
    QAction* m_compareCurrentAction = nullptr;
    QAction* m_closeTabAction = nullptr;
    QAction* m_nextTabAction = nullptr;
    QAction* m_previousTabAction = nullptr;
    JobTracker m_aboutJob{this};  // the libtorch version for the About box; last member: waited for first
};

}  // namespace statelens::ui
