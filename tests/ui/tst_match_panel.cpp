// The matching panel as a user drives it: choose a model, read torch's verdict in the table and
// the error box, click a suggested fix, filter, export, load. Expected verdicts come from torch
// (tests/data/match/match_expected.json, written by make_match_fixtures.py with load_state_dict).
#include "ui/checkpoint_tab.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/match_runner.h"
#include "ui/main_window.h"
#include "ui/match_panel.h"
#include "ui/models/match_filter_proxy.h"
#include "ui/models/match_result_model.h"

#include "core/formats/checkpoint_reader.h"
#include "core/match/architecture_sources.h"

#include "tests/support/torch_requirement.h"

#include <QAbstractItemModelTester>
#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString matchData(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/match/") + name;
}

QJsonArray torchCases()
{
    QFile file(matchData(QStringLiteral("match_expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).array();
}

QStringList toStrings(const QJsonArray& array)
{
    QStringList out;
    for (const QJsonValue& value : array)
        out.append(value.toString());
    return out;
}

// Keys of the panel's rows with `status`, in the table's (model) order.
QStringList keysWithStatus(const MatchResultModel* model, MatchStatus status)
{
    QStringList keys;
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, MatchResultModel::KeyColumn);
        if (index.data(MatchResultModel::StatusRole).toInt() == int(status))
            keys.append(index.data().toString());
    }
    return keys;
}

}  // namespace

