#!/usr/bin/python3
"""Writes the tensor-statistics fixtures of tests/data/stats and stats_expected.json.

Run with Debian's interpreter (python3-torch 1.13):

    /usr/bin/python3 tests/data/stats/make_stats_fixtures.py [OUTDIR]   # OUTDIR defaults to here

The expected statistics are computed by torch from the tensors written (never by Statelens code);
see README.md for the exact definitions. The one exception is float8 in stats.safetensors: torch
1.13 has no float8 dtypes, so those bytes are decoded by the small OCP-spec decoder below and the
statistics are then computed by torch on the decoded float32 values.

Reruns give the same stats_expected.json; the binary files may differ in zip metadata (and
stats_legacy.pt in its storage keys, which are memory addresses).
"""
import collections
import io
import json
import math
import os
import pickle
import struct
import sys
import tempfile
import warnings
import zipfile

import torch
from torch import nn

warnings.filterwarnings("ignore")
torch.set_num_threads(1)  # light on CPU, and reductions in one fixed order

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
BINS = 64
EDGE_EPS = 1e-4


def out_path(name):
    os.makedirs(OUT, exist_ok=True)
    return os.path.join(OUT, name)


def seed(n=0):
    torch.manual_seed(n)


# ---------------------------------------------------------------------------------------------
# Statistics (the definitions of README.md)
# ---------------------------------------------------------------------------------------------

FLOAT32_GROUP = (torch.float32, torch.float16, torch.bfloat16)
QUANTIZED = (torch.quint8, torch.qint8, torch.qint32)


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def values_of(t):
    """The tensor's values v in its compute dtype (float32 or float64)."""
    if t.dtype in QUANTIZED:
        raw = t.int_repr().double()
        if t.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            return (raw - float(t.q_zero_point())) * float(t.q_scale())
        axis = t.q_per_channel_axis()
        shape = [1] * t.dim()
        shape[axis] = -1
        scales = t.q_per_channel_scales().to(torch.float64).reshape(shape)
        zps = t.q_per_channel_zero_points().to(torch.float64).reshape(shape)
        return (raw - zps) * scales
    if t.dtype in FLOAT32_GROUP:
        return t.float()
    if t.dtype == torch.float64:
        return t
    if t.is_complex():
        return t.to(torch.complex128).abs()
    return t.double()  # integers and bool


def histogram(f, lo, hi, bins):
    """Histogram of finite values f (compute dtype) over [min, max] plus the edge tolerance."""
    if lo == hi:  # torch.histc's own rule for a degenerate range
        lo -= 1.0
        hi += 1.0
    counts = torch.histc(f, bins=bins, min=lo, max=hi)
    p = (f.double() - lo) / (hi - lo) * bins
    k = torch.round(p)
    on_edge = ((p - k).abs() <= EDGE_EPS) & (k > 0) & (k < bins)
    return ({"lo": float(lo), "hi": float(hi), "counts": [int(c) for c in counts.tolist()]},
            int(on_edge.sum().item()))


def stats_of_values(v, numel, extra_bins=()):
    """Statistics of a values tensor v (float32 or float64), as a dict of the JSON fields."""
    v = v.reshape(-1)
    d = {"numel": int(numel)}
    f = v[torch.isfinite(v)]
    if f.numel() == 0:
        d.update(min=None, max=None, mean=None, std=None)
    else:
        d["min"] = float(f.min().item())
        d["max"] = float(f.max().item())
        d["mean"] = float(f.double().mean().item())
        d["std"] = float(f.double().std().item()) if f.numel() >= 2 else None
    d["nan"] = int(torch.isnan(v).sum().item())
    d["inf"] = int(torch.isinf(v).sum().item())
    d["zeros"] = int((v == 0).sum().item())
    for bins in (BINS,) + tuple(extra_bins):
        suffix = "" if bins == BINS else "_%d" % bins
        if f.numel() == 0:
            d["histogram" + suffix], d["edge_tolerance" + suffix] = None, 0
        else:
            d["histogram" + suffix], d["edge_tolerance" + suffix] = histogram(
                f, d["min"], d["max"], bins)
    return d


