"""CIFAR ResNet-18 (He et al. 2016; the CIFAR variant of the DQ/ADQ reference code's trainer):
a 3x3 stem without max-pooling, 4 stages x 2 basic blocks, 64/128/256/512 channels, global
average pool, one linear layer. 11.2 M parameters, 0.56 GFLOPs per 32x32 image (forward).

Used only by the evaluation trainer (eval/train_subset.py --model resnet18): the published
protocol trains it from scratch for 200 epochs on the selected subset.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from resnet20 import BasicBlock  # the same basic block; only the widths and depth differ


class ResNet18(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(64)
        layers = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.fc(x.mean(dim=(2, 3)))
