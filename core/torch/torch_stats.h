// The statistics entry points of the torch module's C ABI (see core/runtime/torch_api.h).
#pragma once

#include "core/runtime/torch_api.h"

namespace statelens::torchmodule {

int checkDevice(const char* device, char* error, int capacity);
int moments(const char* device, int isDouble, const void* values, long long count, StatelensMoments* out,
            char* error, int capacity);
int histogram(const char* device, int isDouble, const void* values, long long count, double lo, double hi,
              int bins, long long* counts, char* error, int capacity);
int diffSums(const char* device, int isDouble, const void* a, const void* b, long long count, StatelensDiffSums* out,
             char* error, int capacity);

}  // namespace statelens::torchmodule