def tensor_entry(name, t, extra_bins=(), dtype=None):
    entry = {"name": name, "dtype": dtype or dtype_name(t.dtype)}
    if t.layout != torch.strided:
        entry.update(numel=int(t.numel()), min=None, max=None, mean=None, std=None,
                     nan=None, inf=None, zeros=None, histogram=None, edge_tolerance=None)
        for bins in extra_bins:
            entry["histogram_%d" % bins] = None
            entry["edge_tolerance_%d" % bins] = None
        entry["skipped"] = True
        return entry
    entry.update(stats_of_values(values_of(t), t.numel(), extra_bins))
    entry["skipped"] = False
    return entry


def entries(tensors, extra_bins=()):
    return [tensor_entry(n, t, extra_bins) for n, t in tensors.items()]


def aggregate(prefix, tensors):
    parts = [values_of(t).to(torch.float64).reshape(-1)
             for n, t in tensors.items() if n.startswith(prefix)]
    assert parts, prefix
    v = torch.cat(parts)
    d = {"prefix": prefix}
    d.update(stats_of_values(v, v.numel()))
    return d


# ---------------------------------------------------------------------------------------------
# 1. stats_dtypes.pt
# ---------------------------------------------------------------------------------------------

def make_dtypes():
    seed(1)
    d = collections.OrderedDict()

    f32 = torch.randn(1000)
    f32[[3, 250, 777]] = float("nan")
    f32[[10, 500]] = float("inf")
    f32[[20]] = float("-inf")
    f32[[0, 99, 400, 998]] = 0.0
    d["float32"] = f32
    d["float64"] = torch.randn(1000, dtype=torch.float64) * 1e3 + 5
    f16 = torch.randn(300).half()
    f16[[5, 6]] = 0.0
    d["float16"] = f16
    bf16 = torch.randn(300).bfloat16()
    bf16[[0, 17, 18, 150]] = 0.0
    d["bfloat16"] = bf16
    d["int8"] = torch.randint(-128, 128, (256,), dtype=torch.int8)
    d["uint8"] = torch.randint(0, 256, (256,), dtype=torch.uint8)
    d["int16"] = torch.randint(-32768, 32768, (200,), dtype=torch.int16)
    d["int32"] = torch.randint(-2**31, 2**31 - 1, (200,), dtype=torch.int32)
    # spread over +-2**40 (so few values sit near the middle bin edge), extremes near +-2**40
    i64 = torch.randint(-2**40 + 100, 2**40 - 100, (200,), dtype=torch.int64)
    i64[:6] = torch.tensor([2**40, 2**40 - 3, 2**40 + 7, -2**40, -2**40 + 5, -2**40 - 11])
    i64[6:8] = 0
    i64[8:11] = torch.tensor([1, -1, 12345])
    d["int64"] = i64
    d["bool"] = torch.rand(100) > 0.5
    c64 = torch.randn(200, dtype=torch.complex64)
    c64[[4, 40]] = 0
    d["complex64"] = c64
    c128 = torch.randn(200, dtype=torch.complex128) * 10
    c128[[7]] = 0
    d["complex128"] = c128
    d["quint8"] = torch.quantize_per_tensor(torch.randn(120) * 3, 0.05, 128, torch.quint8)
    d["qint8"] = torch.quantize_per_tensor(torch.randn(120) * 4, 0.1, -3, torch.qint8)
    d["qint32"] = torch.quantize_per_tensor(torch.randn(120) * 100, 0.001, 7, torch.qint32)
    d["qint8_per_channel"] = torch.quantize_per_channel(
        torch.randn(4, 8) * 2,
        torch.tensor([0.01, 0.02, 0.05, 0.1], dtype=torch.float64),
        torch.tensor([0, -2, 3, 10], dtype=torch.int64),
        axis=0, dtype=torch.qint8)
    d["all_nan"] = torch.full((5,), float("nan"))
    d["empty"] = torch.zeros(0)
    d["scalar"] = torch.tensor(1.75)
    d["constant"] = torch.full((10,), 0.5)
    d["single"] = torch.randn(1)
    d["all_zero"] = torch.zeros(7)

    torch.save(d, out_path("stats_dtypes.pt"))
    return {"tensors": entries(d, extra_bins=(10,))}


# ---------------------------------------------------------------------------------------------
# 2. stats_views.pt
# ---------------------------------------------------------------------------------------------

