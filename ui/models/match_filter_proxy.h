// Filters a match's rows by status (the panel's Matched / Missing / ... toggles) and by a
// case-insensitive substring of the key; sorts by any column.
#pragma once

#include "ui/models/match_result_model.h"

#include <QSortFilterProxyModel>

#include <array>

namespace statelens::ui {

class MatchFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit MatchFilterProxy(QObject* parent = nullptr);

    void setStatusShown(MatchStatus status, bool shown);
    bool isStatusShown(MatchStatus status) const { return m_shown[size_t(status)]; }
    void setKeyFilter(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    std::array<bool, kMatchStatusCount> m_shown;
    QString m_key;
};

}  // namespace statelens::ui
