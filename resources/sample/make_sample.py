#!/usr/bin/python3
"""Writes resources/sample/simple_cnn.pth: the tutorial SimpleCNN's state dict, saved by torch.save.

Run with Debian's /usr/bin/python3 (python3-torch). Deterministic: the seed fixes the weights.
"""
import os

import torch
from torch import nn


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(16 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        return self.fc(torch.flatten(x, 1))


def main():
    torch.manual_seed(0)
    model = SimpleCNN()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "simple_cnn.pth")
    torch.save(model.state_dict(), out)
    print(out)


if __name__ == "__main__":
    main()
