"""PyTorch baseline for bench/features.bench.ts: decode the same JPEGs with PIL and run the
same ResNet-20 forward pass (all four contract outputs) on CPU, batch 256.

Usage: /usr/bin/python3 bench/features_torch.py <imagefolder> [--limit N] [--threads T] [--checkpoint P]
Prints one JSON line: images, seconds, images_per_s, max_rss_mib.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "models", "scripts"))
from resnet20 import ResNet20  # noqa: E402

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32).reshape(1, 3, 1, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--checkpoint", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    files: list[str] = []
    for cls in sorted(os.listdir(args.root)):
        d = os.path.join(args.root, cls)
        if os.path.isdir(d):
            files += [os.path.join(d, f) for f in sorted(os.listdir(d))]
    if args.limit:
        files = files[: args.limit]
    net = ResNet20()
    if args.checkpoint and os.path.exists(args.checkpoint):
        net.load_state_dict(torch.load(args.checkpoint, map_location="cpu")["model"])
    net.eval()
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, len(files), args.batch):
            batch = np.stack([np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) for f in files[i : i + args.batch]])
            x = (batch.transpose(0, 3, 1, 2) / 255.0 - MEAN) / STD
            net.forward_all(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
    secs = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images": len(files), "seconds": secs, "images_per_s": len(files) / secs, "max_rss_mib": rss}))


if __name__ == "__main__":
    main()
