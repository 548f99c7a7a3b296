// `statelens --screenshot DIR`: opens the files, selects a tensor in each tab (the one named by
// --select, else the largest), waits for its statistics, saves the window as DIR/N-FILE.png;
// with --match ARCH also matches the file against ARCH and saves DIR/N-FILE-match.png; then
// quits. README's pictures are made this way; it also drives the app end to end on a real server.
#pragma once

#include <QObject>
#include <QString>

namespace statelens::ui {

class DiffTab;
class MainWindow;

class ScreenshotTour : public QObject {
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, QString folder, QString select, QString match, QObject* parent = nullptr);
    // After the files were opened; quits the application when done, with exit code 1 when a
    // picture could not be written (the end-to-end tests check the code).
    void start();

private:
    void next();
    void shootCurrent(const QString& suffix);
    void matchCurrent();
    void shootDiff(DiffTab* diff);

    MainWindow* m_window;
    QString m_folder;
    QString m_select;
    QString m_match;
    int m_tab = -1;
    int m_failures = 0;
};

}  // namespace statelens::ui
