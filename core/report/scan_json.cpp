#include "core/report/scan_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace statelens {

namespace {

QJsonObject verdictJson(const WeightsOnlyVerdict& verdict)
{
    QJsonObject object{{QStringLiteral("torch"), verdict.torchVersion},
                       {QStringLiteral("loads"), verdict.loads},
                       {QStringLiteral("exception"), verdict.exception.isEmpty() ? QJsonValue() : QJsonValue(verdict.exception)},
                       {QStringLiteral("error"), verdict.loads ? QJsonValue() : QJsonValue(verdict.error)},
                       {QStringLiteral("message"), verdict.loads ? QJsonValue() : QJsonValue(verdict.message)},
                       {QStringLiteral("rejected"), QJsonArray::fromStringList(verdict.rejected)}};
    if (!verdict.note.isEmpty())
        object.insert(QStringLiteral("note"), verdict.note);
    return object;
}

QJsonValue adviceJson(const SafeGlobalsAdvice& advice)
{
    if (!advice.applies)
        return QJsonValue();
    return QJsonObject{{QStringLiteral("torch"), advice.torchVersion},
                       {QStringLiteral("globals"), QJsonArray::fromStringList(advice.globals)},
                       {QStringLiteral("imports"), QJsonArray::fromStringList(advice.imports)},
                       {QStringLiteral("line"), advice.line.isEmpty() ? QJsonValue() : QJsonValue(advice.line)},
                       {QStringLiteral("dangerous"), QJsonArray::fromStringList(advice.dangerous)},
                       {QStringLiteral("blocked"), QJsonArray::fromStringList(advice.blocked)},
                       {QStringLiteral("unnamed"), QJsonArray::fromStringList(advice.unnamed)},
                       {QStringLiteral("loads_after"), advice.loadsAfter},
                       {QStringLiteral("still_fails"), advice.loadsAfter ? QJsonValue() : QJsonValue(advice.stillFails)}};
}

QJsonArray otherReadingsJson(const Checkpoint& checkpoint)
{
    QJsonArray readings;
    for (const OtherReading& reading : checkpoint.otherReadings) {
        readings.append(QJsonObject{{QStringLiteral("reading"), otherReadingKindName(reading.kind)},
                                    {QStringLiteral("global"), reading.global},
                                    {QStringLiteral("unsafe"), checkpoint.unsafeGlobals.contains(reading.global)},
                                    {QStringLiteral("pickle"), reading.pickle},
                                    {QStringLiteral("byte"), reading.offset}});
    }
    return readings;
}

}  // namespace

QByteArray scanJsonText(const Checkpoint& checkpoint, const QString& file, const WeightsOnlyAnswers& answers,
                        const QString& error)
{
    const WeightsOnlyVerdict& verdict = answers.byRelease.front();
    QJsonArray byVersion;
    for (const WeightsOnlyVerdict& release : answers.byRelease) {
        QJsonObject entry = verdictJson(release);
        entry.insert(QStringLiteral("applies"), release.applies);
        if (!release.applies)
            entry.insert(QStringLiteral("note"), release.note);
        byVersion.append(entry);
    }
    QJsonObject object{{QStringLiteral("file"), file},
                       {QStringLiteral("format"), formatName(checkpoint.format)},
                       {QStringLiteral("safe"), scanSaysSafe(checkpoint, error.isEmpty())},
                       {QStringLiteral("complete"), error.isEmpty()},
                       {QStringLiteral("error"), error.isEmpty() ? QJsonValue() : QJsonValue(error)},
                       {QStringLiteral("globals"), QJsonArray::fromStringList(checkpoint.globals)},
                       {QStringLiteral("unsafe"), QJsonArray::fromStringList(checkpoint.unsafeGlobals)},
                       {QStringLiteral("reads_differently"), QJsonArray::fromStringList(checkpoint.readingDifferences)},
                       {QStringLiteral("other_readings"), otherReadingsJson(checkpoint)},
                       {QStringLiteral("weights_only"), verdict.applies ? QJsonValue(verdictJson(verdict)) : QJsonValue()}};
    if (!verdict.applies)
        object.insert(QStringLiteral("weights_only_note"), verdict.note);
    object.insert(QStringLiteral("weights_only_by_version"), byVersion);
    object.insert(QStringLiteral("add_safe_globals"), adviceJson(answers.advice));
    return QJsonDocument(object).toJson(QJsonDocument::Indented);
}

}  // namespace statelens