class TestMatchPanel : public QObject {
    Q_OBJECT

private:
    // Opens `file` in a fresh window and returns its panel, matched against `arch`.
    MatchPanel* openAndMatch(MainWindow& window, const QString& file, const QString& arch, bool strict = true)
    {
        window.show();
        window.openPath(file);
        if (!QTest::qWaitFor([&] { return !window.loader()->isBusy(); }, 10000))
            return nullptr;
        CheckpointTab* tab = window.currentTab();
        if (!tab)
            return nullptr;
        tab->showPage(1);
        MatchPanel* panel = tab->matchPanel();
        panel->setStrict(strict);
        QSignalSpy shown(panel, &MatchPanel::reportShown);
        panel->setArchitecture(arch);
        panel->runMatch();
        if (!shown.wait(15000))
            return nullptr;
        return panel;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    // Every torch case matched against a JSON spec (no libtorch needed) shows torch's verdict:
    // the same missing, unexpected and mismatched keys in the same order, and its message.
    void verdictsEqualTorch_data()
    {
        QTest::addColumn<QJsonObject>("expected");
        for (const QJsonValue& value : torchCases()) {
            const QJsonObject c = value.toObject();
            // Prefix cases are the fixes test's; keyed cases are found by the panel itself.
            if (c.value(QStringLiteral("spec")).isNull() || !c.value(QStringLiteral("strip_prefix")).toArray().isEmpty())
                continue;
            const QString name = c.value(QStringLiteral("checkpoint")).toString() + QStringLiteral(" vs ") + c.value(QStringLiteral("spec")).toString();
            QTest::newRow(qPrintable(name)) << c;
        }
    }
    void verdictsEqualTorch()
    {
        QFETCH(QJsonObject, expected);
        MainWindow window;
        MatchPanel* panel = openAndMatch(window, matchData(expected.value(QStringLiteral("checkpoint")).toString()),
                                         matchData(expected.value(QStringLiteral("spec")).toString()));
        QVERIFY(panel);
        QAbstractItemModelTester tester(panel->resultModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(panel->filterProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const MatchResultModel* model = panel->resultModel();
        QCOMPARE(keysWithStatus(model, MatchStatus::Missing), toStrings(expected.value(QStringLiteral("missing")).toArray()));
        QCOMPARE(keysWithStatus(model, MatchStatus::Unexpected), toStrings(expected.value(QStringLiteral("unexpected")).toArray()));
        QStringList mismatched;
        for (const QJsonValue& mismatch : expected.value(QStringLiteral("size_mismatch")).toArray())
            mismatched.append(mismatch.toObject().value(QStringLiteral("name")).toString());
        QStringList shownMismatches = keysWithStatus(model, MatchStatus::ShapeMismatch);
        // The table lists mismatches in model order, torch in its traversal order: compare as sets.
        std::sort(mismatched.begin(), mismatched.end());
        std::sort(shownMismatches.begin(), shownMismatches.end());
        QCOMPARE(shownMismatches, mismatched);
        const QJsonValue message = expected.value(QStringLiteral("strict_message"));
        if (message.isNull()) {
            QVERIFY(panel->torchMessage()->toPlainText().isEmpty());
            QVERIFY(panel->verdictLabel()->text().contains(QStringLiteral("Loads into")));
        } else {
            QCOMPARE(panel->torchMessage()->toPlainText(), message.toString());
            QVERIFY(panel->verdictLabel()->text().contains(QStringLiteral("torch would refuse")));
        }
        // The status toggles count what the table holds.
        QVERIFY(panel->statusToggle(int(MatchStatus::Missing))->text().endsWith(QString::number(model->count(MatchStatus::Missing))));
    }

    // A wrapped checkpoint: clicking the suggested fix gives the verdict torch gives after
    // stripping those prefixes (it loads); Undo brings the failure back.
    void clickingAFixAppliesIt_data()
    {
        QTest::addColumn<QString>("checkpoint");
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QStringList>("torchStrip");
        for (const QJsonValue& value : torchCases()) {
            const QJsonObject c = value.toObject();
            const QStringList strip = toStrings(c.value(QStringLiteral("strip_prefix")).toArray());
            if (strip.isEmpty() || c.value(QStringLiteral("spec")).isNull() || !c.value(QStringLiteral("strict_message")).isNull())
                continue;
            QTest::newRow(qPrintable(c.value(QStringLiteral("checkpoint")).toString()))
                << c.value(QStringLiteral("checkpoint")).toString() << c.value(QStringLiteral("spec")).toString() << strip;
        }
    }
    void clickingAFixAppliesIt()
    {
        QFETCH(QString, checkpoint);
        QFETCH(QString, spec);
        QFETCH(QStringList, torchStrip);
        MainWindow window;
        MatchPanel* panel = openAndMatch(window, matchData(checkpoint), matchData(spec));
        QVERIFY(panel);
        QVERIFY(!panel->report()->verdict.strictOk());
        const int missingBefore = panel->resultModel()->count(MatchStatus::Missing);
        auto* button = panel->suggestionsBox()->findChild<QPushButton*>(QStringLiteral("suggestion0"));
        QVERIFY(button);
        QVERIFY(button->isVisible());
        QSignalSpy shown(panel, &MatchPanel::reportShown);
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(shown.wait(10000));
        QCOMPARE(panel->appliedFixes().size(), 1);
        QCOMPARE(panel->appliedFixes().first().strip, torchStrip);
        QVERIFY(panel->report()->verdict.strictOk());
        QCOMPARE(panel->resultModel()->count(MatchStatus::Missing), 0);
        QCOMPARE(panel->resultModel()->count(MatchStatus::Unexpected), 0);
        QVERIFY(panel->torchMessage()->toPlainText().isEmpty());
        QVERIFY(!panel->suggestionsBox()->isVisible());

        panel->undoFix();
        QVERIFY(shown.wait(10000));
        QVERIFY(panel->appliedFixes().isEmpty());
        QCOMPARE(panel->resultModel()->count(MatchStatus::Missing), missingBefore);
    }

    // The status toggles and the key filter narrow the table.
    void filtersNarrowTheTable()
    {
        MainWindow window;
        MatchPanel* panel = openAndMatch(window, matchData(QStringLiteral("simple_cnn_exact.pth")), matchData(QStringLiteral("lenet5.json")));
        QVERIFY(panel);
        const MatchResultModel* model = panel->resultModel();
        MatchFilterProxy* proxy = panel->filterProxy();
        QCOMPARE(proxy->rowCount(), model->rowCount());
        panel->statusToggle(int(MatchStatus::Missing))->click();
        QCOMPARE(proxy->rowCount(), model->rowCount() - model->count(MatchStatus::Missing));
        for (int row = 0; row < proxy->rowCount(); ++row)
            QVERIFY(proxy->index(row, 0).data(MatchResultModel::StatusRole).toInt() != int(MatchStatus::Missing));
        panel->statusToggle(int(MatchStatus::Missing))->click();
        proxy->setKeyFilter(QStringLiteral("CONV1"));
        QVERIFY(proxy->rowCount() > 0);
        for (int row = 0; row < proxy->rowCount(); ++row)
            QVERIFY(proxy->index(row, 0).data().toString().contains(QStringLiteral("conv1")));
    }

    // Lenient mode counts what a lenient load copies; the torch text still says why strict fails.
    void lenientShowsTheLoadableShare()
    {
        MainWindow window;
        MatchPanel* panel = openAndMatch(window, matchData(QStringLiteral("simple_cnn_partial.pth")),
                                         matchData(QStringLiteral("simple_cnn.json")), false);
        QVERIFY(panel);
        QVERIFY(panel->verdictLabel()->text().contains(QStringLiteral("Lenient load")));
        QCOMPARE(panel->resultModel()->count(MatchStatus::Missing), 2);  // torch: 2 missing
        QVERIFY(panel->exportButton()->isEnabled());
    }

    // Export after a fix writes the model's keys, atomically; the input is never replaced.
    void exportWritesTheFixedStateDict()
    {
        MainWindow window;
        const QString input = matchData(QStringLiteral("resnet18_module_prefix.pth"));
        MatchPanel* panel = openAndMatch(window, input, matchData(QStringLiteral("resnet18.json")));
        QVERIFY(panel);
        QSignalSpy shown(panel, &MatchPanel::reportShown);
        panel->applySuggestion(0);
        QVERIFY(shown.wait(10000));
        QVERIFY(panel->report()->verdict.strictOk());

        QTemporaryDir folder;
        const QString output = folder.filePath(QStringLiteral("fixed.pt"));
        QSignalSpy outcome(panel, &MatchPanel::outcomeShown);
        panel->exportTo(output);
        QVERIFY(outcome.wait(20000));
        QVERIFY2(panel->outcomeLabel()->text().contains(QStringLiteral("Wrote 122 tensors")), qPrintable(panel->outcomeLabel()->text()));
        auto written = openCheckpoint(output);
        QVERIFY2(written, qPrintable(written ? QString() : written.error().toString()));
        auto architecture = loadArchitecture(matchData(QStringLiteral("resnet18.json")));
        QVERIFY(architecture);
        QStringList writtenNames;
        for (const TensorInfo& tensor : written.value()->tensors)
            writtenNames.append(tensor.name);
        QStringList modelNames;
        for (const ExpectedTensor& tensor : architecture.value().tensors)
            modelNames.append(tensor.name);
        QCOMPARE(writtenNames, modelNames);

        // Pointing the export at the input is refused and leaves the input as it was.
        QFile file(input);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray before = QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
        file.close();
        panel->exportTo(input);
        QVERIFY(outcome.wait(20000));
        QVERIFY(panel->outcomeLabel()->text().contains(QStringLiteral("refusing to write over the input")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256), before);
    }

    // An unknown model name is an error in the verdict line, not a crash.
    void unknownArchitectureSaysSo()
    {
        MainWindow window;
        window.show();
        window.openPath(matchData(QStringLiteral("simple_cnn_exact.pth")));
        QVERIFY(QTest::qWaitFor([&] { return !window.loader()->isBusy(); }, 10000));
        MatchPanel* panel = window.currentTab()->matchPanel();
        QSignalSpy outcome(panel, &MatchPanel::outcomeShown);
        panel->setArchitecture(matchData(QStringLiteral("no_such_spec.json")));
        panel->runMatch();
        QVERIFY(outcome.wait(15000));
        QVERIFY(!panel->report());
        QVERIFY(panel->verdictLabel()->text().contains(QStringLiteral("no_such_spec.json")));
        QVERIFY(!panel->loadButton()->isEnabled());
    }

    // Load into a built-in model on the CPU: torch's forward pass on zeros gives SimpleCNN's
    // [1, 10] logits (the fixture's model has 10 classes).
    void loadRunsTheForwardPass()
    {
        STATELENS_REQUIRE_TORCH_MODULE();
        MainWindow window;
        MatchPanel* panel = openAndMatch(window, matchData(QStringLiteral("simple_cnn_exact.pth")), QStringLiteral("simple_cnn"));
        QVERIFY(panel);
        QVERIFY(panel->report()->verdict.strictOk());
        QVERIFY(panel->loadButton()->isEnabled());
        QSignalSpy outcome(panel, &MatchPanel::outcomeShown);
        QTest::mouseClick(panel->loadButton(), Qt::LeftButton);
        QVERIFY(outcome.wait(60000));
        const QString text = panel->outcomeLabel()->text();
        QVERIFY2(text.contains(QStringLiteral("Loaded 4 tensors into SimpleCNN on <b>cpu</b>")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("output [1, 10]")), qPrintable(text));
    }
};

QTEST_MAIN(TestMatchPanel)
#include "tst_match_panel.moc"
