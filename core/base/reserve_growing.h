// Reserving room for what is about to be appended without defeating geometric growth.
#pragma once

#include <algorithm>
#include <cstddef>

namespace statelens {

// Room for `needed` items, growing at least to twice the capacity: the shards of a sharded
// checkpoint are appended one after another, and reserving the exact new size each time copies
// everything read so far once per shard (quadratic in the shard count: 163 shards took 20x the
// time of the same tensors in one file). Works for std::vector and QList alike.
template <typename Container>
void reserveGrowing(Container& container, std::size_t needed)
{
    const std::size_t capacity = std::size_t(container.capacity());
    if (capacity < needed)
        container.reserve(decltype(container.capacity())(std::max(needed, capacity * 2)));
}

}  // namespace statelens
