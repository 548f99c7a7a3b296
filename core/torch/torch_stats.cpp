// Statistics on a libtorch device (CUDA, MPS, or the CPU for cross-checks): the values are copied
// there as map_location would and reduced with torch's own operators.
#include "core/torch/torch_precompiled.h"

#include "core/torch/torch_stats.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace statelens::torchmodule {

namespace {

// Whether this libtorch was built with CUDA at all: a CPU-only build keeps the default hooks,
// which cannot name a CUDA runtime version.
bool builtWithCuda()
{
    try {
        (void)at::detail::getCUDAHooks().versionCUDART();
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

void writeError(char* error, int capacity, const std::string& text)
{
    if (error && capacity > 0)
        std::snprintf(error, size_t(capacity), "%s", text.c_str());
}

at::Tensor onDevice(const char* device, int isDouble, const void* values, long long count)
{
    // from_blob wraps the mapped bytes without copying; nothing below writes to them.
    const at::Tensor host = at::from_blob(const_cast<void*>(values), {count},
                                          at::TensorOptions().dtype(isDouble ? at::kDouble : at::kFloat));
    return host.to(c10::Device(device));
}

}  // namespace

int checkDevice(const char* device, char* error, int capacity)
{
    try {
        const c10::Device target{std::string(device)};
        if (target.is_cpu())
            return 0;
        if (target.is_cuda()) {
            if (!builtWithCuda()) {
                writeError(error, capacity, "this libtorch (" TORCH_VERSION ") was built without CUDA support");
                return 1;
            }
            const int count = at::detail::getCUDAHooks().getNumGPUs();
            if (count == 0) {
                writeError(error, capacity, "no CUDA device is visible (no driver, or CUDA_VISIBLE_DEVICES hides them)");
                return 1;
            }
            if (target.has_index() && target.index() >= count) {
                writeError(error, capacity, "there is no device " + target.str() + ": this machine has "
                                                + std::to_string(count) + " CUDA device(s), cuda:0 to cuda:"
                                                + std::to_string(count - 1));
                return 1;
            }
            return 0;
        }
        if (target.is_mps()) {
            if (!at::hasMPS()) {
                writeError(error, capacity, "MPS needs macOS 12.3 or later on Apple silicon and a libtorch built with it");
                return 1;
            }
            return 0;
        }
        writeError(error, capacity, "device type '" + target.str() + "' is not one Statelens computes on");
        return 1;
    } catch (const c10::Error& e) {
        writeError(error, capacity, e.what_without_backtrace());
        return 1;
    } catch (const std::exception& e) {
        writeError(error, capacity, e.what());
        return 1;
    }
}

int moments(const char* device, int isDouble, const void* values, long long count, StatelensMoments* out,
            char* error, int capacity)
{
    try {
        const at::Tensor t = onDevice(device, isDouble, values, count);
        const double infinity = std::numeric_limits<double>::infinity();
        out->nan = at::isnan(t).sum().item<int64_t>();
        out->posInf = t.eq(infinity).sum().item<int64_t>();
        out->negInf = t.eq(-infinity).sum().item<int64_t>();
        out->zeros = t.eq(0).sum().item<int64_t>();
        // MPS has no float64: its reductions stay in float32 there (tree-shaped, so the error
        // grows with log n, not n). Everywhere else the finite values are reduced in float64.
        at::Tensor finite = t.masked_select(at::isfinite(t));
        if (!t.device().is_mps())
            finite = finite.to(at::kDouble);
        out->finite = finite.numel();
        out->min = infinity;
        out->max = -infinity;
        out->mean = 0.0;
        out->m2 = 0.0;
        if (out->finite > 0) {
            const auto extremes = at::aminmax(finite);
            out->min = std::get<0>(extremes).item<double>();
            out->max = std::get<1>(extremes).item<double>();
            out->mean = finite.mean().item<double>();
            out->m2 = (finite - out->mean).square().sum().item<double>();
        }
        return 0;
    } catch (const c10::Error& e) {
        writeError(error, capacity, e.what_without_backtrace());
    } catch (const std::exception& e) {
        writeError(error, capacity, e.what());
    }
    return 1;
}

int histogram(const char* device, int isDouble, const void* values, long long count, double lo, double hi,
              int bins, long long* counts, char* error, int capacity)
{
    try {
        const at::Tensor t = onDevice(device, isDouble, values, count);
        const at::Tensor finite = t.masked_select(at::isfinite(t));
        const at::Tensor result = at::histc(finite, bins, lo, hi).to(at::kCPU).to(at::kLong).contiguous();
        const int64_t* data = result.data_ptr<int64_t>();
        for (int b = 0; b < bins; ++b)
            counts[b] += data[b];
        return 0;
    } catch (const c10::Error& e) {
        writeError(error, capacity, e.what_without_backtrace());
    } catch (const std::exception& e) {
        writeError(error, capacity, e.what());
    }
    return 1;
}

int diffSums(const char* device, int isDouble, const void* a, const void* b, long long count, StatelensDiffSums* out,
             char* error, int capacity)
{
    try {
        at::Tensor ta = onDevice(device, isDouble, a, count);
        at::Tensor tb = onDevice(device, isDouble, b, count);
        out->count = count;
        out->differing = ta.ne(tb).sum().item<int64_t>();
        // MPS has no float64: its sums stay in float32 there, as the statistics' do.
        if (!ta.device().is_mps()) {
            ta = ta.to(at::kDouble);
            tb = tb.to(at::kDouble);
        }
        const at::Tensor d = ta - tb;
        out->nanDiffs = at::isnan(d).sum().item<int64_t>();
        out->maxAbs = 0.0;
        out->sumAbs = out->sumSq = out->sumA2 = out->sumB2 = out->dot = 0.0;
        if (count == 0)
            return 0;
        const at::Tensor absolute = d.abs();
        if (out->nanDiffs == 0)
            out->maxAbs = absolute.max().item<double>();
        out->sumAbs = absolute.sum().item<double>();
        out->sumSq = at::dot(d, d).item<double>();
        out->sumA2 = at::dot(ta, ta).item<double>();
        out->sumB2 = at::dot(tb, tb).item<double>();
        out->dot = at::dot(ta, tb).item<double>();
        return 0;
    } catch (const c10::Error& e) {
        writeError(error, capacity, e.what_without_backtrace());
    } catch (const std::exception& e) {
        writeError(error, capacity, e.what());
    }
    return 1;
}

}  // namespace statelens::torchmodule
