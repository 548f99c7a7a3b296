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

// A figure in a table cell: six significant digits, "-" when it does not exist or is not finite.
QString tableFigure(double value, bool exists = true);

}  // namespace statelens::cli
