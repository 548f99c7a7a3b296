// The libtorch side of TorchRuntime: a C ABI so the loader needs no torch headers.
// ATen only, precompiled: <torch/torch.h> costs seconds per translation unit.
#include "core/torch/torch_precompiled.h"

#include "core/runtime/torch_api.h"
#include "core/torch/torch_architectures.h"
#include "core/torch/torch_stats.h"

#include <cstdio>
#include <cstring>
#include <thread>

namespace {

const char* libtorchVersion()
{
    return TORCH_VERSION;
}

void copyText(char* target, size_t capacity, const char* text)
{
    std::snprintf(target, capacity, "%s", text);
}

int listDevices(char (*ids)[32], char (*names)[128], long long* memory, int capacity)
{
    int count = 0;
    auto add = [&](const char* id, const char* name, long long bytes) {
        if (count < capacity) {
            copyText(ids[count], sizeof(ids[count]), id);
            copyText(names[count], sizeof(names[count]), name);
            memory[count] = bytes;
        }
        ++count;
    };
    char cpuName[128];
    std::snprintf(cpuName, sizeof(cpuName), "CPU (%u threads)", std::thread::hardware_concurrency());
    add("cpu", cpuName, 0);
    // CUDA: present only when this libtorch was built with it and a driver answers; the same
    // code compiles against CPU-only builds, where the hooks report no devices.
    try {
        if (at::hasCUDA()) {
            const int gpus = at::detail::getCUDAHooks().getNumGPUs();
            for (int i = 0; i < gpus; ++i) {
                char id[32], name[128];
                std::snprintf(id, sizeof(id), "cuda:%d", i);
                std::snprintf(name, sizeof(name), "CUDA device %d", i);
                add(id, name, 0);
            }
        }
        if (at::hasMPS())
            add("mps", "Apple Metal (MPS)", 0);
    } catch (const std::exception&) {
        // A broken driver must not take the application down: CPU stays available.
    }
    return count;
}

const StatelensTorchApi kApi = {statelens::kTorchApiAbiVersion, &libtorchVersion, &listDevices,
                                &statelens::torchmodule::checkDevice, &statelens::torchmodule::moments,
                                &statelens::torchmodule::histogram, &statelens::torchmodule::listArchitectures,
                                &statelens::torchmodule::describeArchitecture, &statelens::torchmodule::loadModel,
                                &statelens::torchmodule::diffSums};

}  // namespace

#if defined(_WIN32)
#define STATELENS_MODULE_EXPORT __declspec(dllexport)
#else
#define STATELENS_MODULE_EXPORT __attribute__((visibility("default")))
#endif

extern "C" STATELENS_MODULE_EXPORT const StatelensTorchApi* statelens_torch_api()
{
    return &kApi;
}
