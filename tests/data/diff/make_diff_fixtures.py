#!/usr/bin/python3
"""Writes the checkpoint-diff fixtures of tests/data/diff and diff_expected.json.

Run with Debian's interpreter (python3-torch 1.13, torchvision):

    /usr/bin/python3 tests/data/diff/make_diff_fixtures.py [OUTDIR]   # OUTDIR defaults to here

Every expected status and delta is computed by torch from the tensors torch.load reads back
(never by Statelens code); see README.md for the definitions. Besides its own files, the script
reads tests/data/match/resnet18.pth and resnet18_legacy.pth (made by make_match_fixtures.py) and
never rewrites them.
"""
import collections
import json
import math
import os
import sys
import warnings

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
MATCH = os.path.join(os.path.dirname(HERE), "match")


def out_path(name):
    os.makedirs(OUT, exist_ok=True)
    return os.path.join(OUT, name)


# ---------------------------------------------------------------------------------------------
# A narrow ResNet-18: torchvision's key layout (conv1, bn1, layer1.0.conv1 ... fc) and blocks,
# 2-4-4-4 channels instead of 64-128-256-512, so that the fixtures stay a few tens of KiB.
# ---------------------------------------------------------------------------------------------

class TinyResNet18(nn.Module):
    def __init__(self, num_classes=1000, widths=(2, 4, 4, 4)):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], 1)
        self.layer2 = self._make_layer(widths[1], 2)
        self.layer3 = self._make_layer(widths[2], 2)
        self.layer4 = self._make_layer(widths[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)

    def _make_layer(self, planes, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                                       nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers.append(BasicBlock(planes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def trained_resnet():
    """Random weights, and BatchNorm running statistics from three training-mode batches."""
    torch.manual_seed(0)
    model = TinyResNet18()
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(2, 3, 32, 32))
    return model.state_dict()


def fine_tuned(sd):
    """What fine-tuning for 10 classes leaves: every tensor moved a little, fc replaced."""
    torch.manual_seed(1)
    out = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith("fc."):
            continue
        if v.is_floating_point():
            out[k] = v + 1e-3 * torch.randn_like(v)
        else:
            out[k] = v + 5  # num_batches_tracked: five more batches
    head = nn.Linear(sd["fc.weight"].shape[1], 10)
    out["fc.weight"] = head.weight.detach().clone()
    out["fc.bias"] = head.bias.detach().clone()
    out._metadata = sd._metadata
    return out


# ---------------------------------------------------------------------------------------------
# A small MLP: extra and missing keys, and the same weights inside a Lightning-style checkpoint
# ---------------------------------------------------------------------------------------------

def mlp_state_dict():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    return model.state_dict()


def with_extra_keys(sd):
    torch.manual_seed(3)
    out = collections.OrderedDict((k, v.clone()) for k, v in sd.items() if k != "2.bias")
    out["head.weight"] = torch.randn(2, 3)
    out["head.bias"] = torch.zeros(2)
    out["temperature"] = torch.tensor(0.7)
    return out


def lightning(sd):
    torch.manual_seed(4)
    return {"epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.1.0",
            "state_dict": collections.OrderedDict(("model." + k, v.clone()) for k, v in sd.items()),
            "optimizer_states": [{"state": {0: {"step": torch.tensor(120.0),
                                                "exp_avg": torch.randn(5, 6)}},
                                  "param_groups": [{"lr": 1e-3, "params": [0]}]}]}


# ---------------------------------------------------------------------------------------------
# Every dtype and layout: pairs named after what they test
# ---------------------------------------------------------------------------------------------

def dtype_pairs():
    torch.manual_seed(5)
    a, b = collections.OrderedDict(), collections.OrderedDict()

    def pair(name, x, y):
        a[name], b[name] = x, y

    base = torch.randn(300)
    moved = base.clone()
    moved[::7] += 0.25
    pair("float32_same", base.clone(), base.clone())
    pair("float32_changed", base.clone(), moved)
    pair("float32_to_float16", base.clone(), base.half())
    pair("float32_to_float64", base.clone(), base.double())
    pair("float16_changed", base.half(), moved.half())
    pair("bfloat16_changed", base.bfloat16(), moved.bfloat16())
    pair("float64_changed", base.double() * 1e6, moved.double() * 1e6)
    ints = torch.randint(-2 ** 40, 2 ** 40, (50,), dtype=torch.int64)
    pair("int64_changed", ints, ints + torch.arange(50) % 3)
    small = torch.randint(-100, 100, (64,), dtype=torch.int8)
    pair("int8_changed", small, small.flip(0))
    pair("uint8_same", torch.arange(200, dtype=torch.uint8), torch.arange(200, dtype=torch.uint8))
    flags = torch.rand(40) > 0.5
    pair("bool_changed", flags, ~flags)
    nan = base[:20].clone()
    nan[3] = float("nan")
    pair("nan_at_same_place", nan, nan.clone())  # torch.equal: NaN != NaN
    inf = base[:20].clone()
    inf[5] = float("inf")
    pair("inf_moved", base[:20].clone(), inf)
    pair("signed_zero", torch.zeros(8), -torch.zeros(8))  # 0.0 == -0.0
    grid = torch.randn(12, 9)
    pair("transposed_view_same", grid.t(), grid.t().contiguous())
    big = torch.randn(10, 40)
    pair("slice_view_changed", big[2:7, 5:35], big[3:8, 5:35].clone())
    pair("scalar_changed", torch.tensor(1.5), torch.tensor(-2.0))
    pair("empty_same", torch.zeros(0), torch.zeros(0))
    pair("zeros_vs_values", torch.zeros(16), torch.randn(16))
    pair("shape_changed", torch.randn(4, 3), torch.randn(3, 4))
    pair("dtype_and_shape_changed", torch.randn(6), torch.randn(7).double())
    pair("int32_to_int64", torch.arange(30, dtype=torch.int32), torch.arange(30, dtype=torch.int64) * 2)
    a["only_in_a"] = torch.ones(3)
    b["only_in_b"] = torch.ones(4)
    return a, b


# ---------------------------------------------------------------------------------------------
# Expected values (the definitions of README.md)
# ---------------------------------------------------------------------------------------------

def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def compare(name, x, y):
    """One pair's expected entry: status by shape, dtype, then torch.equal; deltas in float64."""
    entry = {"name": name, "dtype_a": dtype_name(x.dtype), "dtype_b": dtype_name(y.dtype),
             "shape_a": list(x.shape), "shape_b": list(y.shape)}
    if x.shape != y.shape:
        entry["status"] = "shape_changed"
        return entry
    if x.dtype != y.dtype:
        entry["status"] = "dtype_changed"
    else:
        entry["status"] = "same" if torch.equal(x, y) else "changed"
    xa, ya = x.double().reshape(-1), y.double().reshape(-1)
    d = xa - ya
    entry["numel"] = x.numel()
    entry["differing"] = int(x.ne(y).sum().item()) if x.dtype == y.dtype else int(xa.ne(ya).sum().item())
    if x.numel() == 0:
        entry.update(max_abs_diff=None, mean_abs_diff=None, rel_l2=None, cosine=None)
        return entry
    entry["max_abs_diff"] = finite_or_none(d.abs().max())
    entry["mean_abs_diff"] = finite_or_none(d.abs().mean())
    entry["rel_l2"] = finite_or_none(d.norm() / xa.norm())
    entry["cosine"] = finite_or_none(xa.dot(ya) / (xa.norm() * ya.norm()))
    return entry


def state_dict_of(obj, key, strip):
    sd = obj[key] if key else obj
    out = collections.OrderedDict()
    for k, v in sd.items():
        for prefix in strip:
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def case(name, file_a, file_b, key_a=None, key_b=None, strip_a=(), strip_b=()):
    a = state_dict_of(torch.load(file_a), key_a, strip_a)
    b = state_dict_of(torch.load(file_b), key_b, strip_b)
    tensors = []
    for k, x in a.items():
        if k in b:
            tensors.append(compare(k, x, b[k]))
        else:
            tensors.append({"name": k, "status": "only_a", "dtype_a": dtype_name(x.dtype), "shape_a": list(x.shape)})
    for k, y in b.items():
        if k not in a:
            tensors.append({"name": k, "status": "only_b", "dtype_b": dtype_name(y.dtype), "shape_b": list(y.shape)})
    rel = lambda path: os.path.relpath(path, os.path.dirname(HERE))
    return {"name": name, "a": rel(file_a), "b": rel(file_b), "key_a": key_a or "", "key_b": key_b or "",
            "strip_a": list(strip_a), "strip_b": list(strip_b), "tensors": tensors}


def main():
    sd = trained_resnet()
    torch.save(sd, out_path("tiny_resnet18.pth"))
    torch.save(sd, out_path("tiny_resnet18_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(fine_tuned(sd), out_path("tiny_resnet18_10class.pth"))
    mlp = mlp_state_dict()
    torch.save(mlp, out_path("mlp.pth"))
    torch.save(with_extra_keys(mlp), out_path("mlp_extra_keys.pth"))
    torch.save(lightning(mlp), out_path("mlp_lightning.ckpt"))
    da, db = dtype_pairs()
    torch.save(da, out_path("dtypes_a.pt"))
    torch.save(db, out_path("dtypes_b.pt"), _use_new_zipfile_serialization=False)

    p = out_path
    cases = [
        case("resnet18 against itself re-saved in the legacy format",
             p("tiny_resnet18.pth"), p("tiny_resnet18_legacy.pth")),
        case("resnet18 against a fine-tuned 10-class resnet18",
             p("tiny_resnet18.pth"), p("tiny_resnet18_10class.pth")),
        case("state dict against one with extra keys", p("mlp.pth"), p("mlp_extra_keys.pth")),
        case("plain state dict against a Lightning checkpoint", p("mlp.pth"), p("mlp_lightning.ckpt"),
             key_b="state_dict", strip_b=["model."]),
        case("every dtype and view", p("dtypes_a.pt"), p("dtypes_b.pt")),
        case("stride-0 resnet18 against its legacy re-save (match fixtures)",
             os.path.join(MATCH, "resnet18.pth"), os.path.join(MATCH, "resnet18_legacy.pth")),
    ]
    # One line per tensor: small, and a rerun's changes read well in a diff.
    with open(out_path("diff_expected.json"), "w") as f:
        f.write('{"cases": [\n')
        for i, c in enumerate(cases):
            head = {k: v for k, v in c.items() if k != "tensors"}
            f.write(json.dumps(head)[:-1] + ', "tensors": [\n')
            f.write(",\n".join(json.dumps(t) for t in c["tensors"]))
            f.write("\n]}" + ("," if i + 1 < len(cases) else "") + "\n")
        f.write("]}\n")


if __name__ == "__main__":
    main()
