#!/usr/bin/python3
"""NumPy's own files for the .npy/.npz reader, written by NumPy (numpy.save, numpy.savez,
numpy.savez_compressed, numpy.lib.format.write_array) or, for the hostile headers, byte for byte
as numpy/lib/format.py lays a header out. expected.json holds NumPy's own reading of each file:
numpy.load(allow_pickle=False) either refuses it (the exception's type and message) or returns
arrays, recorded as dtype string, shape, C/Fortran order and min/max/sum computed by NumPy.
Run with Debian's /usr/bin/python3 (NumPy 1.24): tests/data/numpy/make_numpy_fixtures.py"""
import io
import json
import os
import struct
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path_of(name):
    return os.path.join(HERE, name)


def raw_npy(header_text, data=b"", version=(1, 0)):
    """A .npy file with HEADER_TEXT (a dict literal, or anything) laid out as format.py does."""
    text = header_text.encode("latin1" if version < (3, 0) else "utf8")
    length_format = "<H" if version == (1, 0) else "<I"
    prefix = b"\x93NUMPY" + bytes(version)
    unpadded = len(prefix) + struct.calcsize(length_format) + len(text) + 1
    text += b" " * ((64 - unpadded % 64) % 64) + b"\n"
    return prefix + struct.pack(length_format, len(text)) + text + data


def numeric(array):
    array = np.asarray(array)
    if array.size == 0 or array.dtype.kind not in "biufc":
        return {}
    if array.dtype.kind == "c":
        return {"sum": float(np.abs(array).sum())}  # compared only as a magnitude
    values = array.astype(np.float64)
    return {"min": float(values.min()), "max": float(values.max()), "sum": float(values.sum())}


def describe(array):
    out = {"dtype": array.dtype.str, "shape": list(array.shape), "nbytes": int(array.nbytes),
           "fortran_order": bool(array.flags.f_contiguous and not array.flags.c_contiguous)}
    out.update(numeric(array))
    return out


def numpy_reading(name):
    try:
        loaded = np.load(path_of(name), allow_pickle=False)
    except Exception as error:  # numpy's refusal is the truth
        return {"loads": False, "exception": type(error).__name__, "message": str(error).split("\n")[0]}
    if isinstance(loaded, np.lib.npyio.NpzFile):
        try:
            arrays = {key: describe(loaded[key]) for key in loaded.files}
        except Exception as error:
            return {"loads": False, "exception": type(error).__name__, "message": str(error).split("\n")[0]}
        return {"loads": True, "arrays": arrays}
    return {"loads": True, "arrays": {"": describe(loaded)}}


def main():
    files = {}

    def save(name, array, **kwargs):
        np.save(path_of(name), array, **kwargs)
        files[name] = "numpy.save of " + kwargs.pop("why", "")

    rng = np.random.default_rng(7)
    np.save(path_of("float32_c.npy"), rng.standard_normal((3, 5)).astype(np.float32))
    np.save(path_of("float64_fortran.npy"), np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4) - 5.5))
    np.save(path_of("int32_big_endian.npy"), (np.arange(6, dtype=np.int32).reshape(2, 3) * -1000 + 7).astype(">i4"))
    np.save(path_of("float16.npy"), np.linspace(-2, 2, 9).astype(np.float16))
    np.save(path_of("bool.npy"), np.array([[True, False, True], [False, False, True]]))
    np.save(path_of("uint8.npy"), np.arange(250, 256, dtype=np.uint8))
    np.save(path_of("complex64.npy"), np.array([1 + 2j, -3 - 4j], dtype=np.complex64))
    np.save(path_of("scalar.npy"), np.float64(2.5))
    np.save(path_of("empty.npy"), np.zeros((0, 3), dtype=np.float32))
    np.save(path_of("strings.npy"), np.array(["ab", "cde"]))
    np.save(path_of("record.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i8")]))
    with open(path_of("version2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(4, dtype=np.int16), version=(2, 0))
    np.savez(path_of("arrays.npz"), weight=np.arange(6, dtype=np.float32).reshape(2, 3), bias=np.array([0.5, -0.5]))
    np.savez_compressed(path_of("arrays_compressed.npz"), weight=np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
                        steps=np.array([1, 2, 3], dtype=np.int64))

    # Headers as a hostile writer lays them out: NumPy's own checks decide each.
    good = np.arange(4, dtype="<f4").tobytes()
    hostile = {
        "bad_not_a_dict.npy": raw_npy("['descr', '<f4']", good),
        "bad_missing_key.npy": raw_npy("{'descr': '<f4', 'shape': (4,), }", good),
        "bad_extra_key.npy": raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1, }", good),
        "bad_negative_shape.npy": raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", good),
        "bad_fortran_not_bool.npy": raw_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (4,), }", good),
        "bad_descr.npy": raw_npy("{'descr': 'not a dtype', 'fortran_order': False, 'shape': (4,), }", good),
        "bad_call_in_header.npy": raw_npy("{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (4,), }", good),
        "bad_unterminated.npy": raw_npy("{'descr': '<f4, 'fortran_order': False, 'shape': (4,), }", good),
        "bad_truncated_data.npy": raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (40,), }", good),
        "bad_version.npy": raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", good, version=(9, 0)),
        "bad_header_past_end.npy": (b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b"{'descr'"),
        "python2_long_shape.npy": raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4L,), }", good),
    }
    for name, data in hostile.items():
        open(path_of(name), "wb").write(data)
    # An .npz whose second record is cut short: numpy.load opens it and fails on that key.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ok.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", good))
        archive.writestr("short.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }", good))
    open(path_of("bad_short_record.npz"), "wb").write(buffer.getvalue())

    names = sorted(n for n in os.listdir(HERE) if n.endswith((".npy", ".npz")))
    expected = {name: numpy_reading(name) for name in names}
    with open(path_of("expected.json"), "w") as f:
        json.dump({"numpy": np.__version__, "files": expected}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(len(names), "files,", sum(1 for v in expected.values() if v["loads"]), "that NumPy loads")


if __name__ == "__main__":
    main()
