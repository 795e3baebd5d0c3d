"""CIFAR ResNet-20 (He et al. 2016, 3 stages x 3 basic blocks, 16/32/64 channels).

forward_all returns every output of the ADQ feature-model contract (models/README.md):
  embedding   [N,64]        penultimate representation (after global average pool)
  logits      [N,10]
  feature_map [N,64,8,8]    last conv map (CAM = W[c] . feature_map)
  pooled      [N,48]        global-average-pooled stage-1 and stage-2 maps (discriminator input)
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.stage1 = self._stage(16, 16, 1)
        self.stage2 = self._stage(16, 32, 2)
        self.stage3 = self._stage(32, 64, 2)
        self.fc = nn.Linear(64, num_classes)

    @staticmethod
    def _stage(cin: int, cout: int, stride: int) -> nn.Sequential:
        return nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1), BasicBlock(cout, cout, 1))

    def forward_all(self, x: torch.Tensor):
        x = F.relu(self.bn(self.conv(x)))
        s1 = self.stage1(x)
        s2 = self.stage2(s1)
        fmap = self.stage3(s2)
        embedding = fmap.mean(dim=(2, 3))
        logits = self.fc(embedding)
        pooled = torch.cat([s1.mean(dim=(2, 3)), s2.mean(dim=(2, 3))], dim=1)
        return embedding, logits, fmap, pooled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x)[1]


class ContractWrapper(nn.Module):
    """Exports the four contract outputs in a fixed order."""

    def __init__(self, net: ResNet20) -> None:
        super().__init__()
        self.net = net

    def forward(self, images: torch.Tensor):
        return self.net.forward_all(images)
