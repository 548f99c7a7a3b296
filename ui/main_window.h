// The main window: one tab per open checkpoint; files arrive by drop, File › Open or the command line.
#pragma once

#include "ui/jobs/job_tracker.h"

#include <QMainWindow>

class QTabWidget;
class QLabel;
class QAction;
class QMenu;

namespace statelens::ui {

class CheckpointLoader;
class CheckpointTab;
class DiffTab;
class DeviceSelector;

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

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
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
    CheckpointTab* tabFor(const QString& path) const;

    QTabWidget* m_tabs;
    QLabel* m_status;
    CheckpointLoader* m_loader;
    DeviceSelector* m_devices;
    QString m_matchArchitecture;
    QMenu* m_recentMenu = nullptr;
    QAction* m_reloadAction = nullptr;
    QAction* m_matchAction = nullptr;
    JobTracker m_aboutJob{this};  // the libtorch version for the About box; last member: waited for first
};

}  // namespace statelens::ui
