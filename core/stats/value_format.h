// Element values as text, the way a researcher reads them next to torch's own print: floats to
// six significant digits (printf's %.6g) with nan / inf / -inf, integers exact, bool as
// True / False, complex as a+bj. Locale-independent (a C-locale '.', whatever LC_NUMERIC says).
#pragma once

#include "core/stats/value_reader.h"

#include <QString>

namespace statelens {

// The short form for table cells: `digits` significant digits ('%.<digits>g').
QString formatValue(const ElementValue& value, int digits = 6);
// Every digit needed to read the value back exactly: 9 significant digits for float32 values,
// 17 for doubles; integers and bool as formatValue.
QString formatValueExact(const ElementValue& value);

}  // namespace statelens
