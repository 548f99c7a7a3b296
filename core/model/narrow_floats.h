// Exact widening of the narrow float formats torch stores (IEEE half, bfloat16, the OCP and
// AMD/Graphcore float8 variants) to float32, which holds every one of their values exactly.
#pragma once

#include "core/model/dtype.h"

#include <cstdint>

namespace statelens {

float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);
// The 256 values of a float8 dtype, indexed by code; nullptr when `dtype` is not a float8 type.
const float* float8Table(DType dtype);

}  // namespace statelens