def make_views():
    seed(2)
    base = torch.randn(16, 24)
    base[4, 5] = float("nan")   # inside base[3:7], not in the stepped slice
    base[0, 2] = float("inf")   # in row 0: repeated 5 times by the expanded view
    base[2, 10] = 0.0
    half_base = torch.randn(12, 10).half()
    d = collections.OrderedDict()
    d["base"] = base
    d["transposed"] = base.t()
    d["rows_3_7"] = base[3:7]
    d["stepped"] = base[::2, 1::3]
    d["expanded_row0"] = base[0:1].expand(5, 24)
    d["as_strided_overlap"] = torch.as_strided(base, (10, 8), (4, 1), storage_offset=5)
    d["half_base"] = half_base
    d["half_slice"] = half_base[2:9, 1::2]
    assert not d["transposed"].is_contiguous() and d["expanded_row0"].stride() == (0, 1)
    torch.save(d, out_path("stats_views.pt"))
    return {"tensors": entries(d)}


# ---------------------------------------------------------------------------------------------
# 3. stats_legacy.pt
# ---------------------------------------------------------------------------------------------

def make_legacy():
    seed(3)
    f32 = torch.randn(6, 9)
    d = collections.OrderedDict()
    d["float32"] = f32
    d["float64"] = torch.randn(40, dtype=torch.float64) * 7 - 2
    d["int64"] = torch.randint(-50, 50, (30,), dtype=torch.int64)
    d["float16"] = torch.randn(25).half()
    d["float32_transposed"] = f32.t()
    torch.save(d, out_path("stats_legacy.pt"), _use_new_zipfile_serialization=False)
    return {"tensors": entries(d)}


# ---------------------------------------------------------------------------------------------
# 4. stats_scripted.pt
# ---------------------------------------------------------------------------------------------

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.bn = nn.BatchNorm1d(4)

    def forward(self, x):
        return self.bn(self.fc(x))


def make_scripted():
    seed(4)
    m = M()
    with torch.no_grad():
        m.bn.weight.copy_(torch.rand(4) + 0.5)
        m.bn.bias.copy_(torch.randn(4) * 0.1)
        m.train()
        for _ in range(3):  # non-trivial running stats, num_batches_tracked = 3
            m(torch.randn(8, 6) * 2 + 1)
    m.eval()
    torch.jit.save(torch.jit.script(m), out_path("stats_scripted.pt"))
    return {"tensors": entries(m.state_dict())}


# ---------------------------------------------------------------------------------------------
# 5. stats_sparse.pt
# ---------------------------------------------------------------------------------------------

def make_sparse():
    seed(5)
    d = collections.OrderedDict()
    d["sparse"] = torch.sparse_coo_tensor(torch.tensor([[0, 1, 3, 3], [2, 0, 1, 4]]),
                                          torch.randn(4), (4, 5))
    d["dense"] = torch.randn(5, 6)
    torch.save(d, out_path("stats_sparse.pt"))
    return {"tensors": entries(d)}


# ---------------------------------------------------------------------------------------------
# 6. stats.safetensors (hand-written; float8 decoded by the decoder below)
# ---------------------------------------------------------------------------------------------

def decode_e4m3fn(code):
    """OCP 8-bit FP E4M3 (FN): bias 7, no infinities, only S.1111.111 is NaN, max 448."""
    sign = -1.0 if code & 0x80 else 1.0
    exp = (code >> 3) & 0xF
    man = code & 0x7
    if exp == 0xF and man == 0x7:
        return float("nan")
    if exp == 0:
        return sign * math.ldexp(man / 8.0, 1 - 7)
    return sign * math.ldexp(1.0 + man / 8.0, exp - 7)


def decode_e5m2(code):
    """OCP 8-bit FP E5M2: bias 15, IEEE-like: exponent 31 is inf (mantissa 0) or NaN."""
    sign = -1.0 if code & 0x80 else 1.0
    exp = (code >> 2) & 0x1F
    man = code & 0x3
    if exp == 0x1F:
        return sign * float("inf") if man == 0 else float("nan")
    if exp == 0:
        return sign * math.ldexp(man / 4.0, 1 - 15)
    return sign * math.ldexp(1.0 + man / 4.0, exp - 15)


def f8_codes(specials, step):
    codes = list(specials)
    c = 0
    while len(codes) < 64:
        if c not in codes:
            codes.append(c)
        c = (c + step) % 256
    assert len(set(codes)) == 64
    return codes


