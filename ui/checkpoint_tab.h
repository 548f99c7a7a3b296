// One open checkpoint: a warning banner for unsafe globals or errors, a filter box and the
// tensor listing.
#pragma once

#include "core/checkpoint.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace statelens::ui {

class TensorListModel;

class CheckpointTab : public QWidget {
    Q_OBJECT
public:
    explicit CheckpointTab(const QString& path, QWidget* parent = nullptr);

    const QString& path() const { return m_path; }
    void showCheckpoint(CheckpointPtr checkpoint);
    void showError(const QString& message);
    void showLoading();

    QString summary() const;  // for the status bar
    TensorListModel* model() const { return m_model; }
    QSortFilterProxyModel* proxy() const { return m_proxy; }
    QLineEdit* filterEdit() const { return m_filter; }
    QLabel* banner() const { return m_banner; }

private:
    void applyFilter(const QString& text);

    QString m_path;
    QLabel* m_banner;
    QLineEdit* m_filter;
    QTableView* m_table;
    TensorListModel* m_model;
    QSortFilterProxyModel* m_proxy;
};

}  // namespace statelens::ui
