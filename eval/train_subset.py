#!/usr/bin/env python3
"""Train a model from scratch on a subset of a data set and report its test accuracy.

This is the trainer behind `adq eval` (apps/adq/src/eval.ts); it can also be run alone:

  /usr/bin/python3 eval/train_subset.py --train <dataset> --test <dataset> \
      (--subset <manifest.json> | --images <ImageFolder>) \
      [--epochs 40] [--seed 0] [--threads N] [--cache-dir DIR] [--eval-every K]
      [--model resnet20|resnet18] [--device auto|cpu|cuda] [--bf16]

Needs Debian's PyTorch: `apt-get install python3-torch python3-torchvision` (numpy and
Pillow come with them).

Data sets are ImageFolder trees (`root/<class>/<image>`) or CIFAR-10 binary folders, read
in exactly the stable order of packages/ml/src (image-folder.ts, cifar10-binary.ts):
  * ImageFolder: classes = the root's visible sub-folders sorted byte-wise (label = position);
    a class's items = its visible .jpg/.jpeg/.png/.webp files sorted byte-wise; id `class/file`.
  * CIFAR-10 binary: `data_batch_N.bin` files sorted byte-wise (train split) or
    `test_batch.bin` (test split), records in file order; id `file#record`; class names from
    `batches.meta.txt` (else the ten CIFAR-10 names). For --train the split is "train" when
    data_batch files exist (as `adq compress` reads it), for --test it is "test" when
    test_batch.bin exists.
--subset takes an `adq compress` manifest: the training set is its items, matched by `id`
(falling back to `index` for items without one); labels and class names are checked.
--images trains on every image of an ImageFolder (e.g. the output of `adq reconstruct`,
whose class folders may be empty); its class names must equal the test set's.

Recipe (defaults): CIFAR ResNet-20 (models/scripts/resnet20.py; --model resnet18: the CIFAR
ResNet-18 of the published protocol, models/scripts/resnet18.py) from scratch; SGD lr 0.1,
momentum 0.9, weight decay 5e-4, cosine decay to 0 per iteration over all epochs; batch 128
(reshuffled each epoch, last partial batch kept); random crop 32 from the zero-padded (4)
image + horizontal flip; CIFAR-10 mean/std normalisation; images not 32x32 are resized.
Seeded: initialisation, shuffling and augmentation all derive from --seed (the training
seed, independent of the selection seed); deterministic algorithms are enforced, so a run
repeats exactly on the same machine, PyTorch build and thread count.
--device cuda (or auto on a machine with a CUDA GPU) keeps the whole training set on the GPU;
the random draws (shuffle, crop offsets, flips) still come from the CPU generator, so the
batches are the same as on the CPU and only the arithmetic differs. --bf16 adds bfloat16
autocast and channels-last there (float32 master weights); CUDA runs repeat exactly on the
same GPU model, driver and PyTorch build (cuDNN autotuning off, deterministic kernels).

Progress goes to stderr; the result is one JSON line on stdout:
  {"test_accuracy", "epochs", "train_images", "test_images", "seconds", "seed", "per_epoch": [...], ...}
Exit codes: 0 success, 2 bad input (one "train_subset: ..." line on stderr), 1 anything else.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTALL_HINT = "install Debian's PyTorch: apt-get install python3-torch python3-torchvision"

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from PIL import Image
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"train_subset: {e}; {INSTALL_HINT}", file=sys.stderr)
    sys.exit(3)

sys.path.insert(0, os.path.join(REPO, "models", "scripts"))
from resnet18 import ResNet18  # noqa: E402
from resnet20 import ResNet20  # noqa: E402

MODELS = {"resnet20": ResNet20, "resnet18": ResNet18}

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
IMAGE_FILE = re.compile(r"\.(jpe?g|png|webp)$", re.IGNORECASE)
CIFAR_BATCH = re.compile(r"^(data_batch_\d+|test_batch)\.bin$")
CIFAR_TRAIN = re.compile(r"^data_batch_\d+\.bin$")
CIFAR_META = "batches.meta.txt"
CIFAR_SIDE = 32
CIFAR_RECORD = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
# Decode a whole ImageFolder into the cache only up to this many bytes of pixels.
FULL_CACHE_MAX_BYTES = 2 << 30


class InputError(Exception):
    """Bad input: reported as one line, exit code 2."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def byte_key(name: str) -> bytes:
    """Byte-wise order of the UTF-8 encoding, as byteCompare in packages/ml/src/reader-util.ts."""
    return name.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------- data sets


