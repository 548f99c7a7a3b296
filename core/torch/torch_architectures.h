// The architecture entry points of the torch module's C ABI (see core/runtime/torch_api.h).
#pragma once

#include "core/runtime/torch_api.h"

namespace statelens::torchmodule {

void listArchitectures(const StatelensArchitectureSink* sink);
int describeArchitecture(const char* spec, const StatelensArchitectureSink* sink, char* error, int capacity);
int loadModel(const char* spec, const char* device, const StatelensLoadTensor* tensors, int count, int runForward,
              StatelensLoadOutcome* outcome, char* error, int capacity);

}  // namespace statelens::torchmodule
