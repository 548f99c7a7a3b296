#include "core/runtime/cuda_driver_info.h"

#include <QLibrary>

namespace statelens {

namespace {

// The driver API's stable C entry points (cuda.h); CUresult is an int, 0 is success.
using CuInit = int (*)(unsigned int);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(size_t*, int);

}  // namespace

QVector<CudaDeviceDescription> queryCudaDevices()
{
#if defined(Q_OS_WIN)
    QLibrary driver(QStringLiteral("nvcuda"));
#else
    QLibrary driver(QStringLiteral("cuda"), 1);  // libcuda.so.1, installed with the driver
#endif
    if (!driver.load())
        return {};
    auto init = reinterpret_cast<CuInit>(driver.resolve("cuInit"));
    auto getCount = reinterpret_cast<CuDeviceGetCount>(driver.resolve("cuDeviceGetCount"));
    auto get = reinterpret_cast<CuDeviceGet>(driver.resolve("cuDeviceGet"));
    auto getName = reinterpret_cast<CuDeviceGetName>(driver.resolve("cuDeviceGetName"));
    auto totalMem = reinterpret_cast<CuDeviceTotalMem>(driver.resolve("cuDeviceTotalMem_v2"));
    int count = 0;
    if (!init || !getCount || !get || !getName || !totalMem || init(0) != 0 || getCount(&count) != 0)
        return {};
    QVector<CudaDeviceDescription> devices;
    for (int ordinal = 0; ordinal < count && ordinal < 64; ++ordinal) {
        int device = 0;
        char name[256] = {};
        size_t bytes = 0;
        if (get(&device, ordinal) != 0)
            break;
        CudaDeviceDescription description;
        if (getName(name, int(sizeof(name)) - 1, device) == 0)
            description.name = QString::fromUtf8(name);
        if (totalMem(&bytes, device) == 0)
            description.memoryBytes = qint64(bytes);
        devices.append(description);
    }
    // The driver stays loaded: libtorch's CUDA build holds it too, and unloading it is not safe.
    return devices;
}

}  // namespace statelens
