"""Write the 8-image CIFAR-10 inference fixture used by test/models/contract.test.ts.

Usage:
  /usr/bin/python3 models/scripts/make_fixture.py --ckpt /tmp/resnet20.pt \
      [--data /tmp/cifar/cifar10] [--out test/fixtures/cifar8]

Takes a fixed list of 8 CIFAR-10 test images (one per class for the first 8 classes, at
fixed sorted positions), stores them losslessly as PNG under <out>/<class>/<name>.png, and
runs the PyTorch model on exactly those pixels. The reference JSON holds, rounded to 1e-6:
embedding, logits, pooled (all 8 images), feature_map for the first 2 images, and the CAM
ReLU(sum_k W[c,k] A_k) of the reference top-1 class for all 8 images (checks the head sidecar).
export_resnet20.py calls write_fixture itself with the checkpoint it exports, so the two agree;
run this script alone only against the same checkpoint the committed ONNX came from.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from ckpt_util import load_checkpoint_safely, load_net, normalise  # noqa: E402

# (class index, position in the sorted file list of that class's test folder)
PICKS = [(0, 0), (1, 11), (2, 22), (3, 33), (4, 44), (5, 55), (6, 66), (7, 77)]
FEATURE_MAP_IMAGES = 2


def r6(a: np.ndarray):
    return np.round(a.astype(np.float64), 6).tolist()


def write_fixture(ckpt: dict, data: str, out: str) -> dict:
    net = load_net(ckpt)
    classes, mean, std = list(ckpt["classes"]), list(ckpt["mean"]), list(ckpt["std"])

    images, pixels = [], []
    for ci, pos in PICKS:
        cls = classes[ci]
        folder = os.path.join(data, "test", cls)
        name = sorted(os.listdir(folder))[pos]
        with Image.open(os.path.join(folder, name)) as im:
            arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
        rel = f"{cls}/{os.path.splitext(name)[0]}.png"
        os.makedirs(os.path.join(out, cls), exist_ok=True)
        Image.fromarray(arr, "RGB").save(os.path.join(out, rel), format="PNG", optimize=True)
        # Round-trip check: PNG is lossless.
        with Image.open(os.path.join(out, rel)) as im:
            assert np.array_equal(np.asarray(im.convert("RGB")), arr)
        images.append({"path": rel, "label": ci, "class": cls})
        pixels.append(arr)

    x = normalise(np.stack(pixels), mean, std)
    with torch.no_grad():
        emb, logits, fmap, pooled = net.forward_all(x)
        top1 = logits.argmax(1)
        w = net.fc.weight[top1]  # [8,64]
        cam = torch.relu(torch.einsum("nk,nkhw->nhw", w, fmap))

    ref = {
        "source": "models/scripts/make_fixture.py",
        "checkpoint_epoch": int(ckpt.get("epoch", 0)),
        "normalize": {"mean": mean, "std": std},
        "images": images,
        "embedding": r6(emb.numpy()),
        "logits": r6(logits.numpy()),
        "argmax": top1.tolist(),
        "pooled": r6(pooled.numpy()),
        "feature_map_images": FEATURE_MAP_IMAGES,
        "feature_map": r6(fmap[:FEATURE_MAP_IMAGES].numpy()),
        "cam": r6(cam.numpy()),
    }
    with open(os.path.join(out, "resnet20-reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    return {"images": [i["path"] for i in images], "argmax": ref["argmax"], "epoch": ref["checkpoint_epoch"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="/tmp/resnet20.pt")
    ap.add_argument("--data", default="/tmp/cifar/cifar10")
    ap.add_argument("--out", default="test/fixtures/cifar8")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(json.dumps(write_fixture(load_checkpoint_safely(args.ckpt), args.data, args.out)))


if __name__ == "__main__":
    main()
