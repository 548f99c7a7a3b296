#include "ui/models/match_filter_proxy.h"

namespace statelens::ui {

MatchFilterProxy::MatchFilterProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    m_shown.fill(true);
}

void MatchFilterProxy::setStatusShown(MatchStatus status, bool shown)
{
    if (m_shown[size_t(status)] == shown)
        return;
    m_shown[size_t(status)] = shown;
    invalidateFilter();
}

void MatchFilterProxy::setKeyFilter(const QString& text)
{
    if (m_key == text)
        return;
    m_key = text;
    invalidateFilter();
}

bool MatchFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, MatchResultModel::KeyColumn, sourceParent);
    const int status = index.data(MatchResultModel::StatusRole).toInt();
    if (status < 0 || status >= kMatchStatusCount || !m_shown[size_t(status)])
        return false;
    return m_key.isEmpty() || index.data().toString().contains(m_key, Qt::CaseInsensitive);
}

}  // namespace statelens::ui
