// Large, long-lived allocations that are filled right away (the value arena's blocks): on Linux
// they are aligned to and asking for transparent huge pages, so the first touch of 2 MiB costs one
// page fault instead of 512. Elsewhere they are ordinary allocations. Throws std::bad_alloc.
#pragma once

#include <cstddef>

namespace statelens {

constexpr std::size_t kLargeBlockAlignment = std::size_t(2) << 20;

void* allocateLargeBlock(std::size_t bytes);
void freeLargeBlock(void* block, std::size_t bytes);

}  // namespace statelens
