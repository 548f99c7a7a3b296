// statelens: the desktop application.
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Statelens"));
    QApplication::setOrganizationName(QStringLiteral("Statelens"));
    QApplication::setOrganizationDomain(QStringLiteral("statelens.dev"));
    QApplication::setApplicationVersion(QStringLiteral(STATELENS_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/statelens.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Open a PyTorch checkpoint and understand it at a glance."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Checkpoints, shard indexes or folders to open."), QStringLiteral("[files...]"));
    parser.process(app);

    statelens::ui::MainWindow window;
    window.show();  // first paint before any file work
    for (const QString& path : parser.positionalArguments())
        window.openPath(path);
    return app.exec();
}
