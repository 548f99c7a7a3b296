// The C ABI between core (torch-free) and the run-time-loaded libtorch module. No Qt, no torch.
#pragma once

extern "C" {

// Moments of a run of values, as core/stats/moments.h keeps them (plain C for the ABI).
struct StatelensMoments {
    long long finite, nan, posInf, negInf, zeros;
    double min, max, mean, m2;
};

// Sums over pairs (a[i], b[i]) with d = a - b, in float64 (float32 on MPS), as core/diff/tensor_diff.h
// keeps them: pairs with a != b, pairs whose d is NaN, max |d|, and the sums of |d|, d^2, a^2,
// b^2 and a * b.
struct StatelensDiffSums {
    long long count, differing, nanDiffs;
    double maxAbs, sumAbs, sumSq, sumA2, sumB2, dot;
};

// Receives what the module reports about architectures; unused callbacks may be null.
struct StatelensArchitectureSink {
    void* context;
    void (*entry)(void* context, const char* name, const char* description);
    void (*model)(void* context, const char* modelClass, const long long* inputShape, int inputRank);
    void (*module)(void* context, const char* name);  // named_modules() order, "" first
    void (*tensor)(void* context, const char* name, const long long* shape, int rank, const char* dtype);
};

// One checkpoint tensor to copy into the model: host memory, torch's dtype name, element strides.
struct StatelensLoadTensor {
    const char* name;
    const void* data;  // the first element
    const char* dtype;
    const long long* shape;
    const long long* strides;
    int rank;
};

struct StatelensLoadOutcome {
    long long loaded;
    double loadSeconds;
    int ranForward;
    double forwardSeconds;
    long long inputShape[8];
    int inputRank;
    long long outputShape[8];
    int outputRank;
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
    // The built-in architectures (sink->entry for each).
    void (*listArchitectures)(const StatelensArchitectureSink* sink);
    // Builds `spec` ("resnet18:num_classes=10", or "torchscript:PATH") and reports its class,
    // example input, modules and state_dict() tensors.
    int (*describeArchitecture)(const char* spec, const StatelensArchitectureSink* sink, char* error, int capacity);
    // Builds `spec` on `device`, copies the tensors in (a cast where dtypes differ), eval(), and
    // for built-ins with runForward runs one forward pass on the zero example input.
    int (*loadModel)(const char* spec, const char* device, const StatelensLoadTensor* tensors, int count,
                     int runForward, StatelensLoadOutcome* outcome, char* error, int capacity);
    // Copies `count` pairs of values (float32, or float64 when isDouble) to `device` and reduces
    // their differences there with libtorch's own operators.
    int (*diffSums)(const char* device, int isDouble, const void* a, const void* b, long long count,
                    StatelensDiffSums* out, char* error, int capacity);
};

}  // extern "C"

namespace statelens {
constexpr int kTorchApiAbiVersion = 4;  // bump on any change to StatelensTorchApi
}
