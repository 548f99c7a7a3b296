#!/usr/bin/python3
"""Checkpoints whose torch.load(weights_only=True) verdict changed between torch releases, and
each release's verdict on them: expected_by_release.json.

The files are written by Debian's torch 1.13 (torch.save) or, where torch.save cannot make the
bytes (a Python 2 name), laid out as torch.save lays out an archive. The torch 1.13 column is
asserted here against torch 1.13 itself. The 2.4, 2.6 and 2.14 columns are derived from those
releases' sources (docs/weights-only-versions.md): each entry cites the rule that decides it. Where
2.14 is not given it answers as 2.6 (the unpickler's message; torch.load's wrapper text differs).
Run: /usr/bin/python3 tests/data/weights_only/make_weights_only_fixtures.py"""
import argparse
import collections
import io
import json
import os
import pickle
import struct
import warnings
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
WO13 = ("Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
        "but it can result in arbitrary code execution.Do it only if you get the file from a trusted source. WeightsUnpickler error: ")


def unsupported_24(full):
    return (f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
            "`torch.serialization.add_safe_globals` to allowlist this global if you trust this class/function.")


def unsupported_26(full):
    name = full.rsplit(".", 1)[1]
    return (f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
            f"`torch.serialization.add_safe_globals([{name}])` or the `torch.serialization.safe_globals([{name}])` "
            "context manager to allowlist this global if you trust this class/function.")


def loads():
    return {"loads": True}


def refuses(exception, error):
    return {"loads": False, "exception": exception, "error": error}


