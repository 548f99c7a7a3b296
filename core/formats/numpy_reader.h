// NumPy's own files: a .npy holds one array (numpy.save), a .npz a zip of .npy records
// (numpy.savez, stored; numpy.savez_compressed, deflated). Numeric arrays are listed with their
// bytes in place (a deflated record is inflated only when its values are asked for); an object
// array's data is a pickle, which numpy.load(allow_pickle=True) unpickles: it is read by the
// restricted machine, so its globals are named and nothing runs.
#pragma once

#include "core/model/checkpoint.h"

namespace statelens {

class ZipArchive;

Result<Value*> readNumpyArray(Checkpoint& checkpoint, int fileIndex);

// numpy.load opens any zip as an NpzFile; we take a zip for one when it holds a .npy record
// and is no torch archive (the caller checked there is no data.pkl).
bool looksLikeNumpyArchive(const ZipArchive& archive);
// A dict from each record's name without ".npy" (numpy's NpzFile keys) to its array.
Result<Value*> readNumpyArchive(Checkpoint& checkpoint, int fileIndex, const ZipArchive& archive);

}  // namespace statelens
