#!/usr/bin/python3
"""Writes two synthetic torch.save checkpoints of about SIZE_GIB GiB each, in TENSORS float32
tensors: A with normal values, B the same tensors moved a little (what a training step does).

Usage: /usr/bin/python3 make_bench_diff_pair.py A.pt B.pt SIZE_GIB TENSORS
Each tensor comes from its own seed, so only one checkpoint is in memory at a time.
"""
import sys

import torch


def tensors(size_gib, count, moved):
    per_tensor = max(1, int(size_gib * (1 << 30) / 4) // count)
    state = {}
    for i in range(count):
        generator = torch.Generator().manual_seed(i)
        t = torch.randn(per_tensor, generator=generator) * (0.02 + i * 1e-4)
        if moved:
            t += 1e-4 * torch.randn(per_tensor, generator=generator)
        state[f"layers.{i}.weight"] = t
    return state


def main():
    out_a, out_b, size_gib, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    torch.save(tensors(size_gib, count, False), out_a)
    torch.save(tensors(size_gib, count, True), out_b)


if __name__ == "__main__":
    main()
