// The C ABI between core (torch-free) and the run-time-loaded libtorch module. No Qt, no torch.
#pragma once

extern "C" {

// Moments of a run of values, as core/stats/moments.h keeps them (plain C for the ABI).
struct StatelensMoments {
    long long finite, nan, posInf, negInf, zeros;
    double min, max, mean, m2;
};

// Functions returning int give 0 on success; otherwise they write a sentence to `error`.
struct StatelensTorchApi {
    int abiVersion;
    const char* (*libtorchVersion)();
    // Fills up to `capacity` entries; returns how many devices exist.
    int (*listDevices)(char (*ids)[32], char (*names)[128], long long* memory, int capacity);
    // Whether tensors can be placed on `device` ("cpu", "cuda", "cuda:1", "mps"), and if not why.
    int (*checkDevice)(const char* device, char* error, int capacity);
    // Copies `count` values (float32, or float64 when isDouble) to `device`, as map_location
    // would, and reduces them there with libtorch's own operators.
    int (*moments)(const char* device, int isDouble, const void* values, long long count,
                   StatelensMoments* out, char* error, int capacity);
    // Adds torch.histc(values, bins, lo, hi) to counts[0..bins).
    int (*histogram)(const char* device, int isDouble, const void* values, long long count,
                     double lo, double hi, int bins, long long* counts, char* error, int capacity);
};

}  // extern "C"

namespace statelens {
constexpr int kTorchApiAbiVersion = 2;  // bump on any change to StatelensTorchApi
}
