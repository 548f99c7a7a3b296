// A streaming JSON writer: the listing of a 100 000-tensor checkpoint is written as it is walked,
// without building a QJsonDocument of it first (which costs ~25 µs and several allocations per
// tensor). Output is indented like QJsonDocument::Indented.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

namespace statelens {

class JsonWriter {
public:
    void beginObject();
    void endObject();
    void beginArray();
    void endArray();
    // Inside an object: the key of the next value.
    void key(const char* name);

    void value(const QString& text);
    void value(qint64 number);
    void value(int number) { value(qint64(number)); }
    void value(double number);
    void value(bool flag);
    void null();
    // A key and its figure: null when the figure is not known (nothing was computed) or not
    // finite (JSON has no NaN or infinity).
    void figure(const char* name, double number, bool known = true);
    void value(const QVector<qint64>& numbers);  // a one-line array of integers
    void value(const QStringList& texts);

    const QByteArray& text() const { return m_out; }

private:
    void beforeValue();
    void newline();
    void writeString(const QString& text);

    QByteArray m_out;
    QVector<bool> m_first;  // per open container: no element written yet
    bool m_afterKey = false;
};

}  // namespace statelens
