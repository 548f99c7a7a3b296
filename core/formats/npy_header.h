// The header of a NumPy .npy file (numpy/lib/format.py): magic "\x93NUMPY", version 1.0, 2.0 or
// 3.0, a little-endian header length, then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces to a newline.
// Read with NumPy's own checks (_read_array_header), the literal parsed without evaluating
// anything, every length and depth bounded.
#pragma once

#include "core/base/result.h"

#include <QString>
#include <QVector>

namespace statelens {

struct NpyHeader {
    int major = 0;
    int minor = 0;
    qint64 dataOffset = 0;      // the array's first byte (or its pickle's), from the file's start
    QString descr;              // the dtype descriptor as written: '<f4', or a record's [(...), ...]
    bool record = false;        // descr is a list of fields (a structured dtype)
    QString order;              // a plain descr's byte-order character ('<', '>', '|', '=')
    QString code;               // a plain descr without it ('f4', 'O', 'U10')
    bool fortranOrder = false;
    QVector<qint64> shape;      // as written: may hold a negative size (numpy.load infers one from a .npy's data)
    bool holdsObjects() const;  // an 'O' dtype (alone or in a record: code is then 'O'): the data is a pickle
};

// NumPy's limit for headers it reads without allow_pickle (_MAX_HEADER_SIZE).
constexpr qint64 kNumpyMaxHeaderChars = 10000;

// `data`/`size`: the file (or the .npz record) from its first byte. `size` may be just the bytes
// at hand: a header running past them is reported as truncated.
Result<NpyHeader> parseNpyHeader(const char* data, qint64 size);

// Does DATA start with the .npy magic?
bool hasNpyMagic(const char* data, qint64 size);

}  // namespace statelens
