// The expected.json files the fixture generators write (from torch, NumPy, joblib, picklescan):
// {"files": {"<name>": {...}}}, one data row per file.
#pragma once

#include <QJsonObject>
#include <QString>

// The "files" object of the JSON document at PATH; empty when it cannot be read.
QJsonObject expectedFiles(const QString& path);

// Adds columns "file" (QString) and VALUECOLUMN (QJsonObject) and a row per file of PATH's
// "files"; fails the _data function when fewer than MINIMUM files are listed.
void addExpectedFileRows(const QString& path, const char* valueColumn, int minimum);

// Only the rows, for a test whose columns are those above and that takes rows from several
// files: "file" is PREFIX followed by the name, and the row is named the same.
void appendExpectedFileRows(const QString& path, const QString& prefix, int minimum);