def make_safetensors():
    seed(6)
    bf16 = torch.randn(40).bfloat16()
    bf16[[1, 2]] = 0
    f16 = torch.randn(50).half()
    f16[[3]] = float("inf")
    f32 = torch.randn(7, 9)
    f32[1, 1] = float("nan")
    i64 = torch.randint(-10**6, 10**6, (20,), dtype=torch.int64)
    boolean = torch.rand(33) > 0.3
    e4m3 = f8_codes([0x00, 0x80, 0x01, 0x02, 0x03, 0x07, 0x81, 0x87, 0x08, 0x88, 0x38, 0xB8,
                     0x7E, 0xFE, 0x7F, 0xFF, 0x77, 0x3F, 0x40, 0xC0], 11)
    e5m2 = f8_codes([0x00, 0x80, 0x01, 0x02, 0x03, 0x81, 0x83, 0x04, 0x84, 0x3C, 0xBC,
                     0x7B, 0xFB, 0x7C, 0xFC, 0x7D, 0x7E, 0x7F, 0xFD, 0xFF], 13)
    # This is the one place the expected values are not torch's own decode of the bytes:
    # torch 1.13 has no float8, so the codes are decoded by decode_e4m3fn / decode_e5m2 (OCP
    # spec) into a float32 tensor, from which torch computes the statistics as for any float.
    e4m3_values = torch.tensor([decode_e4m3fn(c) for c in e4m3], dtype=torch.float32).reshape(8, 8)
    e5m2_values = torch.tensor([decode_e5m2(c) for c in e5m2], dtype=torch.float32).reshape(8, 8)
    assert e4m3_values.abs().nan_to_num(0).max().item() == 448.0
    assert e5m2_values[torch.isfinite(e5m2_values)].abs().max().item() == 57344.0

    # name order == data order, so file order and sorted order agree
    items = [  # name, safetensors dtype, torch dtype name, shape, bytes, values tensor
        ("bf16", "BF16", "bfloat16", list(bf16.shape), bf16.view(torch.int16).numpy().tobytes(), bf16),
        ("bool", "BOOL", "bool", list(boolean.shape), boolean.numpy().tobytes(), boolean),
        ("f16", "F16", "float16", list(f16.shape), f16.numpy().tobytes(), f16),
        ("f32", "F32", "float32", list(f32.shape), f32.numpy().tobytes(), f32),
        ("f8_e4m3", "F8_E4M3", "float8_e4m3fn", [8, 8], bytes(e4m3), e4m3_values),
        ("f8_e5m2", "F8_E5M2", "float8_e5m2", [8, 8], bytes(e5m2), e5m2_values),
        ("i64", "I64", "int64", list(i64.shape), i64.numpy().tobytes(), i64),
    ]
    assert [n for n, *_ in items] == sorted(n for n, *_ in items)
    header = collections.OrderedDict([("__metadata__", {"format": "pt"})])
    data = b""
    for name, st_dtype, _, shape, raw, _ in items:
        header[name] = {"dtype": st_dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * (-len(hjson) % 8)
    with open(out_path("stats.safetensors"), "wb") as fh:
        fh.write(struct.pack("<Q", len(hjson)) + hjson + data)

    tensors = []
    for name, _, tname, _, _, values in items:
        entry = tensor_entry(name, values, dtype=tname)
        tensors.append(entry)
    return {"tensors": tensors}


# ---------------------------------------------------------------------------------------------
# 7. stats_bigendian.pt
# ---------------------------------------------------------------------------------------------

STORAGE_ITEMSIZE = {"FloatStorage": 4, "DoubleStorage": 8, "IntStorage": 4, "HalfStorage": 2}


class _StorageKeys(pickle.Unpickler):
    """Reads data.pkl without torch: records storage key -> element size."""

    def __init__(self, f):
        super().__init__(f)
        self.itemsize = {}

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return name
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        return lambda *args, **kwargs: None

    def persistent_load(self, pid):
        assert pid[0] == "storage"
        self.itemsize[str(pid[2])] = STORAGE_ITEMSIZE[pid[1]]
        return None


def byteswap(raw, size):
    assert len(raw) % size == 0
    return b"".join(raw[i:i + size][::-1] for i in range(0, len(raw), size))


def rewrite_zip(src, dst, swap):
    """Copies a torch zip record by record (ZIP_STORED), byte-swapping data/N records when
    `swap`, with byteorder = big (or little when not swapping)."""
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        prefix = names[0].split("/")[0]
        pkl = zin.read(prefix + "/data.pkl")
        u = _StorageKeys(io.BytesIO(pkl))
        u.load()
        order = "big" if swap else "little"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
            for name in names:
                raw = zin.read(name)
                rel = name[len(prefix) + 1:]
                if rel.startswith("data/"):
                    raw = byteswap(raw, u.itemsize[rel[len("data/"):]])
                elif rel == "byteorder":
                    raw = order.encode()
                zout.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), raw)
            if prefix + "/byteorder" not in names:
                zout.writestr(zipfile.ZipInfo(prefix + "/byteorder",
                                              date_time=(1980, 1, 1, 0, 0, 0)), order.encode())
        return sorted(u.itemsize.items())


