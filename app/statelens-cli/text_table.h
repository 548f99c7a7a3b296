// A plain-text table with aligned columns for the CLI's human-readable output.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens::cli {

class TextTable {
public:
    enum class Align { Left, Right };
    void setHeader(const QStringList& header, const QVector<Align>& align);
    void addRow(const QStringList& row);
    QString render() const;

private:
    QStringList m_header;
    QVector<Align> m_align;
    QVector<QStringList> m_rows;
};

}  // namespace statelens::cli
