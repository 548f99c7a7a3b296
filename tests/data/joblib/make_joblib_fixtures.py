#!/usr/bin/python3
"""joblib files written by joblib itself (Debian's python3-joblib 1.2.0) and joblib's own reading
of the benign ones: expected.json. joblib.dump writes each NumPy array's bytes into the pickle
stream after the joblib.numpy_pickle.NumpyArrayWrapper that describes it (1.2: after a padding
byte and padding to 16 bytes), and an object array as a nested protocol 2 pickle.

The malicious file is never loaded: its expected global is what the writer put in it.
Run: /usr/bin/python3 tests/data/joblib/make_joblib_fixtures.py"""
import json
import os

import joblib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


class Payload:
    """Reduces to os.system: what a malicious object array element does when joblib.load runs it."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/statelens-canary-joblib",))


def describe(array):
    out = {"dtype": array.dtype.str, "shape": list(array.shape)}
    if array.dtype.kind in "biuf" and array.size:
        values = array.astype(np.float64)
        out.update({"min": float(values.min()), "max": float(values.max()), "sum": float(values.sum())})
    return out


def main():
    files = {}
    arrays = {
        "weight": np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5,
        "bias": np.array([1.5, -2.0]),
        "steps": np.asfortranarray(np.arange(12, dtype=np.int64).reshape(3, 4)),
        "big_endian": np.arange(5, dtype=">i4") * -7,
        "name": "model",
    }
    joblib.dump(arrays, os.path.join(HERE, "arrays.joblib"))
    loaded = joblib.load(os.path.join(HERE, "arrays.joblib"))
    files["arrays.joblib"] = {"format": "joblib", "unsafe": [],
                              "arrays": {k: describe(v) for k, v in loaded.items() if isinstance(v, np.ndarray)}}

    joblib.dump({"objects": np.array([{"a": 1}, None], dtype=object), "x": np.ones(3, dtype=np.float16)},
                os.path.join(HERE, "object_array.joblib"))
    loaded = joblib.load(os.path.join(HERE, "object_array.joblib"))
    files["object_array.joblib"] = {"format": "joblib", "unsafe": [],
                                    "arrays": {"objects": {"dtype": "|O", "shape": [2]}, "x": describe(loaded["x"])}}

    joblib.dump({"weights": np.zeros(4, dtype=np.float32), "payload": np.array([Payload()], dtype=object)},
                os.path.join(HERE, "malicious_object_array.joblib"))
    files["malicious_object_array.joblib"] = {"format": "joblib", "unsafe": ["posix.system"],
                                              "arrays": {"weights": {"dtype": "<f4", "shape": [4], "min": 0.0, "max": 0.0, "sum": 0.0},
                                                         "payload": {"dtype": "|O", "shape": [1]}}}
    # Compressed as a whole (compress=3 is zlib, joblib's default compressor).
    for method in ("zlib", "gzip"):
        name = f"arrays_{method}.joblib"
        joblib.dump(arrays, os.path.join(HERE, name), compress=(method, 3))
        loaded = joblib.load(os.path.join(HERE, name))
        files[name] = {"format": "joblib", "unsafe": [],
                       "arrays": {k: describe(v) for k, v in loaded.items() if isinstance(v, np.ndarray)}}
    # A stream cut short: joblib.load fails on it, and so must a reader.
    whole = open(os.path.join(HERE, "arrays_zlib.joblib"), "rb").read()
    open(os.path.join(HERE, "truncated_zlib.joblib"), "wb").write(whole[: len(whole) // 2])
    try:
        joblib.load(os.path.join(HERE, "truncated_zlib.joblib"))
        raise AssertionError("joblib read a truncated stream")
    except (EOFError, OSError, ValueError, Exception) as error:  # joblib's refusal is the truth
        files["truncated_zlib.joblib"] = {"refused": "the zlib stream ends", "joblib_error": type(error).__name__}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"joblib": joblib.__version__, "files": files}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(len(files), "files, joblib", joblib.__version__)


if __name__ == "__main__":
    main()
