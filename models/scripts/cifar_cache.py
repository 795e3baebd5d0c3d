"""Decode an ImageFolder tree of CIFAR-10 JPEGs once into a uint8 array cache.

Training reads the cache (N,32,32,3 uint8 + labels) so epochs are not bound by JPEG
decoding. Class order is the sorted folder names, as ImageFolder readers use.
"""
from __future__ import annotations

import os
import sys

import numpy as np
from PIL import Image


def load_split(root: str, split: str, cache_dir: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    split_dir = os.path.join(root, split)
    classes = sorted(d for d in os.listdir(split_dir) if os.path.isdir(os.path.join(split_dir, d)))
    os.makedirs(cache_dir, exist_ok=True)
    xs_path = os.path.join(cache_dir, f"{split}_x.npy")
    ys_path = os.path.join(cache_dir, f"{split}_y.npy")
    if os.path.exists(xs_path) and os.path.exists(ys_path):
        return np.load(xs_path), np.load(ys_path), classes
    xs: list[np.ndarray] = []
    ys: list[int] = []
    for label, name in enumerate(classes):
        folder = os.path.join(split_dir, name)
        for file in sorted(os.listdir(folder)):
            with Image.open(os.path.join(folder, file)) as im:
                xs.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
            ys.append(label)
    x = np.stack(xs)
    y = np.asarray(ys, dtype=np.int64)
    np.save(xs_path, x)
    np.save(ys_path, y)
    return x, y, classes


if __name__ == "__main__":
    x, y, classes = load_split(sys.argv[1], sys.argv[2], sys.argv[3])
    print(x.shape, y.shape, classes)