@dataclass
class Dataset:
    root: str
    format: str  # "imagefolder" | "cifar10-binary"
    classes: list[str]
    ids: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    records: list[int] = field(default_factory=list)  # CIFAR binary only

    @property
    def size(self) -> int:
        return len(self.ids)


def list_visible(d: str) -> tuple[list[str], list[str]]:
    dirs: list[str] = []
    files: list[str] = []
    with os.scandir(d) as it:
        for e in it:
            if e.name.startswith("."):
                continue
            # is_dir()/is_file() follow symlinks; a dangling link is neither (as in the TS reader).
            if e.is_dir():
                dirs.append(e.name)
            elif e.is_file():
                files.append(e.name)
    dirs.sort(key=byte_key)
    files.sort(key=byte_key)
    return dirs, files


def scan_image_folder(root: str, allow_empty_classes: bool = False) -> Dataset:
    dirs, files = list_visible(root)
    if not dirs:
        raise InputError(f"{root} holds no class folders (an ImageFolder is laid out root/<class>/<image>)")
    ds = Dataset(root=root, format="imagefolder", classes=dirs)
    for label, cls in enumerate(dirs):
        sub, names = list_visible(os.path.join(root, cls))
        images = [n for n in names if IMAGE_FILE.search(n)]
        if not images and not allow_empty_classes:
            raise InputError(f"class folder {os.path.join(root, cls)} holds no images")
        for n in images:
            ds.ids.append(f"{cls}/{n}")
            ds.labels.append(label)
            ds.sources.append(os.path.join(root, cls, n))
    return ds


def scan_cifar(root: str, role: str) -> Dataset:
    names = os.listdir(root)
    train = sorted((n for n in names if CIFAR_TRAIN.match(n)), key=byte_key)
    test = [n for n in names if n == "test_batch.bin"]
    if role == "test":
        files = test or train
    else:
        files = train or test
    if not files:
        raise InputError(f"{root} holds no CIFAR-10 batch files")
    classes = list(CIFAR10_CLASSES)
    if CIFAR_META in names:
        with open(os.path.join(root, CIFAR_META), encoding="utf-8") as f:
            classes = [line.strip() for line in f if line.strip()]
    ds = Dataset(root=root, format="cifar10-binary", classes=classes)
    for name in files:
        path = os.path.join(root, name)
        size = os.path.getsize(path)
        if size == 0 or size % CIFAR_RECORD:
            raise InputError(f"{path} is {size} bytes, not a whole number of {CIFAR_RECORD}-byte records")
        labels = np.fromfile(path, dtype=np.uint8).reshape(-1, CIFAR_RECORD)[:, 0]
        if len(labels) and int(labels.max()) >= len(classes):
            raise InputError(f"{path} has label {int(labels.max())} but only {len(classes)} classes")
        for r, lab in enumerate(labels.tolist()):
            ds.ids.append(f"{name}#{r}")
            ds.labels.append(lab)
            ds.sources.append(path)
            ds.records.append(r)
    return ds


def open_dataset(path: str, role: str, allow_empty_classes: bool = False) -> Dataset:
    root = os.path.abspath(path)
    if not os.path.exists(root):
        raise InputError(f"dataset path {root} does not exist")
    if not os.path.isdir(root):
        raise InputError(f"dataset path {root} is a file, not a directory")
    if any(CIFAR_BATCH.match(n) for n in os.listdir(root)):
        return scan_cifar(root, role)
    return scan_image_folder(root, allow_empty_classes)


