// statelens: the desktop application.
#include "app/statelens/screenshot_tour.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileOpenEvent>
#include <QIcon>
#include <QPointer>

namespace {

// macOS hands files double-clicked in Finder (CFBundleDocumentTypes) to a running app as
// QFileOpenEvents, not as arguments.
class FileOpenForwarder : public QObject {
public:
    explicit FileOpenForwarder(statelens::ui::MainWindow* window) : m_window(window) {}

protected:
    bool eventFilter(QObject* watched, QEvent* event) override
    {
        if (event->type() == QEvent::FileOpen && m_window) {
            m_window->openPath(static_cast<QFileOpenEvent*>(event)->file());
            return true;
        }
        return QObject::eventFilter(watched, event);
    }

private:
    QPointer<statelens::ui::MainWindow> m_window;
};

}  // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Statelens"));
    QApplication::setOrganizationName(QStringLiteral("Statelens"));
    QApplication::setOrganizationDomain(QStringLiteral("statelens.dev"));
    QApplication::setApplicationVersion(QStringLiteral(STATELENS_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/statelens.svg")));
    // Lets Wayland compositors match windows to the installed desktop entry and its icon.
    QGuiApplication::setDesktopFileName(QStringLiteral("dev.statelens.statelens"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Open a PyTorch checkpoint and understand it at a glance."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Checkpoints, shard indexes or folders to open."), QStringLiteral("[files...]"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a picture of each file's tab (a tensor selected, its histogram drawn) into DIR, then quit."),
                                        QStringLiteral("DIR"));
    const QCommandLineOption select(QStringLiteral("select"), QStringLiteral("With --screenshot: the tensor to select (dotted path)."),
                                    QStringLiteral("PATH"));
    const QCommandLineOption match(QStringLiteral("match"),
                                   QStringLiteral("Match each file against this model (built-in name, TorchScript/.pt2 file, JSON spec or ref:FILE) "
                                                  "and show the matching panel; with --screenshot, also save a picture of it."),
                                   QStringLiteral("ARCH"));
    const QCommandLineOption diff(QStringLiteral("diff"), QStringLiteral("Compare the first two files in a tab of their own."));
    parser.addOptions({screenshot, select, match, diff});
    parser.process(app);

    statelens::ui::MainWindow window;
    FileOpenForwarder forwarder(&window);
    app.installEventFilter(&forwarder);
    window.show();  // first paint before any file work
    if (parser.isSet(match) && !parser.isSet(screenshot))
        window.setMatchArchitecture(parser.value(match));
    const QStringList files = parser.positionalArguments();
    if (parser.isSet(diff) && files.size() >= 2)
        window.openDiff(files[0], files[1]);
    for (const QString& path : parser.isSet(diff) ? files.mid(2) : files)
        window.openPath(path);
    if (parser.isSet(screenshot)) {  // at the default window size: what a new user sees
        auto* tour = new statelens::ui::ScreenshotTour(&window, parser.value(screenshot), parser.value(select),
                                                        parser.value(match), &app);
        tour->start();
    }
    return app.exec();
}
