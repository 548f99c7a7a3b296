// The libtorch headers the module's files share, precompiled once (target_precompile_headers).
// Torch headers must come before any Qt header; the module uses no Qt.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/Device.h>
#include <torch/csrc/api/include/torch/version.h>
