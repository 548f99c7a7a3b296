#include "core/scan/safe_globals_advice.h"

#include "core/scan/dangerous_globals.h"

namespace statelens {

namespace {

SafeGlobalsAdvice adviceFor(const Checkpoint& checkpoint, const WeightsOnlyVerdict& newest)
{
    SafeGlobalsAdvice advice;
    advice.torchVersion = newest.torchVersion;
    if (!newest.applies || newest.loads || (newest.unsupportedGlobals.isEmpty() && newest.blockedGlobals.isEmpty()))
        return advice;
    advice.applies = true;
    advice.blocked = newest.blockedGlobals;
    for (const QString& global : newest.unsupportedGlobals) {
        if (global.split(u'.').contains(QStringLiteral("?")) || !global.contains(u'.')) {
            advice.unnamed.append(global);
            continue;
        }
        advice.globals.append(global);
        const QString module = global.section(u'.', 0, -2);
        if (!advice.imports.contains(module))
            advice.imports.append(module);
    }
    for (const QString& global : advice.globals + advice.blocked + advice.unnamed) {
        if (isKnownDangerousGlobal(global))
            advice.dangerous.append(global);
    }
    // The same release again, the globals allowed: what still stands in the way, if anything.
    // Allowing a function can reveal the class of what it makes (numpy.dtype makes a
    // numpy.dtypes.Float64DType, which BUILD checks in its turn): those join the line, a few rounds.
    WeightsOnlyVerdict after = weightsOnlyVerdict(checkpoint, newest.release, advice.globals);
    for (int round = 0; round < 4 && !after.loads; ++round) {
        QStringList more;
        for (const QString& global : after.unsupportedGlobals) {
            if (!advice.globals.contains(global) && !advice.unnamed.contains(global) && !global.split(u'.').contains(QStringLiteral("?")))
                more.append(global);
        }
        if (more.isEmpty())
            break;
        for (const QString& global : more) {
            advice.globals.append(global);
            const QString module = global.section(u'.', 0, -2);
            if (!advice.imports.contains(module))
                advice.imports.append(module);
            if (isKnownDangerousGlobal(global))
                advice.dangerous.append(global);
        }
        after = weightsOnlyVerdict(checkpoint, newest.release, advice.globals);
    }
    if (!advice.globals.isEmpty())
        advice.line = QStringLiteral("torch.serialization.add_safe_globals([%1])").arg(advice.globals.join(QStringLiteral(", ")));
    advice.loadsAfter = after.loads;
    if (!after.loads)
        advice.stillFails = after.exception + QStringLiteral(": ") + after.error;
    return advice;
}

}  // namespace

WeightsOnlyAnswers weightsOnlyAnswers(const Checkpoint& checkpoint)
{
    WeightsOnlyAnswers answers;
    for (TorchRelease release : weightsOnlyReleases())
        answers.byRelease.append(weightsOnlyVerdict(checkpoint, release));
    answers.advice = adviceFor(checkpoint, answers.byRelease.back());
    return answers;
}

}  // namespace statelens
