#include "large_block.h"

#include <new>

#if defined(__linux__)
#include <cstdlib>
#include <sys/mman.h>
#endif

namespace statelens {

void* allocateLargeBlock(std::size_t bytes)
{
#if defined(__linux__)
    // aligned_alloc needs a size that is a multiple of the alignment.
    const std::size_t rounded = (bytes + kLargeBlockAlignment - 1) / kLargeBlockAlignment * kLargeBlockAlignment;
    void* block = std::aligned_alloc(kLargeBlockAlignment, rounded);
    if (!block)
        throw std::bad_alloc();
    // A hint: with transparent huge pages set to "madvise" (Debian's default) only advised ranges
    // get them; when the kernel has none to give, the call fails and small pages serve.
    madvise(block, rounded, MADV_HUGEPAGE);
    return block;
#else
    return ::operator new(bytes);
#endif
}

void freeLargeBlock(void* block, std::size_t bytes)
{
#if defined(__linux__)
    (void)bytes;
    std::free(block);
#else
    ::operator delete(block, bytes);
#endif
}

}  // namespace statelens
