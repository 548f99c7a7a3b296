// The C ABI between core (torch-free) and the run-time-loaded libtorch module. No Qt, no torch.
#pragma once

extern "C" {

struct StatelensTorchApi {
    int abiVersion;
    const char* (*libtorchVersion)();
    // Fills up to `capacity` entries; returns how many devices exist.
    int (*listDevices)(char (*ids)[32], char (*names)[128], long long* memory, int capacity);
};

}  // extern "C"

namespace statelens {
constexpr int kTorchApiAbiVersion = 1;  // bump on any change to StatelensTorchApi
}
