// The libtorch headers the module's files share, precompiled once (target_precompile_headers):
// ATen for statistics, the C++ frontend's nn modules for the architecture zoo, and the JIT for
// TorchScript models. Torch headers must come before any Qt header; the module uses no Qt.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/Device.h>
#include <torch/csrc/api/include/torch/version.h>
#include <torch/nn.h>
#include <torch/script.h>
