#include "ui/models/match_result_model.h"

#include "core/base/display_format.h"

#include <QGuiApplication>
#include <QColor>
#include <QHash>
#include <QPalette>

namespace statelens::ui {

QString matchStatusName(MatchStatus status)
{
    switch (status) {
    case MatchStatus::Matched: return QObject::tr("matched");
    case MatchStatus::Cast: return QObject::tr("matched, cast");
    case MatchStatus::Filled: return QObject::tr("filled by torch");
    case MatchStatus::Missing: return QObject::tr("missing");
    case MatchStatus::Unexpected: return QObject::tr("unexpected");
    case MatchStatus::ShapeMismatch: return QObject::tr("shape mismatch");
    }
    return {};
}

namespace {

QString describe(DType dtype, const QVector<qint64>& shape)
{
    return QStringLiteral("%1 %2").arg(dtypeName(dtype), formatShape(shape));
}

// A tint of the status colour over the view's base colour: readable on light and dark palettes.
QColor statusTint(MatchStatus status)
{
    QColor hue;
    switch (status) {
    case MatchStatus::Matched: return {};
    case MatchStatus::Filled: hue = QColor(0x3f, 0xa0, 0x8f); break;
    case MatchStatus::Cast: hue = QColor(0x3f, 0x8f, 0xd0); break;
    case MatchStatus::Missing: hue = QColor(0xd0, 0x3f, 0x3f); break;
    case MatchStatus::Unexpected: hue = QColor(0xd0, 0x9a, 0x2c); break;
    case MatchStatus::ShapeMismatch: hue = QColor(0xa0, 0x4f, 0xc8); break;
    }
    const QColor base = QGuiApplication::palette().color(QPalette::Base);
    const double alpha = 0.28;
    return QColor::fromRgbF(float(base.redF() * (1 - alpha) + hue.redF() * alpha),
                            float(base.greenF() * (1 - alpha) + hue.greenF() * alpha),
                            float(base.blueF() * (1 - alpha) + hue.blueF() * alpha));
}

}  // namespace

MatchResultModel::MatchResultModel(QObject* parent) : QAbstractTableModel(parent) {}

void MatchResultModel::clear()
{
    beginResetModel();
    m_rows.clear();
    std::fill(std::begin(m_counts), std::end(m_counts), 0);
    endResetModel();
}

void MatchResultModel::setReport(const Checkpoint* checkpoint, const MatchReport& report)
{
    beginResetModel();
    m_rows.clear();
    std::fill(std::begin(m_counts), std::end(m_counts), 0);
    const LoadVerdict& verdict = report.verdict;
    QHash<QString, int> offered;  // key -> tensor index
    for (const StateDictEntry& entry : report.stateDict.entries)
        offered.insert(entry.key, entry.tensor);
    auto checkpointText = [&](const QString& key) {
        const int tensor = offered.value(key, -1);
        if (!checkpoint || tensor < 0 || tensor >= checkpoint->tensors.size())
            return QString();
        return describe(checkpoint->tensors[tensor].dtype, checkpoint->tensors[tensor].shape);
    };
    QSet<QString> missing(verdict.missing.begin(), verdict.missing.end());
    QHash<QString, const ShapeMismatch*> mismatches;
    for (const ShapeMismatch& mismatch : verdict.shapeMismatches)
        mismatches.insert(mismatch.name, &mismatch);
    QHash<QString, const DtypeDifference*> casts;
    for (const DtypeDifference& difference : verdict.dtypeDifferences)
        casts.insert(difference.name, &difference);

    m_rows.reserve(report.architecture.tensors.size() + verdict.unexpected.size());
    for (const ExpectedTensor& expected : report.architecture.tensors) {
        Row row;
        row.key = expected.name;
        row.model = describe(expected.dtype, expected.shape);
        row.checkpoint = checkpointText(expected.name);
        if (missing.contains(expected.name)) {
            row.status = MatchStatus::Missing;
            row.note = tr("left at the model's initial values");
        } else if (const ShapeMismatch* mismatch = mismatches.value(expected.name)) {
            row.status = MatchStatus::ShapeMismatch;
            row.note = mismatch->cause;
        } else if (const DtypeDifference* cast = casts.value(expected.name)) {
            row.status = MatchStatus::Cast;
            row.note = tr("copied with a cast from %1 to %2").arg(dtypeName(cast->checkpoint), dtypeName(cast->model));
        } else if (row.checkpoint.isEmpty()) {
            // Absent yet not missing: torch fills it itself (BatchNorm's num_batches_tracked
            // for modules saved before version 2), so a strict load does not complain.
            row.status = MatchStatus::Filled;
            row.note = tr("not in the file; BatchNorm sets it to 0 when the saved module version is below 2 or unknown");
        }
        m_rows.append(row);
    }
    for (const QString& key : verdict.unexpected) {
        Row row;
        row.key = key;
        row.status = MatchStatus::Unexpected;
        row.checkpoint = checkpointText(key);
        row.note = tr("in the checkpoint, not in the model");
        m_rows.append(row);
    }
    for (const Row& row : m_rows)
        ++m_counts[int(row.status)];
    endResetModel();
}

int MatchResultModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MatchResultModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MatchResultModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row& row = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn: return row.key;
        case StatusColumn: return matchStatusName(row.status);
        case CheckpointColumn: return row.checkpoint.isEmpty() ? QStringLiteral("—") : row.checkpoint;
        case ModelColumn: return row.model.isEmpty() ? QStringLiteral("—") : row.model;
        case NoteColumn: return row.note;
        }
        return {};
    case Qt::ToolTipRole:
        return index.column() == NoteColumn && !row.note.isEmpty() ? row.note : row.key;
    case Qt::BackgroundRole: {
        const QColor tint = statusTint(row.status);
        return tint.isValid() ? QVariant(tint) : QVariant();
    }
    case StatusRole:
        return int(row.status);
    }
    return {};
}

QVariant MatchResultModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case KeyColumn: return tr("Key");
    case StatusColumn: return tr("Status");
    case CheckpointColumn: return tr("Checkpoint");
    case ModelColumn: return tr("Model");
    case NoteColumn: return tr("Why / cause");
    }
    return {};
}

}  // namespace statelens::ui
