// Names and memory of the CUDA devices, from the NVIDIA driver's C API (libcuda / nvcuda.dll),
// loaded at run time: libtorch's CPU headers cannot name a device or its memory, and the driver
// answers without initialising a CUDA context in libtorch. Empty when there is no driver.
#pragma once

#include <QString>
#include <QVector>

namespace statelens {

struct CudaDeviceDescription {
    QString name;           // "NVIDIA H200"
    qint64 memoryBytes = 0;
};

QVector<CudaDeviceDescription> queryCudaDevices();

}  // namespace statelens
