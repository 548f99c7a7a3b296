// Scalars read from mapped storage bytes: legacy and safetensors files place values at any byte
// (a misaligned load is undefined behaviour, so memcpy), and big-endian storages need swapping.
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <cstring>

namespace statelens {

// One scalar of type T at `bytes`, from storage order to host order.
template <typename T>
inline T loadScalar(const uchar* bytes, bool swap)
{
    uchar copy[sizeof(T)];
    std::memcpy(copy, bytes, sizeof(T));
    if (swap)
        std::reverse(copy, copy + sizeof(T));
    T value;
    std::memcpy(&value, copy, sizeof(T));
    return value;
}

}  // namespace statelens