def decode(path: str, size: int) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if im.size != (size, size):
                im = im.resize((size, size), Image.BILINEAR)
            return np.asarray(im, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise InputError(f"cannot decode {path}: {e}") from e


def folder_cache_key(ds: Dataset, size: int) -> str:
    h = hashlib.sha256()
    h.update(f"v1\0{ds.root}\0{size}\0{json.dumps(ds.classes)}\n".encode("utf-8", "surrogateescape"))
    for i, src in zip(ds.ids, ds.sources):
        st = os.stat(src)
        h.update(f"{i}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:32]


def load_pixels(ds: Dataset, indices: list[int], size: int, cache_dir: str | None) -> np.ndarray:
    """uint8 [n, size, size, 3] for the items at `indices`, in that order."""
    if ds.format == "cifar10-binary":
        out = np.empty((len(indices), CIFAR_SIDE, CIFAR_SIDE, 3), dtype=np.uint8)
        by_file: dict[str, list[tuple[int, int]]] = {}
        for k, i in enumerate(indices):
            by_file.setdefault(ds.sources[i], []).append((k, ds.records[i]))
        for path, pairs in by_file.items():
            raw = np.fromfile(path, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
            ks = [k for k, _ in pairs]
            rs = [r for _, r in pairs]
            out[ks] = raw[rs, 1:].reshape(-1, 3, CIFAR_SIDE, CIFAR_SIDE).transpose(0, 2, 3, 1)
        if size != CIFAR_SIDE:
            out = np.stack([np.asarray(Image.fromarray(a).resize((size, size), Image.BILINEAR)) for a in out])
        return out
    full_bytes = ds.size * size * size * 3
    if cache_dir and full_bytes <= FULL_CACHE_MAX_BYTES:
        os.makedirs(cache_dir, exist_ok=True)
        file = os.path.join(cache_dir, f"{folder_cache_key(ds, size)}.npy")
        if os.path.exists(file):
            arr = np.load(file, mmap_mode="r")
            if arr.shape == (ds.size, size, size, 3):
                return np.ascontiguousarray(arr[indices])
        log(f"decoding all {ds.size} images of {ds.root} once into the cache {cache_dir}")
        arr = np.empty((ds.size, size, size, 3), dtype=np.uint8)
        for i, src in enumerate(ds.sources):
            arr[i] = decode(src, size)
        tmp = f"{file}.tmp-{os.getpid()}.npy"
        np.save(tmp, arr)
        os.replace(tmp, file)
        return np.ascontiguousarray(arr[indices])
    out = np.empty((len(indices), size, size, 3), dtype=np.uint8)
    for k, i in enumerate(indices):
        out[k] = decode(ds.sources[i], size)
    return out


def subset_from_manifest(path: str, ds: Dataset) -> list[int]:
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError as e:
        raise InputError(f"manifest {path} does not exist") from e
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read manifest {path}: {e}") from e
    if not isinstance(manifest, dict) or not isinstance(manifest.get("items"), list):
        raise InputError(f"{path} is not an adq manifest (no items list)")
    info = manifest.get("dataset") or {}
    if "classes" in info and list(info["classes"]) != ds.classes:
        raise InputError(
            f"the manifest's classes {info['classes']} differ from the classes of {ds.root} {ds.classes}"
        )
    if "size" in info and int(info["size"]) != ds.size:
        raise InputError(
            f"the manifest was made from a data set of {info['size']} images; {ds.root} has {ds.size}"
        )
    by_id = {i: k for k, i in enumerate(ds.ids)}
    out: list[int] = []
    moved = 0
    for item in manifest["items"]:
        if "id" in item:
            k = by_id.get(item["id"])
            if k is None:
                raise InputError(f"manifest item {item['id']!r} is not in {ds.root}")
            if "index" in item and int(item["index"]) != k:
                moved += 1
        else:
            k = int(item["index"])
            if not 0 <= k < ds.size:
                raise InputError(f"manifest item index {k} is out of range for {ds.root} ({ds.size} images)")
        if "label" in item and int(item["label"]) != ds.labels[k]:
            raise InputError(
                f"manifest item {ds.ids[k]!r} has label {item['label']}, but {ds.root} labels it {ds.labels[k]}"
            )
        out.append(k)
    if moved:
        log(f"warning: {moved} manifest item(s) sit at another index in {ds.root}; matched by id")
    if len(set(out)) != len(out):
        raise InputError(f"manifest {path} lists an image more than once")
    return out


# ---------------------------------------------------------------- training


def to_input(x_u8: torch.Tensor) -> torch.Tensor:
    """uint8 NCHW -> normalised float NCHW (on x_u8's device)."""
    mean = torch.tensor(MEAN, device=x_u8.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x_u8.device).view(1, 3, 1, 1)
    return (x_u8.float().div_(255.0) - mean) / std


def augment(x_u8: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop from the zero-padded image + horizontal flip, vectorised; uint8 NCHW in and out.
    The draws come from `gen` (a CPU generator) whatever the device, so CPU and GPU runs see the
    same crops and flips."""
    n, _, h, w = x_u8.shape
    dev = x_u8.device
    padded = F.pad(x_u8, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(dev)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(dev)
    flip = (torch.rand(n, generator=gen) < 0.5).to(dev)
    rows = oy[:, None] + torch.arange(h, device=dev)
    cols = ox[:, None] + torch.arange(w, device=dev)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    out = padded[torch.arange(n, device=dev)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # n,h,w,c
    return out.permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def evaluate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, fmt, batch: int = 500) -> float:
    net.eval()
    correct = 0
    for i in range(0, len(x), batch):
        with fmt.autocast():
            logits = net(fmt.prepare(to_input(x[i : i + batch])))
        correct += int((logits.argmax(1) == y[i : i + batch]).sum())
    return correct / max(1, len(x))


class Format:
    """Where and in which precision the network runs: float32 on the CPU, or on a CUDA device,
    optionally with bfloat16 autocast and channels-last memory."""

    def __init__(self, device: torch.device, bf16: bool) -> None:
        self.device = device
        self.bf16 = bf16

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.bf16 else x

    def autocast(self):
        if self.bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


def pick_device(name: str) -> torch.device:
    if name == "cpu":
        return torch.device("cpu")
    has_cuda = torch.cuda.is_available()
    if name == "cuda" and not has_cuda:
        raise InputError("--device cuda: PyTorch sees no CUDA device here (torch.cuda.is_available() is false)")
    return torch.device("cuda" if has_cuda else "cpu")


def train_and_test(xtr, ytr, xte, yte, num_classes: int, args) -> dict:
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(args.seed)
    dev = args.device_obj
    fmt = Format(dev, args.bf16)
    net = MODELS[args.model](num_classes)
    if args.bf16:
        net = net.to(memory_format=torch.channels_last)
    net = net.to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    # The whole (small) training and test sets live on the device: no loader, no host copies per step.
    xtr_t = torch.from_numpy(xtr).permute(0, 3, 1, 2).contiguous().to(dev)
    ytr_t = torch.from_numpy(ytr).to(dev)
    xte_t = torch.from_numpy(xte).permute(0, 3, 1, 2).contiguous().to(dev)
    yte_t = torch.from_numpy(yte).to(dev)
    n = len(xtr_t)
    steps = math.ceil(n / args.batch)
    total = args.epochs * steps
    per_epoch: list[dict] = []
    step = 0
    for epoch in range(args.epochs):
        t0 = time.time()
        net.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        correct = 0
        for b in range(steps):
            lr = 0.5 * args.lr * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[b * args.batch : (b + 1) * args.batch].to(dev)
            with fmt.autocast():
                logits = net(fmt.prepare(to_input(augment(xtr_t[idx], gen))))
                loss = F.cross_entropy(logits.float(), ytr_t[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == ytr_t[idx]).sum())
            step += 1
        row = {
            "epoch": epoch + 1,
            "loss": round(loss_sum / n, 6),
            "train_accuracy": round(correct / n, 6),
            "lr": round(lr, 8),
            "seconds": round(time.time() - t0, 3),
        }
        last = epoch + 1 == args.epochs
        if args.eval_every and ((epoch + 1) % args.eval_every == 0) and not last:
            row["test_accuracy"] = evaluate(net, xte_t, yte_t, fmt)
        per_epoch.append(row)
        extra = f" test {row['test_accuracy']:.4f}" if "test_accuracy" in row else ""
        log(
            f"epoch {epoch + 1}/{args.epochs} loss {row['loss']:.4f} train {row['train_accuracy']:.4f} "
            f"lr {row['lr']:.5f} {row['seconds']:.1f}s{extra}"
        )
    t0 = time.time()
    acc = evaluate(net, xte_t, yte_t, fmt)
    if per_epoch:
        per_epoch[-1]["test_accuracy"] = acc
    return {"test_accuracy": acc, "per_epoch": per_epoch, "test_seconds": round(time.time() - t0, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="train_subset", description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, help="the data set the subset was selected from")
    ap.add_argument("--test", required=True, help="the test data set")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--subset", help="adq manifest.json: train on its items (original images of --train)")
    src.add_argument("--images", help="ImageFolder to train on (e.g. from adq reconstruct)")
    ap.add_argument("--model", default="resnet20", choices=sorted(MODELS))
    ap.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"], help="where to train [cpu]")
    ap.add_argument("--bf16", action="store_true", help="CUDA only: bfloat16 autocast + channels-last")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0, help="training seed (init, shuffling, augmentation)")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads [all cores]")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--size", type=int, default=32, help="image side the model sees")
    ap.add_argument("--eval-every", type=int, default=0, help="also test every K epochs [only at the end]")
    ap.add_argument("--cache-dir", help="cache decoded ImageFolder pixels here (.npy) for later runs")
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.batch < 1 or args.threads < 0 or args.size < 8 or args.seed < 0:
        raise InputError("--epochs, --batch must be >= 1, --size >= 8, --threads and --seed >= 0")
    if args.bf16 and args.device == "cpu":
        raise InputError("--bf16 needs --device cuda (or auto on a CUDA machine)")
    args.device_obj = pick_device(args.device)
    if args.bf16 and args.device_obj.type != "cuda":
        raise InputError("--bf16: no CUDA device here; it applies to GPU training only")
    if args.device_obj.type == "cuda":
        # Deterministic cuBLAS needs a fixed workspace; autotuning would pick kernels by timing.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
    started = time.time()
    # Debian's torch may default to 1 thread whatever the machine: "all cores" is explicit here.
    torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))

    train_ds = open_dataset(args.train, "train")
    test_ds = open_dataset(args.test, "test")
    if args.subset:
        indices = subset_from_manifest(args.subset, train_ds)
        source_ds = train_ds
    else:
        source_ds = open_dataset(args.images, "train", allow_empty_classes=True)
        indices = list(range(source_ds.size))
        if source_ds.classes != train_ds.classes:
            raise InputError(
                f"the classes of {source_ds.root} {source_ds.classes} differ from those of {train_ds.root}"
            )
    if test_ds.classes != train_ds.classes:
        raise InputError(
            f"the test set's classes {test_ds.classes} differ from the training set's {train_ds.classes}"
        )
    if not indices:
        raise InputError("the subset is empty")
    log(
        f"loading {len(indices)} training images from {source_ds.root} and {test_ds.size} test images "
        f"from {test_ds.root}"
    )
    # Reconstructed folders are temporary: caching their pixels would only fill the cache.
    xtr = load_pixels(source_ds, indices, args.size, args.cache_dir if args.subset else None)
    ytr = np.asarray([source_ds.labels[i] for i in indices], dtype=np.int64)
    xte = load_pixels(test_ds, list(range(test_ds.size)), args.size, args.cache_dir)
    yte = np.asarray(test_ds.labels, dtype=np.int64)
    load_seconds = time.time() - started
    log(
        f"training {args.model} from scratch: {len(xtr)} images, {args.epochs} epoch(s), seed {args.seed}, "
        f"{torch.get_num_threads()} thread(s), device {args.device_obj}{' bf16' if args.bf16 else ''}"
    )
    t0 = time.time()
    res = train_and_test(xtr, ytr, xte, yte, len(train_ds.classes), args)
    out = {
        "test_accuracy": res["test_accuracy"],
        "epochs": args.epochs,
        "train_images": len(xtr),
        "test_images": len(xte),
        "seconds": round(time.time() - started, 3),
        "seed": args.seed,
        "per_epoch": res["per_epoch"],
        "train_seconds": round(time.time() - t0 - res["test_seconds"], 3),
        "test_seconds": res["test_seconds"],
        "load_seconds": round(load_seconds, 3),
        "model": args.model,
        "recipe": {
            "optimizer": "sgd",
            "lr": args.lr,
            "momentum": 0.9,
            "weight_decay": 5e-4,
            "schedule": "cosine-per-iteration",
            "batch": args.batch,
            "augment": "crop-pad4+hflip",
            "size": args.size,
        },
        "source": "subset" if args.subset else "images",
        "classes": len(train_ds.classes),
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(args.device_obj) if args.device_obj.type == "cuda" else "cpu",
        "bf16": args.bf16,
        "torch": torch.__version__,
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except InputError as e:
        print(f"train_subset: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
    except KeyboardInterrupt:
        print("train_subset: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
