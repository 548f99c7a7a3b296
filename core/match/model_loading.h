// Loading a checkpoint into a model for real: the matched tensors copied into the libtorch module
// (built-in or TorchScript) on the chosen device, eval(), and for built-ins one forward pass on
// a zero input of the documented shape. A strict load that torch would refuse is not attempted.
#pragma once

#include "core/match/match_report.h"
#include "core/runtime/torch_runtime.h"

namespace statelens {

struct LoadReport {
    MatchReport match;
    QString device;
    bool attempted = false;          // false when the strict match failed: nothing was loaded
    TorchRuntime::LoadOutcome outcome;
};

// The libtorch spec of an architecture the user named: a built-in name as it is, a TorchScript
// file as "torchscript:PATH". Errors for sources that describe a layout but hold no module.
Result<QString> loadableSpec(const Architecture& architecture);

Result<LoadReport> loadIntoModel(const Checkpoint& checkpoint, const QString& file, const Architecture& architecture,
                                 const MatchRequest& request, const QString& device);

}  // namespace statelens
