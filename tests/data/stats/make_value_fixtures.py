#!/usr/bin/python3
"""Writes values.pt and values_expected.json: the value preview's fixtures.

Run with Debian's interpreter (python3-torch 1.13):

    /usr/bin/python3 tests/data/stats/make_value_fixtures.py [OUTDIR]   # OUTDIR defaults to here

A separate script from make_stats_fixtures.py so that regenerating these leaves the statistics
fixtures' bytes alone (some of those differ from run to run). Both outputs are deterministic.

Every expected value is what torch itself holds: `t[index].item()` (quantized tensors: the
dequantized value, `(int_repr().double() - zero_point) * scale`, as in make_stats_fixtures.py).
The expected cell text is that value written by the preview's rule, in Python's own formatting:
floats `'%.6g'` (nan, inf, -inf; nan never signed), integers exactly, bool `True`/`False`,
complex `'%.6g' % re` then `'%+.6g' % im` and `j`. See README.md.
"""
import collections
import json
import math
import os
import sys
import warnings

import torch

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
MAX_CELLS = 256  # the preview shows at most this many rows and columns of a slice


def float_text(x, signed=False):
    if math.isnan(x):
        return "+nan" if signed else "nan"
    return ("%+.6g" if signed else "%.6g") % x


def cell(value):
    """(text, exact value as strings) of one torch element, as .item() gives it."""
    if isinstance(value, bool):
        return str(value), str(value)
    if isinstance(value, int):
        return str(value), str(value)  # a string: JSON readers widen numbers to double
    if isinstance(value, complex):
        return float_text(value.real) + float_text(value.imag, signed=True) + "j", [repr(value.real), repr(value.imag)]
    return float_text(value), repr(value)


def make_tensors():
    torch.manual_seed(7)
    t = collections.OrderedDict()

    f = torch.randn(5, 7) * 3
    specials = [float("nan"), float("inf"), float("-inf"), -0.0, 1e-8, 123456789.0, 0.1, 1.0 / 3.0,
                -2.5e-5, 1e10, 65504.0, 1.0]
    f.view(-1)[: len(specials)] = torch.tensor(specials)
    t["float32_2d"] = f
    t["conv_weight"] = torch.randn(6, 3, 5, 5) * 0.1
    h = (torch.randn(4, 6) * 10).half()
    h.view(-1)[:5] = torch.tensor([65504.0, 6e-8, float("inf"), float("nan"), -0.0]).half()
    t["float16"] = h
    b = (torch.randn(4, 6) * 100).bfloat16()
    b.view(-1)[:4] = torch.tensor([3e38, -1e-30, float("nan"), 1.0 / 3.0]).bfloat16()
    t["bfloat16"] = b
    t["float64"] = torch.tensor([[math.pi, -math.e, 1e-300, 1e300], [0.1, 0.2, 0.3, -0.0],
                                 [float("nan"), float("-inf"), 2.0 ** 60, 1.0 / 7.0]], dtype=torch.float64)
    t["int64"] = torch.tensor([[2 ** 62 + 1, -(2 ** 63), 2 ** 53 + 1, 0, -7],
                               [2 ** 63 - 1, 1, -1, 1000000, -123456789012345],
                               [42, 9007199254740993, -9007199254740993, 5, 6]], dtype=torch.int64)
    t["uint8_3d"] = torch.arange(24, dtype=torch.uint8).reshape(2, 3, 4) * 10
    t["bool"] = torch.tensor([[True, False, True, True], [False, False, True, False], [True, True, False, False]])
    base = torch.randn(6, 9)
    t["base"] = base
    t["transposed"] = base.t()             # strides (1, 9): not contiguous
    t["stepped"] = base[1::2, 2::3]        # storage offset 11, strides (18, 3)
    c = torch.randn(3, 4, dtype=torch.complex64)
    c[0, 1] = complex(1.5, -2.25)
    c[1, 2] = complex(float("nan"), 1.0)
    c[2, 3] = complex(0.0, float("-inf"))
    t["complex64"] = c
    t["complex128"] = torch.tensor([[1 + 2j, -3.5 - 1e-9j], [1e20 + 0j, -0.0 + 0.1j]], dtype=torch.complex128)
    t["qint8"] = torch.quantize_per_tensor(torch.randn(3, 4), 0.05, 3, torch.qint8)
    t["vector"] = torch.randn(1000)
    t["scalar"] = torch.tensor(-1.25e-7)
    # 300 x 400 over 700 floats: element [i, j] is storage[i + j]. Larger than the preview's
    # 256 x 256 window, in a 3 KB file.
    t["wide"] = torch.randn(700).as_strided((300, 400), (1, 1))
    return t


def value_of(t, index):
    if t.dtype in (torch.qint8, torch.quint8, torch.qint32):
        raw = t.int_repr()[index].double()
        return ((raw - float(t.q_zero_point())) * float(t.q_scale())).item()
    return t[index].item()


# (tensor, index of the leading dims, all cells or a sample)
CASES = [
    ("float32_2d", [], None),
    ("conv_weight", [4, 2], None),
    ("float16", [], None),
    ("bfloat16", [], None),
    ("float64", [], None),
    ("int64", [], None),
    ("uint8_3d", [1], None),
    ("bool", [], None),
    ("transposed", [], None),
    ("stepped", [], None),
    ("complex64", [], None),
    ("complex128", [], None),
    ("qint8", [], None),
    ("vector", [], None),
    ("scalar", [], None),
    ("wide", [], [(0, 0), (0, 255), (255, 0), (255, 255), (17, 203), (128, 64), (200, 199)]),
]


def case(name, t, lead, sample):
    sl = t[tuple(lead)] if lead else t
    if sl.dim() == 0:
        rows, cols = 1, 1
    elif sl.dim() == 1:
        rows, cols = sl.shape[0], 1
    else:
        rows, cols = sl.shape[0], sl.shape[1]
    rows, cols = min(rows, MAX_CELLS), min(cols, MAX_CELLS)
    cells = []
    positions = sample if sample is not None else [(r, c) for r in range(rows) for c in range(cols)]
    for r, c in positions:
        if t.dim() == 0:
            index = ()
        elif t.dim() == 1:
            index = (r,)
        else:
            index = tuple(lead) + (r, c)
        text, value = cell(value_of(t, index))
        cells.append([r, c, text, value])
    return {"tensor": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "index": lead, "rows": rows, "cols": cols, "cells": cells}


def main():
    tensors = make_tensors()
    os.makedirs(OUT, exist_ok=True)
    torch.save(tensors, os.path.join(OUT, "values.pt"))
    doc = {"generated_by": "make_value_fixtures.py", "torch_version": torch.__version__, "file": "values.pt",
           "max_cells": MAX_CELLS, "cases": [case(n, tensors[n], lead, s) for n, lead, s in CASES]}
    with open(os.path.join(OUT, "values_expected.json"), "w") as fh:
        json.dump(doc, fh, indent=None, separators=(",", ":"), allow_nan=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
