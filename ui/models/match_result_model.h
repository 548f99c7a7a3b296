// The rows of a match, one per key: every model tensor in the model's order (matched, missing,
// of another shape, cast to another dtype), then the checkpoint's unexpected keys in torch's
// order. Rows carry their status so a view can colour them and a proxy can filter them.
#pragma once

#include "core/match/match_report.h"

#include <QAbstractTableModel>

namespace statelens::ui {

// Filled: absent from the file, yet not missing, because the module fills it in while loading
// (BatchNorm's num_batches_tracked for modules saved before version 2).
enum class MatchStatus { Matched, Cast, Filled, Missing, Unexpected, ShapeMismatch };
constexpr int kMatchStatusCount = 6;
QString matchStatusName(MatchStatus status);

class MatchResultModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { KeyColumn, StatusColumn, CheckpointColumn, ModelColumn, NoteColumn, ColumnCount };
    static constexpr int StatusRole = Qt::UserRole + 1;  // int(MatchStatus)

    explicit MatchResultModel(QObject* parent = nullptr);

    // `checkpoint` gives the dtype and shape of checkpoint keys.
    void setReport(const Checkpoint* checkpoint, const MatchReport& report);
    void clear();
    int count(MatchStatus status) const { return m_counts[int(status)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        QString key;
        MatchStatus status = MatchStatus::Matched;
        QString checkpoint;  // "float32 [64, 3, 7, 7]", empty when the checkpoint has no such key
        QString model;
        QString note;
    };
    QVector<Row> m_rows;
    int m_counts[kMatchStatusCount] = {};
};

}  // namespace statelens::ui
