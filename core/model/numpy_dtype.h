// NumPy's dtype strings ('<f4', '|b1', '>i8', '|O', '<U10') as the model lists arrays: the torch
// dtype a numeric one decodes as, and the array layout (C or Fortran order). Shared by the pickle
// machine (ndarrays pickled inside a checkpoint) and the .npy/.npz reader.
#pragma once

#include "core/model/tensor_info.h"

namespace statelens {

struct NumpyType {
    char kind = 0;  // 'b', 'i', 'u', 'f', 'c'
    int size = 0;   // bytes
    DType dtype = DType::Unknown;  // Unknown: strings, objects, datetimes, records
};

// A dtype code with or without its byte-order prefix ('f4', '<f4', '|b1', 'c16').
NumpyType numpyType(QString code);

// Bytes of one element of a NumPy dtype string ('<U10': 40, '|S5': 5, '|O': 8, '<M8[ns]': 8,
// '<f4': 4), -1 when the string alone does not say (a record's field list).
qint64 numpyItemSize(const QString& dtype);

// Makes ARRAY a NumPy array of dtype ORDER+CODE ('<', 'f4') laid out in C or Fortran order: its
// kind, NumPy dtype name (as NumPy names it on the little-endian machines we run on: '>i4' data
// comes back as '<i4', the bytes swapped) and element strides. ARRAY's shape must be set; its
// torch dtype and storage are the caller's, since only data it holds make them.
NumpyType describeNumpyArray(TensorInfo* array, const QString& order, QString code, bool fortranOrder);

}  // namespace statelens
