#!/usr/bin/python3
"""Writes a synthetic torch.save checkpoint of about SIZE_GIB GiB in TENSORS float32 tensors.

Usage: /usr/bin/python3 make_bench_checkpoint.py OUT.pt SIZE_GIB TENSORS [random]
The tensor count is fixed by the caller so that files of different sizes differ in bytes only.
"random" fills the tensors with normal values (statistics benchmarks: realistic histograms);
otherwise a constant per tensor (listing benchmarks: the values do not matter).
"""
import sys

import torch


def main():
    out, size_gib, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    random_values = len(sys.argv) > 4 and sys.argv[4] == "random"
    total = int(size_gib * (1 << 30) / 4)
    per_tensor = max(1, total // count)
    torch.manual_seed(0)
    state = {}
    for i in range(count):
        if random_values:
            state[f"layers.{i}.weight"] = torch.randn(per_tensor, dtype=torch.float32) * (0.02 + i * 1e-4)
        else:
            # torch.empty + a cheap fill keeps generation fast; the values do not matter for listing.
            state[f"layers.{i}.weight"] = torch.empty(per_tensor, dtype=torch.float32).fill_(i * 1e-3)
    torch.save(state, out)


if __name__ == "__main__":
    main()