def archive_with(name, data_pkl):
    """A torch.save archive holding DATA_PKL: what torch 1.13 writes around a pickle with no tensor."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{name}/data.pkl", data_pkl)
        z.writestr(f"{name}/version", b"3\n")
    return buffer.getvalue()


def torch113_verdict(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.load(path, weights_only=True)
        return loads()
    except Exception as error:  # torch's own answer
        message = str(error)
        return {"loads": False, "exception": type(error).__name__,
                "error": message[len(WO13):] if message.startswith(WO13) else message}


def main():
    warnings.simplefilter("ignore")
    cases = {}

    def case(name, obj, by_release, advice=None, raw=None):
        by_release.setdefault("2.14", by_release["2.6"])
        path = os.path.join(HERE, name)
        if raw is not None:
            open(path, "wb").write(raw)
        else:
            torch.save(obj, path)
        cases[name] = {"releases": by_release, "add_safe_globals": advice}

    # torch.device: GLOBAL torch.device + REDUCE. 2.4 and 2.6 allow it (_get_allowed_globals "torch.device").
    case("device.pt", {"device": torch.device("cpu"), "w": torch.ones(2)},
         {"1.13": refuses("UnpicklingError", "Unsupported class torch.device"), "2.4": loads(), "2.6": loads()})
    # A dtype outside 1.13's explicit list; 2.4+ allow every dtype of _dtype_to_storage_type_map().
    case("bfloat16_dtype.pt", {"dtype": torch.bfloat16},
         {"1.13": refuses("UnpicklingError", "Unsupported class torch.bfloat16"), "2.4": loads(), "2.6": loads()})
    # collections.Counter: REDUCE(Counter, (dict,)); allowed from 2.4.
    case("counter.pt", {"counts": collections.Counter(a=2, b=1)},
         {"1.13": refuses("UnpicklingError", "Unsupported class collections.Counter"), "2.4": loads(), "2.6": loads()})
    # A Python float (BINFLOAT, opcode 71): read from 2.2 on.
    case("float.pt", {"lr": 0.5, "w": torch.ones(2)},
         {"1.13": refuses("UnpicklingError", "Unsupported operand 71"), "2.4": loads(), "2.6": loads()})
    # A set: torch.save writes GLOBAL __builtin__.set (protocol 2). 2.6 maps it to builtins.set
    # (_read_global_instruction, NAME_MAPPING/IMPORT_MAPPING) and allows builtins.set; 2.4 neither.
    case("set.pt", {"s": {1, 2}},
         {"1.13": refuses("UnpicklingError", "Unsupported class __builtin__.set"),
          "2.4": refuses("UnpicklingError", unsupported_24("__builtin__.set")), "2.6": loads()})
    # argparse.Namespace (hyper-parameters saved beside the weights): refused everywhere; in 2.6
    # add_safe_globals([Namespace]) makes NEWOBJ and BUILD of it allowed (and the float inside is read).
    case("namespace.pt", {"args": argparse.Namespace(lr=0.5)},
         {"1.13": refuses("UnpicklingError", "Unsupported class argparse.Namespace"),
          "2.4": refuses("UnpicklingError", unsupported_24("argparse.Namespace")),
          "2.6": refuses("UnpicklingError", unsupported_26("argparse.Namespace"))},
         advice={"line": "torch.serialization.add_safe_globals([argparse.Namespace])", "loads_after": True, "dangerous": []})
    # A NumPy scalar (a best metric): numpy.core.multiarray.scalar(numpy.dtype('f8'), bytes via _codecs.encode).
    # 2.6: the two NumPy globals, then BUILD of the dtype needs its class (numpy.dtypes.Float64DType).
    case("numpy_scalar.pt", {"best": np.float64(0.5)},
         {"1.13": refuses("UnpicklingError", "Unsupported class numpy.core.multiarray.scalar"),
          "2.4": refuses("UnpicklingError", unsupported_24("numpy.core.multiarray.scalar")),
          "2.6": refuses("UnpicklingError", unsupported_26("numpy.core.multiarray.scalar"))},
         advice={"line": "torch.serialization.add_safe_globals([numpy.core.multiarray.scalar, numpy.dtype, numpy.dtypes.Float64DType])",
                 "loads_after": True, "dangerous": []})
    # A CSR tensor as 1.13 saves it: _rebuild_sparse_csr_tensor, dropped from the allow list in 2.2.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csr = torch.eye(3).to_sparse_csr()
    case("sparse_csr_113.pt", {"c": csr},
         {"1.13": loads(), "2.4": refuses("UnpicklingError", unsupported_24("torch._utils._rebuild_sparse_csr_tensor")),
          "2.6": refuses("UnpicklingError", unsupported_26("torch._utils._rebuild_sparse_csr_tensor"))},
         advice={"line": "torch.serialization.add_safe_globals([torch._utils._rebuild_sparse_csr_tensor])", "loads_after": True, "dangerous": []})
    # os.system: 2.6 blocks the module before any allow list; no add_safe_globals line helps.
    system = b"\x80\x02}q\x00X\x01\x00\x00\x00xq\x01cposix\nsystem\nq\x02X\x04\x00\x00\x00trueq\x03\x85q\x04Rq\x05s."
    case("posix_system.pt", None,
         {"1.13": refuses("UnpicklingError", "Unsupported class posix.system"),
          "2.4": refuses("UnpicklingError", unsupported_24("posix.system")),
          "2.6": refuses("UnpicklingError", "Trying to load unsupported GLOBAL posix.system whose module posix is blocked.")},
         advice={"line": None, "loads_after": False, "dangerous": ["posix.system"], "blocked": ["posix.system"]},
         raw=archive_with("posix_system", system))
    # builtins.eval, which add_safe_globals could allow: the line comes with its warning.
    evil = b"\x80\x02}q\x00X\x01\x00\x00\x00xq\x01cbuiltins\neval\nq\x02X\x03\x00\x00\x001+1q\x03\x85q\x04Rq\x05s."
    case("builtins_eval.pt", None,
         {"1.13": refuses("UnpicklingError", "Unsupported class builtins.eval"),
          "2.4": refuses("UnpicklingError", unsupported_24("builtins.eval")),
          "2.6": refuses("UnpicklingError", unsupported_26("builtins.eval"))},
         advice={"line": "torch.serialization.add_safe_globals([builtins.eval])", "loads_after": True, "dangerous": ["builtins.eval"]},
         raw=archive_with("builtins_eval", evil))

    # 2.14: SETITEM(S) only into dict, OrderedDict, Counter (_check_set_item_target); before, the
    # assignment itself fails with Python's TypeError, which torch.load lets through. (An
    # OrderedDict first, so that the scan reaches a global and gives its verdicts.)
    case("setitem_tuple.pt", None,
         {"1.13": refuses("TypeError", "'tuple' object does not support item assignment"),
          "2.4": refuses("TypeError", "'tuple' object does not support item assignment"),
          "2.6": refuses("TypeError", "'tuple' object does not support item assignment"),
          "2.14": refuses("UnpicklingError", "Can only SETITEM for dict, collections.OrderedDict, collections.Counter, but got <class 'tuple'>")},
         raw=archive_with("setitem_tuple", b"\x80\x02ccollections\nOrderedDict\n)R)K\x01K\x02s."))
    # An int persistent id: refused by the unpickler's inverted check until 2.10; from then on it
    # reaches _load's persistent_load, which asserts a tuple (2.14: "saved_id must be a tuple").
    case("int_persistent_id.pt", None,
         {"1.13": refuses("UnpicklingError", "persistent_load id must be tuple or int, but got <class 'int'>"),
          "2.4": refuses("UnpicklingError", "persistent_load id must be tuple or int, but got <class 'int'>"),
          "2.6": refuses("UnpicklingError", "persistent_load id must be tuple or int, but got <class 'int'>"),
          "2.14": refuses("AssertionError", "saved_id must be a tuple, got int")},
         raw=archive_with("int_persistent_id", b"\x80\x02ccollections\nOrderedDict\n)RK\x05Q."))
    # A .safetensors path: torch 2.14's torch.load hands it to safetensors.torch.load_file; earlier
    # releases unpickle its bytes, which the scan reports as "does not apply" (no pickle in it).
    header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    safetensors = len(header).to_bytes(8, "little") + header + struct.pack("<2f", 1.0, 2.0)
    case("model.safetensors", None,
         {"1.13": {"applies": False}, "2.4": {"applies": False}, "2.6": {"applies": False}, "2.14": loads()},
         raw=safetensors)

    for name, expected in cases.items():
        if expected["releases"]["1.13"].get("applies", True) is False:
            continue  # torch.load unpickles a safetensors file's bytes; the scan does not call that a verdict
        actual = torch113_verdict(os.path.join(HERE, name))
        want = expected["releases"]["1.13"]
        assert actual == want, (name, actual, want)
    with open(os.path.join(HERE, "expected_by_release.json"), "w") as f:
        json.dump({"torch_1_13_checked_with": torch.__version__, "files": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(len(cases), "files; torch", torch.__version__, "agrees with every 1.13 verdict")


if __name__ == "__main__":
    main()
