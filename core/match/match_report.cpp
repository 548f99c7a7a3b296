#include "core/match/match_report.h"

#include "core/base/display_format.h"

#include <QTextStream>

namespace statelens {

bool MatchReport::ok() const
{
    return request.strict ? verdict.strictOk() : !verdict.matched.isEmpty();
}

Result<MatchReport> matchCheckpoint(const Checkpoint& checkpoint, const QString& file, const Architecture& architecture,
                                    const MatchRequest& request)
{
    auto selected = selectStateDict(checkpoint, request.key);
    if (!selected)
        return selected.error();
    MatchReport report;
    report.file = file;
    report.request = request;
    report.architecture = architecture;
    report.stateDict = withFixes(withKeyEdits(withPrefixes(*selected, request.stripPrefixes, request.addPrefix), request.keyEdits),
                                 request.fixes);
    report.verdict = judgeLoad(checkpoint, report.stateDict, architecture);
    classifyShapeMismatches(architecture, &report.verdict);
    report.suggestions = suggestFixes(checkpoint, report.stateDict, architecture, report.verdict);
    return report;
}

QString matchText(const MatchReport& report)
{
    const LoadVerdict& v = report.verdict;
    const Architecture& a = report.architecture;
    QString text;
    QTextStream out(&text);
    const double share = v.modelParameters > 0 ? 100.0 * double(v.loadedParameters) / double(v.modelParameters) : 0.0;
    out << report.file << (report.stateDict.path.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(report.stateDict.path))
        << " against " << a.id << " (" << a.modelClass << ", " << a.source << "), "
        << (report.request.strict ? "strict" : "lenient") << ": " << (report.ok() ? "loads" : "does not load") << '\n';
    out << "  " << v.matched.size() << " of " << a.tensors.size() << " model tensors load ("
        << formatCount(v.loadedParameters) << " of " << formatCount(v.modelParameters) << " parameters, "
        << QString::number(share, 'f', 1) << "%)\n";
    auto list = [&](const char* title, const QStringList& names) {
        if (names.isEmpty())
            return;
        out << "  " << title << " (" << names.size() << "):";
        for (int i = 0; i < names.size() && i < 20; ++i)
            out << ' ' << names[i];
        if (names.size() > 20)
            out << " ... and " << names.size() - 20 << " more";
        out << '\n';
    };
    list("missing", v.missing);
    list("unexpected", v.unexpected);
    if (!v.shapeMismatches.isEmpty()) {
        out << "  shape mismatch (" << v.shapeMismatches.size() << "):\n";
        for (const ShapeMismatch& mismatch : v.shapeMismatches)
            out << "    " << mismatch.name << ": " << mismatch.cause << '\n';
    }
    if (!v.dtypeDifferences.isEmpty())
        out << "  dtype differs (cast on load) for " << v.dtypeDifferences.size() << " tensors, e.g. "
            << v.dtypeDifferences.first().name << ": " << dtypeName(v.dtypeDifferences.first().checkpoint) << " -> "
            << dtypeName(v.dtypeDifferences.first().model) << '\n';
    if (!report.request.strict) {
        const QStringList initial = v.leftInitial();
        list("left at initial values", initial);
    }
    if (!v.strictMessage.isEmpty() && report.request.strict)
        out << "\ntorch's error:\n" << v.strictMessage << '\n';
    if (!report.suggestions.isEmpty()) {
        out << "\nsuggestions:\n";
        for (const FixSuggestion& suggestion : report.suggestions) {
            out << "  " << suggestion.description();
            if (suggestion.kind == QLatin1String("strip-prefix") || suggestion.kind == QLatin1String("replace-prefix")) {
                for (const QString& prefix : suggestion.strip)
                    out << "   (--strip-prefix " << prefix << ')';
            }
            if (!suggestion.add.isEmpty())
                out << "   (--add-prefix " << suggestion.add << ')';
            out << '\n';
        }
    }
    out.flush();
    return text;
}

}  // namespace statelens
