// qcustomplot.h uses Qt's bare `signals`, `slots`, `emit` and `foreach`, which this project turns
// off (QT_NO_KEYWORDS, QT_NO_FOREACH). Include it only through this header, from files built
// with -UQT_NO_FOREACH (see ui/CMakeLists.txt).
#pragma once

#ifdef QT_NO_FOREACH
#error "qcustomplot.h needs Q_FOREACH: build this file with -UQT_NO_FOREACH"
#endif
#ifndef QCUSTOMPLOT_USE_LIBRARY
#define QCUSTOMPLOT_USE_LIBRARY
#endif
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef foreach
#undef emit
#undef slots
#undef signals
