// Large inputs made on the fly for tests that need work long enough to interact with (a Cancel
// pressed while statistics stream). Never committed: a sparse file of zeros costs no disk.
#pragma once

#include <QString>

namespace statelens::test {

// A safetensors file of `tensors` float32 tensors "blocks.N.weight" of `numel` zeros each.
bool writeZeroSafetensors(const QString& path, int tensors, qint64 numel);

}  // namespace statelens::test
