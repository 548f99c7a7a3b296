// statelens-cli scan: every global the file's pickle(s) name, those outside the allow
// list, and what torch.load(FILE, weights_only=True) of torch 1.13 would do. Exit 1 when any global
// is unsafe. Nothing in the file is imported or called.
#include "app/statelens-cli/cli_commands.h"
#include "app/statelens-cli/verb_parser.h"

#include "core/formats/checkpoint_reader.h"
#include "core/report/scan_json.h"
#include "core/scan/weights_only_rules.h"

namespace statelens::cli {

namespace {

// The releases after 1.13, one line each, and what to do when the newest refuses the file.
QString weightsOnlyLaterReleasesText(const WeightsOnlyAnswers& answers)
{
    QString out;
    for (qsizetype i = 1; i < answers.byRelease.size(); ++i) {
        const WeightsOnlyVerdict& verdict = answers.byRelease[i];
        out += QStringLiteral("torch.load(weights_only=True), torch %1: %2\n")
                   .arg(verdict.torchVersion, !verdict.applies ? QStringLiteral("does not apply")
                                              : verdict.loads ? QStringLiteral("loads")
                                                              : QStringLiteral("refuses: %1: %2").arg(verdict.exception, verdict.error.section(u'\n', 0, 0)));
    }
    const SafeGlobalsAdvice& advice = answers.advice;
    if (!advice.applies)
        return out;
    if (!advice.line.isEmpty()) {
        out += QStringLiteral("To load it with weights_only=True in torch %1 (only if you trust the file):\n  import torch, %2\n  %3\n")
                   .arg(advice.torchVersion, advice.imports.join(QStringLiteral(", ")), advice.line);
        out += advice.loadsAfter ? QStringLiteral("  then it loads\n") : QStringLiteral("  it would still fail: %1\n").arg(advice.stillFails);
    }
    if (!advice.dangerous.isEmpty())
        out += QStringLiteral("  WARNING: %1 can run code or reach the system when the file is loaded\n").arg(advice.dangerous.join(QStringLiteral(", ")));
    if (!advice.blocked.isEmpty())
        out += QStringLiteral("  %1: torch refuses these modules whatever is allowed\n").arg(advice.blocked.join(QStringLiteral(", ")));
    if (!advice.unnamed.isEmpty())
        out += QStringLiteral("  %1: named only at run time, no allow list can name them\n").arg(advice.unnamed.join(QStringLiteral(", ")));
    return out;
}

}  // namespace

namespace {

QString otherReadingDescription(OtherReading::Kind kind)
{
    switch (kind) {
    case OtherReading::Kind::AfterError: return QStringLiteral("past the point where reading stopped, for an unpickler that reads on");
    case OtherReading::Kind::FileUnpickler: return QStringLiteral("as CPython's C Unpickler reads it from a file, the way torch.load does");
    case OtherReading::Kind::AfterStop: return QStringLiteral("after the pickle's STOP, for a reader that goes on");
    case OtherReading::Kind::TwinRecord: return QStringLiteral("in a zip record loaders may read instead of its twin");
    case OtherReading::Kind::ZipRecord: return QStringLiteral("in a pickle record of a zip that is no torch layout");
    case OtherReading::Kind::NestedPickle: return QStringLiteral("in a pickle held as bytes, for a call that unpickles it");
    }
    return QString();
}

}  // namespace

int runScan(const QStringList& arguments)
{
    QStringList positional;
    bool json = false;
    if (const Stop stop = parseJsonVerb(arguments, QStringLiteral("scan"), &positional, &json))
        return *stop;
    const QString file = positional[0];
    // What was read before a failure is reported: CPython would have run it before failing.
    const PartialCheckpoint opened = openAsFarAsPossible(file);
    const Checkpoint& checkpoint = *opened.checkpoint;
    if (opened.error && !scanReachedAnything(checkpoint)) {
        printError(opened.error->toString());  // nothing was reached at all
        return 2;
    }
    const QString error = opened.error ? opened.error->toString() : QString();
    const WeightsOnlyAnswers answers = weightsOnlyAnswers(checkpoint);
    const WeightsOnlyVerdict& verdict = answers.byRelease.front();
    const bool safe = scanSaysSafe(checkpoint, !opened.error);

    if (json) {
        writeBytes(scanJsonText(checkpoint, file, answers, error));
        return safe ? 0 : 1;
    }
    QString out;
    out += QStringLiteral("File:    %1\nFormat:  %2\n").arg(file, formatName(checkpoint.format));
    if (opened.error)
        out += QStringLiteral("Complete: NO, reading stopped (what came before is listed): %1\n").arg(error);
    out += QStringLiteral("Globals: %1\n").arg(checkpoint.globals.isEmpty() ? QStringLiteral("none") : QString::number(checkpoint.globals.size()));
    for (const QString& name : checkpoint.globals)
        out += QStringLiteral("  %1%2\n").arg(name, checkpoint.unsafeGlobals.contains(name) ? QStringLiteral("   UNSAFE") : QString());
    if (safe)
        out += QStringLiteral("Safe:    yes, every global is a known tensor rebuilder or container\n");
    else if (opened.error && checkpoint.looksSafe())
        out += QStringLiteral("Safe:    NO, the file could not be read to its end\n");
    if (!checkpoint.unsafeGlobals.isEmpty())
        out += QStringLiteral("Safe:    NO, %1 unsafe global(s): %2 (nothing was run)\n")
                   .arg(checkpoint.unsafeGlobals.size()).arg(checkpoint.unsafeGlobals.join(QStringLiteral(", ")));
    if (!checkpoint.otherReadings.isEmpty()) {
        out += QStringLiteral("Other readings reach globals the listing above does not:\n");
        for (const OtherReading& reading : checkpoint.otherReadings) {
            out += QStringLiteral("  %1%2   (%3, %4 byte %5)\n")
                       .arg(reading.global, checkpoint.unsafeGlobals.contains(reading.global) ? QStringLiteral("   UNSAFE") : QString(),
                            otherReadingDescription(reading.kind), reading.pickle)
                       .arg(reading.offset);
        }
    }
    if (!checkpoint.readingDifferences.isEmpty()) {
        out += QStringLiteral("Safe:    NO, a pickle reads differently in different unpicklers: what torch.load runs may not be what is listed\n");
        for (const QString& difference : checkpoint.readingDifferences)
            out += QStringLiteral("  %1\n").arg(difference);
    }
    if (!verdict.applies) {
        out += QStringLiteral("torch.load(weights_only=True): does not apply: %1\n").arg(verdict.note);
    } else {
        out += QStringLiteral("torch.load(weights_only=True), torch %1: %2\n")
                   .arg(verdict.torchVersion, verdict.loads ? QStringLiteral("loads") : QStringLiteral("refuses: %1: %2").arg(verdict.exception, verdict.error));
        if (!verdict.note.isEmpty())
            out += QStringLiteral("  (%1)\n").arg(verdict.note);
        for (const QString& reason : verdict.rejected)
            out += QStringLiteral("  rejects: %1\n").arg(reason);
        out += weightsOnlyLaterReleasesText(answers);
    }
    writeBytes(out.toUtf8());
    return safe ? 0 : 1;
}

}  // namespace statelens::cli
