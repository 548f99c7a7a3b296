// The matching panel driven as a person drives it, through the event sequences Qt produces for
// a mouse and a keyboard: click the Model field, type, Enter, click a suggested fix, click into
// the field and away again, switch windows. Before, focus leaving the editable combo re-emitted
// its remembered entry, the match reran, and the fix button being clicked was deleted under its
// own click (SIGSEGV), or an applied fix was silently dropped.
// Expected verdicts come from torch (tests/data/match/match_expected.json, written by
// make_match_fixtures.py with load_state_dict): after the fix, torch loads these files strictly.
#include "ui/architecture_chooser.h"
#include "ui/checkpoint_tab.h"
#include "ui/jobs/checkpoint_loader.h"
#include "ui/jobs/match_runner.h"
#include "ui/main_window.h"
#include "ui/match_panel.h"
#include "ui/models/match_filter_proxy.h"
#include "ui/models/match_result_model.h"

#include "tests/support/torch_requirement.h"
#include "tests/support/torch_rows.h"

#include <QApplication>
#include <QClipboard>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QToolButton>

using namespace statelens;
using namespace statelens::ui;

namespace {

QString matchData(const QString& name)
{
    return QStringLiteral(STATELENS_TEST_DATA "/match/") + name;
}

// torch's strip_prefix case for `checkpoint` that loads strictly (match_expected.json).
QStringList torchStripThatLoads(const QString& checkpoint)
{
    QFile file(matchData(QStringLiteral("match_expected.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    for (const QJsonValue& value : QJsonDocument::fromJson(file.readAll()).array()) {
        const QJsonObject c = value.toObject();
        const QJsonArray strip = c.value(QStringLiteral("strip_prefix")).toArray();
        if (c.value(QStringLiteral("checkpoint")).toString() != checkpoint || strip.isEmpty()
            || !c.value(QStringLiteral("strict_message")).isNull())
            continue;
        QStringList out;
        for (const QJsonValue& prefix : strip)
            out.append(prefix.toString());
        return out;
    }
    return {};
}

// The ways focus reaches the Model field and leaves it again before the next click.
enum class FocusChange { ClickField, TabIntoField, MouseReasonFocus, OtherWindow };

}  // namespace

Q_DECLARE_METATYPE(FocusChange)

class TestMatchInteraction : public QObject {
    Q_OBJECT

private:
    MainWindow* m_window = nullptr;
    MatchPanel* m_panel = nullptr;

    QLineEdit* field() const { return m_panel->chooser()->lineEdit(); }

    // Opens `file` and clicks the "Match to Model" page, as a person would.
    bool openAndShowMatchPage(const QString& file)
    {
        m_window = new MainWindow;
        m_window->resize(1280, 800);
        m_window->show();
        m_window->activateWindow();
        if (!QTest::qWaitForWindowActive(m_window))
            return false;
        m_window->openPath(file);
        if (!QTest::qWaitFor([&] { return !m_window->loader()->isBusy() && m_window->currentTab(); }, 10000))
            return false;
        CheckpointTab* tab = m_window->currentTab();
        auto* pages = tab->findChild<QTabWidget*>();
        if (!pages)
            return false;
        QTabBar* bar = pages->tabBar();
        QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(1).center());
        m_panel = tab->matchPanel();
        return m_panel->isVisible();
    }

    // Click the field, type the model, Enter: the match runs once.
    bool typeModel(const QString& spec)
    {
        QSignalSpy shown(m_panel, &MatchPanel::reportShown);
        QTest::mouseClick(field(), Qt::LeftButton);
        if (!field()->hasFocus())
            return false;
        QTest::keyClicks(field(), spec);
        QTest::keyClick(field(), Qt::Key_Return);
        return shown.wait(30000) && m_panel->report();
    }

    // The shown fix button whose text starts with `text`, once it is on screen (a layout shows
    // new buttons on the next pass of the event loop, as a person would see them); a test failure
    // naming the shown ones when there is none.
    QPushButton* suggestionButton(const QString& text) const
    {
        QPushButton* found = nullptr;
        QStringList shown;
        (void)QTest::qWaitFor([&] {  // found or not, the check below says which
            shown.clear();
            for (QPushButton* button : m_panel->suggestionsBox()->findChildren<QPushButton*>()) {
                if (!button->isVisible())
                    continue;
                if (button->text().startsWith(text))
                    found = button;
                shown.append(button->text());
            }
            return found != nullptr;
        }, 5000);
        if (!found)
            QTest::qFail(qPrintable(QStringLiteral("no fix button '%1' among: %2").arg(text, shown.join(QStringLiteral(" | ")))), __FILE__, __LINE__);
        return found;
    }

    // Focus goes into the Model field, the way `how` says, and stays there for the next click
    // to take it away (or leaves with the window and comes back).
    void changeFocus(FocusChange how)
    {
        switch (how) {
        case FocusChange::ClickField:
            QTest::mouseClick(field(), Qt::LeftButton);
            break;
        case FocusChange::TabIntoField: {
            // Shift+Tab from the Strict button, the field's neighbour in the tab chain.
            auto* strict = m_panel->findChild<QRadioButton*>();
            strict->setFocus(Qt::TabFocusReason);
            QTest::keyClick(strict, Qt::Key_Backtab, Qt::ShiftModifier);
            break;
        }
        case FocusChange::MouseReasonFocus:
            field()->setFocus(Qt::MouseFocusReason);
            break;
        case FocusChange::OtherWindow: {
            QTest::mouseClick(field(), Qt::LeftButton);
            QWidget other;
            other.resize(200, 100);
            other.show();
            other.activateWindow();
            QVERIFY(QTest::qWaitForWindowActive(&other));
            m_window->activateWindow();
            QVERIFY(QTest::qWaitForWindowActive(m_window));
            break;
        }
        }
    }

    // Clicks `widget` after `how` and, when the click reruns the match, waits for the report.
    bool clickAfterFocusChange(FocusChange how, QWidget* widget, bool expectReport)
    {
        if (!widget)
            return false;
        changeFocus(how);
        if (QTest::currentTestFailed())
            return false;
        QSignalSpy shown(m_panel, &MatchPanel::reportShown);
        QTest::mouseClick(widget, Qt::LeftButton, {}, QPoint(widget->width() / 2, widget->height() / 2));
        return !expectReport || shown.wait(30000);
    }

    bool loadsStrictly() const
    {
        return m_panel->report() && m_panel->report()->verdict.strictOk()
            && m_panel->verdictLabel()->text().contains(QStringLiteral("Loads into"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    void cleanup()
    {
        delete m_window;  // a window left over by a failed test must not take the next one's focus
        m_window = nullptr;
        m_panel = nullptr;
    }

    void fixSurvivesFocusChanges_data()
    {
        QTest::addColumn<QString>("checkpoint");
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("fixText");
        QTest::addColumn<FocusChange>("focus");
        struct Case {
            const char* checkpoint;
            QString model;
            const char* fix;
        };
        QVector<Case> cases = {
            {"resnet18_ddp_compiled.pth", matchData(QStringLiteral("resnet18.json")), "strip module. then _orig_mod."},
            {"lightning_style.ckpt", matchData(QStringLiteral("simple_cnn.json")), "strip model."},
        };
        if (statelens::test::torchRowsWanted()) {
            // The reported sequence exactly: the built-in model's name typed into the field.
            cases.append({"resnet18_ddp_compiled.pth", QStringLiteral("resnet18"), "strip module. then _orig_mod."});
            cases.append({"lightning_style.ckpt", QStringLiteral("simple_cnn"), "strip model."});
        }
        const QVector<QPair<const char*, FocusChange>> focusChanges = {
            {"click the field", FocusChange::ClickField},
            {"Shift+Tab into the field", FocusChange::TabIntoField},
            {"setFocus(MouseFocusReason)", FocusChange::MouseReasonFocus},
            {"another window and back", FocusChange::OtherWindow},
        };
        for (const Case& c : cases) {
            for (const auto& [name, how] : focusChanges) {
                const QString model = c.model.startsWith(u'/') ? QFileInfo(c.model).fileName() : c.model;
                QTest::newRow(qPrintable(QStringLiteral("%1 vs %2, %3").arg(QLatin1String(c.checkpoint), model, QLatin1String(name))))
                    << QString::fromLatin1(c.checkpoint) << c.model << QString::fromLatin1(c.fix) << how;
            }
        }
    }

    // The crash sequence, then every control of the panel clicked after each kind of
    // focus change: nothing crashes, the applied fix stays until an explicit change clears it,
    // and the panel says when one does.
    void fixSurvivesFocusChanges()
    {
        QFETCH(QString, checkpoint);
        QFETCH(QString, model);
        QFETCH(QString, fixText);
        QFETCH(FocusChange, focus);
        if (!model.startsWith(u'/'))
            STATELENS_REQUIRE_TORCH_MODULE();  // a built-in model's name
        const QStringList torchStrip = torchStripThatLoads(checkpoint);
        QVERIFY(!torchStrip.isEmpty());

        QVERIFY(openAndShowMatchPage(matchData(checkpoint)));
        QVERIFY(typeModel(model));
        QVERIFY(!m_panel->report()->verdict.strictOk());

        // Click the suggested fix while the Model field has focus: the crash before.
        QPushButton* fix = suggestionButton(fixText);
        QVERIFY2(fix, qPrintable(fixText));
        QVERIFY(field()->hasFocus());
        QVERIFY(clickAfterFocusChange(focus, fix, true));
        QCOMPARE(m_panel->appliedFixes().size(), 1);
        QCOMPARE(m_panel->appliedFixes().first().strip, torchStrip);
        QVERIFY(loadsStrictly());

        // Into the field and away again, no button: no rerun, the fix and the verdict stay.
        QSignalSpy busy(m_panel->runner(), &MatchRunner::busyChanged);
        changeFocus(focus);
        QTest::mouseClick(m_panel->table()->viewport(), Qt::LeftButton);
        QApplication::processEvents();
        QCOMPARE(busy.count(), 0);
        QCOMPARE(m_panel->appliedFixes().size(), 1);
        QVERIFY(loadsStrictly());

        // Undo, then the fix again, then Reset: each after the focus change.
        auto* undo = m_panel->findChild<QToolButton*>(QStringLiteral("undoFix"));
        auto* reset = m_panel->findChild<QToolButton*>(QStringLiteral("resetFixes"));
        QVERIFY(undo && reset);
        QVERIFY(clickAfterFocusChange(focus, undo, true));
        QVERIFY(m_panel->appliedFixes().isEmpty());
        QVERIFY(!m_panel->report()->verdict.strictOk());
        QVERIFY(clickAfterFocusChange(focus, suggestionButton(fixText), true));
        QVERIFY(loadsStrictly());
        QVERIFY(clickAfterFocusChange(focus, reset, true));
        QVERIFY(m_panel->appliedFixes().isEmpty());
        QVERIFY(m_panel->noticeLabel()->isVisible());
        QVERIFY2(m_panel->noticeLabel()->text().contains(QStringLiteral("Reset")), qPrintable(m_panel->noticeLabel()->text()));

        // The fix again, then Lenient: the mode change clears it and says so.
        QVERIFY(clickAfterFocusChange(focus, suggestionButton(fixText), true));
        QVERIFY(!m_panel->noticeLabel()->isVisible());
        auto radios = m_panel->findChildren<QRadioButton*>();
        QCOMPARE(radios.size(), 2);
        QVERIFY(clickAfterFocusChange(focus, radios.at(1), true));  // Lenient
        QVERIFY(m_panel->appliedFixes().isEmpty());
        QVERIFY2(m_panel->noticeLabel()->text().contains(QStringLiteral("lenient")), qPrintable(m_panel->noticeLabel()->text()));
        QVERIFY(!m_panel->report()->request.strict);
        QVERIFY(clickAfterFocusChange(focus, radios.at(0), true));  // Strict
        QVERIFY(m_panel->report()->request.strict);

        // Match describes the same model again: a fix applied for it stays.
        QVERIFY(clickAfterFocusChange(focus, suggestionButton(fixText), true));
        auto* matchButton = m_panel->findChild<QPushButton*>(QStringLiteral("matchButton"));
        QVERIFY(matchButton);
        QVERIFY(clickAfterFocusChange(focus, matchButton, true));
        QCOMPARE(m_panel->appliedFixes().size(), 1);
        QVERIFY(loadsStrictly());

        // The status toggles and Copy: no rerun, nothing lost.
        busy.clear();
        QToolButton* matched = m_panel->statusToggle(int(MatchStatus::Matched));
        QVERIFY(clickAfterFocusChange(focus, matched, false));
        QVERIFY(!matched->isChecked());
        QCOMPARE(m_panel->filterProxy()->rowCount(), 0);  // every row is matched once the fix loads
        QVERIFY(clickAfterFocusChange(focus, matched, false));
        QCOMPARE(busy.count(), 0);
        QCOMPARE(m_panel->appliedFixes().size(), 1);
    }

    // The verdict line and the fix buttons count the same thing: model tensors that load, and
    // the missing ones among the model's, with those torch fills in itself named apart. torch
    // (match_expected.json, no prefix stripped): 102 missing and every one of the 122 checkpoint
    // keys unexpected, so none of ResNet-18's 122 tensors loads and BatchNorm fills the other 20
    // (its num_batches_tracked, for a checkpoint without version metadata).
    void verdictCountsWhatTheFixesCount()
    {
        QFile file(matchData(QStringLiteral("match_expected.json")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonObject torchCase;
        for (const QJsonValue& value : QJsonDocument::fromJson(file.readAll()).array()) {
            const QJsonObject c = value.toObject();
            if (c.value(QStringLiteral("checkpoint")).toString() == QLatin1String("resnet18_ddp_compiled.pth")
                && c.value(QStringLiteral("strip_prefix")).toArray().isEmpty())
                torchCase = c;
        }
        QVERIFY(!torchCase.isEmpty());
        QFile spec(matchData(QStringLiteral("resnet18.json")));
        QVERIFY(spec.open(QIODevice::ReadOnly));
        const qsizetype modelTensors = QJsonDocument::fromJson(spec.readAll()).object().value(QStringLiteral("tensors")).toArray().size();
        const qsizetype missing = torchCase.value(QStringLiteral("missing")).toArray().size();
        const qsizetype unexpected = torchCase.value(QStringLiteral("unexpected")).toArray().size();
        const qsizetype checkpointKeys = unexpected;  // torch: every key of this file is unexpected
        const qsizetype loads = checkpointKeys - unexpected;
        QCOMPARE(modelTensors, 122);

        QVERIFY(openAndShowMatchPage(matchData(QStringLiteral("resnet18_ddp_compiled.pth"))));
        QVERIFY(typeModel(matchData(QStringLiteral("resnet18.json"))));
        const QString verdict = m_panel->verdictLabel()->text();
        const QString missingText = QStringLiteral("%1 of %2 missing, %3 filled by torch").arg(missing).arg(modelTensors).arg(modelTensors - missing - loads);
        QVERIFY2(verdict.contains(missingText), qPrintable(verdict));
        QVERIFY2(verdict.contains(QStringLiteral("%1 of %2 model tensors load").arg(loads).arg(modelTensors)), qPrintable(verdict));
        // The fix torch loads strictly with: from what loads now to every model tensor.
        QPushButton* fix = suggestionButton(QStringLiteral("strip module. then _orig_mod."));
        QVERIFY(fix);
        QVERIFY2(fix->text().contains(QStringLiteral("(%1 → %2)").arg(loads).arg(modelTensors)), qPrintable(fix->text()));
    }
};

QTEST_MAIN(TestMatchInteraction)
#include "tst_match_interaction.moc"
