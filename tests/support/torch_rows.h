// Data rows that depend on what libtorch offers here, chosen at run time from what the runtime
// reports (a row named "cuda on a CPU-only libtorch" would fail on a CUDA build).
#pragma once

#include <QString>
#include <QVector>

namespace statelens::test {

// Whether tests should add rows that need the torch module: it loads, or the build requires it
// (STATELENS_TEST_WITH_TORCH: then those rows fail when it does not load, instead of vanishing).
bool torchRowsWanted();

struct DeviceRow {
    QString name;    // the row's name
    QString device;  // what the test asks for
    QString reason;  // text the error must contain besides the device
    bool needsTorch = true;
};

// Devices a compute job must refuse, with why: a misspelt name always; CUDA and MPS devices
// this machine's libtorch does not offer (every CUDA ordinal when it offers none, else the one
// past the last; MPS when absent). Without the torch module, the CUDA rows are listed for the
// torch requirement to skip or fail.
QVector<DeviceRow> unavailableDeviceRows();

}  // namespace statelens::test
