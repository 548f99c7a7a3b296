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
