// Whether a compute device can be used, before any work starts: the statistics and comparison
// jobs and the CLI (where a wrong device is a usage error) ask the same question.
#pragma once

#include "core/base/result.h"

#include <QString>

namespace statelens {

// Validates a device name's spelling ("cpu", "cuda", "cuda:N", "mps"); then asks libtorch whether
// it exists here, unless it is "cpu", which never needs libtorch.
Status checkDeviceAvailable(const QString& device);

}  // namespace statelens
