"""Tiny "bring your own" ONNX models for the model-contract error and fallback tests
(test/e2e/byo-model.e2e.test.ts): seeded random weights, no adq.* metadata, graph names that
are not the contract's. Usage: /usr/bin/python3 models/scripts/make_byo_fixtures.py test/fixtures/models
"""
import os
import sys

import torch
from torch import nn

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"


class Tiny(nn.Module):
    def __init__(self, in_ch=3, classes=5, mode="renamed"):
        super().__init__()
        self.mode = mode
        self.c1 = nn.Conv2d(in_ch, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, stride=4, padding=1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        a = torch.relu(self.c2(torch.relu(self.c1(x))))
        e = a.mean(dim=(2, 3))
        z = self.fc(e)
        if self.mode == "renamed":
            return e, z, a
        if self.mode == "nomap":
            return e, z
        if self.mode == "intlogits":
            return e, z.argmax(dim=1)
        if self.mode == "flatmap":
            return e.unsqueeze(1), z
        raise ValueError(self.mode)


def export(name, model, in_ch, inputs, outputs):
    torch.manual_seed(0)
    for p in model.parameters():
        nn.init.normal_(p, 0.0, 0.5)
    x = torch.rand(2, in_ch, 16, 16)
    axes = {n: {0: "N"} for n in inputs + outputs}
    torch.onnx.export(model.eval(), x, os.path.join(OUT, name), input_names=inputs, output_names=outputs,
                      dynamic_axes=axes, opset_version=17)


os.makedirs(OUT, exist_ok=True)
export("byo-renamed.onnx", Tiny(mode="renamed"), 3, ["pixel_values"], ["feats", "scores", "last_conv"])
export("byo-nomap.onnx", Tiny(mode="nomap"), 3, ["pixel_values"], ["feats", "scores"])
export("byo-int-logits.onnx", Tiny(mode="intlogits"), 3, ["images"], ["embedding", "logits"])
export("byo-gray-input.onnx", Tiny(in_ch=1, mode="nomap"), 1, ["images"], ["embedding", "logits"])
export("byo-3d-embedding.onnx", Tiny(mode="flatmap"), 3, ["images"], ["embedding", "logits"])
