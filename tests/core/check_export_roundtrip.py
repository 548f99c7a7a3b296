#!/usr/bin/python3
"""Checks Statelens exports against torch: usage check_export_roundtrip.py ORIGINAL EXPORT [KEY].

ORIGINAL is read with torch.load (KEY: dotted path of the state dict inside it, "" for the root);
EXPORT with torch.load(weights_only=True) for a torch.save zip, or with a minimal safetensors
reader written from the format's specification (the safetensors package is not in Debian 12).
Every tensor must be bit-identical: same names in the same order, dtype, shape and bytes.
Prints "ok N" or the first difference and exits 1.
"""
import json
import struct
import sys

import torch

SAFETENSORS_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
                      "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16, "I32": torch.int32,
                      "I64": torch.int64, "BOOL": torch.bool, "C64": torch.complex64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    base = 8 + length
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        tensor = torch.frombuffer(raw, dtype=torch.uint8).view(dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = tensor.reshape(info["shape"])
    return out


def same_bits(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    a, b = a.contiguous(), b.contiguous()
    if a.numel() == 0:
        return True
    return bytes(a.view(-1).view(torch.uint8).numpy() if a.dtype != torch.bool else a.numpy().tobytes()) == \
        bytes(b.view(-1).view(torch.uint8).numpy() if b.dtype != torch.bool else b.numpy().tobytes())


def main():
    original_path, export_path = sys.argv[1], sys.argv[2]
    key = sys.argv[3] if len(sys.argv) > 3 else ""
    original = torch.load(original_path, map_location="cpu")
    for part in [p for p in key.split(".") if p]:
        original = original[part]
    original = {k: v for k, v in original.items() if isinstance(v, torch.Tensor)}
    if export_path.endswith(".safetensors"):
        exported = read_safetensors(export_path)
    else:
        exported = torch.load(export_path, map_location="cpu", weights_only=True)
    if list(exported.keys()) != list(original.keys()):
        print("keys differ:", list(original.keys())[:5], list(exported.keys())[:5])
        return 1
    for name, tensor in original.items():
        if not same_bits(tensor, exported[name]):
            print("tensor differs:", name, tensor.dtype, exported[name].dtype, tuple(tensor.shape), tuple(exported[name].shape))
            return 1
    print("ok", len(original))
    return 0


if __name__ == "__main__":
    sys.exit(main())
