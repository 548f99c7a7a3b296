#!/usr/bin/python3
"""Writes deep_a.pth, deep_b.pth and deep_expected.json: a 75-layer comparison for the GUI's
per-layer chart and its sortable tree (tests/ui/tst_diff_tab.cpp).

Run with Debian's interpreter (python3-torch 1.13):

    /usr/bin/python3 tests/data/diff/make_deep_fixtures.py [OUTDIR]   # OUTDIR defaults to here

A small residual MLP (embed, 24 blocks of norm/fc1/fc2, a final norm, a head) and what a
partial fine-tune leaves of it: embed and blocks 0-11 frozen except blocks.5.norm, blocks 12-23
moved by noise that grows with depth except blocks.18.fc1, the final norm moved, and the head
replaced for 5 classes instead of 20 (shape changed). Every expected figure is computed by torch
from the tensors torch.load reads back, with the definitions of README.md; a layer's and a
module's relative change merges their floating-point tensors: ||a-b|| / ||a|| over all of them.
"""
import collections
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_diff_fixtures import compare, finite_or_none  # noqa: E402  (same definitions)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE

BLOCKS = 24
FROZEN_BLOCKS = 12


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)


class DeepMlp(nn.Module):
    def __init__(self, classes, width=8):
        super().__init__()
        self.embed = nn.Embedding(16, width)
        self.blocks = nn.ModuleList(Block(width) for _ in range(BLOCKS))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, classes)


def original():
    torch.manual_seed(10)
    model = DeepMlp(classes=20)
    with torch.no_grad():  # LayerNorm starts at exactly 1 and 0: make them look trained
        for name, p in model.named_parameters():
            if ".norm." in name or name.startswith("norm."):
                p.add_(0.1 * torch.randn_like(p))
    return model.state_dict()


def fine_tuned(sd):
    torch.manual_seed(11)
    out = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith("head."):
            continue
        parts = k.split(".")
        block = int(parts[1]) if parts[0] == "blocks" else None
        if k.startswith("blocks.5.norm."):
            out[k] = v + 1e-3 * torch.randn_like(v)  # one layer touched inside the frozen part
        elif k.startswith("embed.") or (block is not None and block < FROZEN_BLOCKS) or k.startswith("blocks.18.fc1."):
            out[k] = v.clone()
        else:
            depth = (block - FROZEN_BLOCKS + 1) if block is not None else BLOCKS
            out[k] = v + 1e-3 * depth * torch.randn_like(v)
    head = nn.Linear(sd["head.weight"].shape[1], 5)
    out["head.weight"] = head.weight.detach().clone()
    out["head.bias"] = head.bias.detach().clone()
    return out


def merged_rel_l2(pairs):
    """||a-b|| / ||a|| over the floating-point pairs compared (same shape), as one vector."""
    xs = [x.double().reshape(-1) for x, y in pairs]
    ys = [y.double().reshape(-1) for x, y in pairs]
    if not xs:
        return None
    x, y = torch.cat(xs), torch.cat(ys)
    return finite_or_none((x - y).norm() / x.norm())


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.save(original(), os.path.join(OUT, "deep_a.pth"))
    torch.save(fine_tuned(original()), os.path.join(OUT, "deep_b.pth"))
    a = torch.load(os.path.join(OUT, "deep_a.pth"))
    b = torch.load(os.path.join(OUT, "deep_b.pth"))
    assert list(a.keys()) == list(b.keys())

    tensors = [compare(k, a[k], b[k]) for k in a]
    status = {t["name"]: t["status"] for t in tensors}
    comparable = lambda k: a[k].shape == b[k].shape and a[k].is_floating_point()

    # Layers: the modules that own tensors directly, in file order.
    layers = collections.OrderedDict()
    for k in a:
        layers.setdefault(k.rsplit(".", 1)[0], []).append(k)
    layer_rows = [{"path": path,
                   "unchanged": all(status[k] == "same" for k in keys),
                   "shape_changed": any(status[k] == "shape_changed" for k in keys),
                   "rel_l2": merged_rel_l2([(a[k], b[k]) for k in keys if comparable(k)])}
                  for path, keys in layers.items()]

    # Every module (each dotted prefix), with the tensors below it merged.
    modules = collections.OrderedDict()
    for k in a:
        parts = k.split(".")
        for depth in range(1, len(parts)):
            modules.setdefault(".".join(parts[:depth]), []).append(k)
    module_rel_l2 = {path: merged_rel_l2([(a[k], b[k]) for k in keys if comparable(k)])
                     for path, keys in modules.items()}

    with open(os.path.join(OUT, "deep_expected.json"), "w") as f:
        f.write('{"a": "diff/deep_a.pth", "b": "diff/deep_b.pth",\n"layers": [\n')
        f.write(",\n".join(json.dumps(row) for row in layer_rows))
        f.write('\n],\n"modules": {\n')
        f.write(",\n".join("%s: %s" % (json.dumps(p), json.dumps(v)) for p, v in module_rel_l2.items()))
        f.write('\n},\n"tensors": [\n')
        f.write(",\n".join(json.dumps(t) for t in tensors))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
