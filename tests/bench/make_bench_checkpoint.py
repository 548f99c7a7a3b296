#!/usr/bin/python3
"""Writes a synthetic torch.save checkpoint of about SIZE_GIB GiB in TENSORS float32 tensors.

Usage: /usr/bin/python3 make_bench_checkpoint.py OUT.pt SIZE_GIB TENSORS
The tensor count is fixed by the caller so that files of different sizes differ in bytes only.
"""
import sys

import torch


def main():
    out, size_gib, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    total = int(size_gib * (1 << 30) / 4)
    per_tensor = max(1, total // count)
    torch.manual_seed(0)
    state = {}
    for i in range(count):
        # torch.empty + a cheap fill keeps generation fast; the values do not matter for listing.
        state[f"layers.{i}.weight"] = torch.empty(per_tensor, dtype=torch.float32).fill_(i * 1e-3)
    torch.save(state, out)


if __name__ == "__main__":
    main()