def make_bigendian():
    seed(7)
    d = collections.OrderedDict()
    d["float32"] = torch.randn(5, 7)
    d["float64"] = torch.randn(30, dtype=torch.float64) * 100
    d["int32"] = torch.randint(-10**9, 10**9, (25,), dtype=torch.int32)
    d["float16"] = torch.randn(33).half()
    with tempfile.TemporaryDirectory() as tmp:
        little = os.path.join(tmp, "stats_bigendian.pt")
        torch.save(d, little)
        keys = rewrite_zip(little, out_path("stats_bigendian.pt"), swap=True)
    assert [s for _, s in keys] == [4, 8, 4, 2], keys
    return {"tensors": entries(d)}


# ---------------------------------------------------------------------------------------------
# 8. stats_module_tree.pt
# ---------------------------------------------------------------------------------------------

def bn_params(d, prefix, c):
    d[prefix + "weight"] = torch.rand(c) + 0.5
    d[prefix + "bias"] = torch.randn(c) * 0.1
    d[prefix + "running_mean"] = torch.randn(c) * 0.2
    d[prefix + "running_var"] = torch.rand(c) + 0.8
    d[prefix + "num_batches_tracked"] = torch.tensor(int(torch.randint(1, 1000, ()).item()))


def make_module_tree():
    seed(8)
    d = collections.OrderedDict()
    d["conv1.weight"] = torch.randn(8, 3, 3, 3) * 0.2
    bn_params(d, "bn1.", 8)
    for block in ("layer1.0.", "layer1.1."):
        d[block + "conv1.weight"] = torch.randn(8, 8, 3, 3) * 0.1
        bn_params(d, block + "bn1.", 8)
        d[block + "conv2.weight"] = torch.randn(8, 8, 3, 3) * 0.1
        bn_params(d, block + "bn2.", 8)
    d["layer1.1.conv1.weight"] = d["layer1.1.conv1.weight"].half()
    d["layer2.0.conv1.weight"] = torch.randn(16, 8, 3, 3) * 0.1
    bn_params(d, "layer2.0.bn1.", 16)
    d["layer2.0.conv2.weight"] = (torch.randn(16, 16, 3, 3) * 0.05).half()
    bn_params(d, "layer2.0.bn2.", 16)
    d["layer2.0.downsample.0.weight"] = torch.randn(16, 8, 1, 1) * 0.3
    d["fc.weight"] = torch.randn(10, 16) * 0.25
    d["fc.bias"] = torch.randn(10) * 0.01
    torch.save(d, out_path("stats_module_tree.pt"))
    return {"tensors": entries(d),
            "aggregates": [aggregate("layer1.", d), aggregate("bn1.", d)]}


# ---------------------------------------------------------------------------------------------

def main():
    files = collections.OrderedDict()
    files["stats_dtypes.pt"] = make_dtypes()
    files["stats_views.pt"] = make_views()
    files["stats_legacy.pt"] = make_legacy()
    files["stats_scripted.pt"] = make_scripted()
    files["stats_sparse.pt"] = make_sparse()
    files["stats.safetensors"] = make_safetensors()
    files["stats_bigendian.pt"] = make_bigendian()
    files["stats_module_tree.pt"] = make_module_tree()
    doc = collections.OrderedDict([("generated_by", "make_stats_fixtures.py"),
                                   ("torch_version", torch.__version__),
                                   ("files", files)])
    with open(out_path("stats_expected.json"), "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=False, allow_nan=False)
        fh.write("\n")
    for name in list(files) + ["stats_expected.json"]:
        print("%-24s %8d bytes" % (name, os.path.getsize(out_path(name))))


if __name__ == "__main__":
    main()
