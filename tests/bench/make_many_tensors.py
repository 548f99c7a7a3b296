#!/usr/bin/python3
"""Writes a checkpoint of COUNT small tensors named like a deep transformer's.

Usage: /usr/bin/python3 make_many_tensors.py OUT.pt COUNT
Names: model.layers.N.{attn.q_proj,...}.weight, eight per layer, so the tree is several levels deep.
"""
import sys

import torch

PARTS = ["attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.o_proj", "mlp.up_proj", "mlp.down_proj",
         "input_layernorm", "post_attention_layernorm"]


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    state = {}
    for i in range(count):
        state[f"model.layers.{i // len(PARTS)}.{PARTS[i % len(PARTS)]}.weight"] = torch.full((4,), float(i))
    torch.save(state, out)


if __name__ == "__main__":
    main()
