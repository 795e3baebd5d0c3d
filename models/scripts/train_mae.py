"""Train the default MAE (models/scripts/mae.py) on CIFAR-10 on CPU, evaluate, export to ONNX.

Usage:
  /usr/bin/python3 models/scripts/train_mae.py --data /tmp/cifar/cifar10 --cache /tmp/cifar-cache \
      --epochs 20 --minutes 120 --threads 2 --ckpt /tmp/mae.pt [--resume] \
      [--out models/mae-cifar10.onnx] [--fixture test/fixtures/cifar8]
  /usr/bin/python3 models/scripts/train_mae.py --export-only --ckpt /tmp/mae.pt   # re-evaluate + export

Training: AdamW (lr 1.5e-3 at batch 256, betas 0.9/0.95, wd 0.05), linear warmup then cosine
decay; random horizontal flips; every image gets its own mask ratio ~ U[0.25, 0.75] and a
uniformly random set of dropped 4x4 patches; MSE on the dropped patches only, in dataset-
normalised pixel space ((x-mean)/std per channel; per-patch normalisation as in MAE's
norm_pix_loss is not used because it would make absolute reconstruction impossible).
The LR schedule follows whichever is further along: steps/(epochs*steps_per_epoch) or, with
--minutes, training seconds/budget; training stops when either reaches 1. A checkpoint is
written at every epoch end and every --save-every minutes, mid-epoch included; --resume
continues from it (the budget counts training time across runs).

Evaluation (each epoch on --eval-limit test images, at the end on the whole test split):
exactly 16 of 64 patches (25%) dropped per image, uniformly random with a fixed seed; the
model output is pasted under the kept patches and PSNR (peak 1.0) is computed per image over
the full 32x32x3 image, then averaged. Baseline: dropped patches filled with the per-channel
mean of the image's kept pixels. Prints one JSON line per epoch.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from cifar_cache import load_split  # noqa: E402
from mae import (  # noqa: E402
    GRID, MAE, NUM_PATCHES, PATCH, MaeContract, mask_to_pixels, paste, patchify, random_masks,
)
from train_common import add_common_args, seeded_start  # noqa: E402

EVAL_SEED = 1234
EVAL_RATIO = 0.25


def to01(x_u8: torch.Tensor) -> torch.Tensor:
    return x_u8.permute(0, 3, 1, 2).float().div_(255.0)


def psnr_per_image(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    mse = (a - b).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10.0 * torch.log10(1.0 / mse)


def mean_fill(images01: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Baseline: dropped patches replaced by the per-channel mean of the kept pixels."""
    keep = 1.0 - mask_to_pixels(mask)
    mean = (images01 * keep).sum(dim=(2, 3), keepdim=True) / keep.sum(dim=(2, 3), keepdim=True).clamp_min(1.0)
    return keep * images01 + (1.0 - keep) * mean


@torch.no_grad()
def evaluate(net: MAE, x_u8: np.ndarray, limit: int | None = None, batch: int = 500) -> dict:
    net.eval()
    n = len(x_u8) if limit is None else min(limit, len(x_u8))
    gen = torch.Generator().manual_seed(EVAL_SEED)
    model_psnr, base_psnr, model_mse, base_mse, masked_mse = [], [], 0.0, 0.0, 0.0
    for i in range(0, n, batch):
        x = to01(torch.from_numpy(x_u8[i : min(i + batch, n)]))
        mask = random_masks(len(x), torch.full((len(x),), EVAL_RATIO), gen)
        out = paste(x, net.reconstruct(x, mask), mask)
        base = mean_fill(x, mask)
        model_psnr.append(psnr_per_image(out, x))
        base_psnr.append(psnr_per_image(base, x))
        model_mse += float((out - x).pow(2).mean(dim=(1, 2, 3)).sum())
        base_mse += float((base - x).pow(2).mean(dim=(1, 2, 3)).sum())
        masked_mse += float((out - x).pow(2).sum() / (3 * mask_to_pixels(mask).sum()) * len(x))
    mp, bp = torch.cat(model_psnr), torch.cat(base_psnr)
    net.train()
    return {
        "images": n,
        "psnr": float(mp.mean()),
        "psnr_baseline_mean_fill": float(bp.mean()),
        "psnr_of_mean_mse": 10 * math.log10(n / model_mse),
        "psnr_of_mean_mse_baseline": 10 * math.log10(n / base_mse),
        "psnr_masked_region": 10 * math.log10(n / masked_mse),
    }


def lr_at(progress: float, base_lr: float, warmup: float) -> float:
    if progress < warmup:
        return base_lr * progress / warmup
    t = (progress - warmup) / max(1e-9, 1.0 - warmup)
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


def save(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a reader never sees a torn checkpoint


def export(net: MAE, out: str, metrics: dict, training: str) -> None:
    import onnx
    from onnx_util import save_with_metadata

    net.eval()
    wrapper = MaeContract(net).eval()
    images = torch.rand(2, 3, 32, 32)
    mask = torch.zeros(2, NUM_PATCHES)
    mask[0, :16] = 1
    torch.onnx.export(
        wrapper, (images, mask), out, opset_version=17, input_names=["images", "mask"],
        output_names=["reconstruction"],
        dynamic_axes={"images": {0: "N"}, "mask": {0: "N"}, "reconstruction": {0: "N"}},
        do_constant_folding=True,
    )
    model = onnx.load(out)
    meta = {
        "adq.contract": "mae/v1",
        "adq.patch_size": str(PATCH),
        "adq.grid": str(GRID),
        "adq.input.size": "32",
        "adq.input.range": "images in [0,1], not normalised (the graph normalises internally)",
        "adq.mask": "float32 [N,64], 1 = patch dropped (to reconstruct), 0 = kept; index = row*8+col",
        "adq.output": "reconstruction [N,3,32,32] in [0,1] for every patch; kept patches are NOT pasted",
        "adq.variant": "SimMIM-style MAE: all 64 patches enter the encoder, dropped ones as a learned mask token",
        "adq.psnr.mask25": f"{metrics['psnr']:.3f}",
        "adq.psnr.mask25.baseline_mean_fill": f"{metrics['psnr_baseline_mean_fill']:.3f}",
        "adq.psnr.eval": (
            f"CIFAR-10 test split ({metrics['images']} images), 16/64 patches dropped uniformly at random "
            f"(seed {EVAL_SEED}), kept patches pasted, mean per-image PSNR (peak 1.0)"
        ),
        "adq.training": training,
    }
    save_with_metadata(model, meta, "ADQ default MAE (CIFAR-10, 4x4 patches), contract mae/v1", out)


@torch.no_grad()
def write_fixture(net: MAE, fixture_dir: str) -> None:
    """MAE reference on the 8 fixture PNGs with fixed 25% masks (ORT must reproduce it)."""
    from PIL import Image

    ref_path = os.path.join(fixture_dir, "resnet20-reference.json")
    with open(ref_path) as f:
        paths = [im["path"] for im in json.load(f)["images"]]
    arrs = []
    for p in paths:
        with Image.open(os.path.join(fixture_dir, p)) as im:
            arrs.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
    x = to01(torch.from_numpy(np.stack(arrs)))
    mask = random_masks(len(x), torch.full((len(x),), EVAL_RATIO), torch.Generator().manual_seed(EVAL_SEED))
    net.eval()
    recon = net.reconstruct(x, mask)
    out = paste(x, recon, mask)
    ref = {
        "source": "models/scripts/train_mae.py",
        "images": paths,
        "mask": mask.int().tolist(),
        "psnr_pasted": [round(float(v), 4) for v in psnr_per_image(out, x)],
        "psnr_baseline_mean_fill": [round(float(v), 4) for v in psnr_per_image(mean_fill(x, mask), x)],
        "reconstruction_mean": [round(float(v), 6) for v in recon.mean(dim=(1, 2, 3))],
        "reconstruction_first_image_patches": np.round(patchify(recon[:1])[0].numpy().astype(np.float64), 6).tolist(),
    }
    with open(os.path.join(fixture_dir, "mae-reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    add_common_args(ap, data="/tmp/cifar/cifar10", epochs=20, batch=256, lr=1.5e-3, seed=0)
    ap.add_argument("--minutes", type=float, default=0.0, help="training-time budget (0 = none)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    ap.add_argument("--warmup", type=float, default=0.05, help="fraction of the schedule")
    ap.add_argument("--ckpt", default="/tmp/mae.pt")
    ap.add_argument("--save-every", type=float, default=10.0, help="minutes between mid-epoch checkpoints")
    ap.add_argument("--eval-limit", type=int, default=10000, help="test images for the per-epoch PSNR")
    ap.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (smoke tests)")
    ap.add_argument("--final-eval-limit", type=int, default=0, help="test images for the exported PSNR (0 = all)")
    ap.add_argument("--log-every", type=int, default=50, help="steps between progress lines")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--out", default="models/mae-cifar10.onnx")
    ap.add_argument("--fixture", default="test/fixtures/cifar8", help="'' to skip the MAE fixture")
    args = ap.parse_args()

    gen = seeded_start(args)
    xte, _, _ = load_split(args.data, "test", args.cache)
    ck = None
    if (args.resume or args.export_only) and os.path.exists(args.ckpt):
        ck = torch.load(args.ckpt, map_location="cpu")
    net = MAE(**ck["config"]) if ck else MAE()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.05)

    st = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "train_seconds": 0.0, "history": [], "perm": None}
    if ck:
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"])
        st = ck["state"]
        print(json.dumps({"resumed": args.ckpt, "epoch": st["epoch"], "step_in_epoch": st["step_in_epoch"],
                          "train_seconds": round(st["train_seconds"], 1)}), flush=True)
    elif args.export_only:
        raise SystemExit(f"--export-only needs a checkpoint at {args.ckpt}")

    def checkpoint() -> None:
        save(args.ckpt, {"model": net.state_dict(), "opt": opt.state_dict(), "gen": gen.get_state(), "state": st,
                         "config": net.config, "args": vars(args)})

    if not args.export_only:
        xtr, _, _ = load_split(args.data, "train", args.cache)
        if args.train_limit:
            xtr = xtr[: args.train_limit]
        xtr_t = torch.from_numpy(xtr)
        steps_per_epoch = len(xtr) // args.batch  # drop the ragged last batch
        total_steps = args.epochs * steps_per_epoch
        budget = args.minutes * 60.0
        t_run, t_saved = time.time(), time.time()
        seconds_at_start = st["train_seconds"]
        stop = False
        net.train()
        while st["epoch"] < args.epochs and not stop:
            if st["perm"] is None:
                st["perm"] = torch.randperm(len(xtr), generator=gen)
                st["loss_sum"], st["loss_n"], st["epoch_seconds"] = 0.0, 0, 0.0
            t_epoch = time.time()
            while st["step_in_epoch"] < steps_per_epoch:
                elapsed = seconds_at_start + (time.time() - t_run)
                progress = st["global_step"] / total_steps
                if budget > 0:
                    progress = max(progress, elapsed / budget)
                if progress >= 1.0 or (args.max_steps and st["global_step"] >= args.max_steps):
                    stop = True
                    break
                lr = lr_at(progress, args.lr * args.batch / 256, args.warmup)
                for g in opt.param_groups:
                    g["lr"] = lr
                b = st["step_in_epoch"]
                idx = st["perm"][b * args.batch : (b + 1) * args.batch]
                x = to01(xtr_t[idx])
                flip = torch.rand(len(x), generator=gen) < 0.5
                x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
                mask = random_masks(len(x), 0.25 + 0.5 * torch.rand(len(x), generator=gen), gen)
                xn = net.normalise(x)
                pred = net.predict_normalised(xn, mask)
                err = (pred - patchify(xn)).pow(2).mean(-1)  # [N,64]
                loss = (err * mask).sum() / mask.sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                st["loss_sum"] += float(loss)
                st["loss_n"] += 1
                st["step_in_epoch"] += 1
                st["global_step"] += 1
                st["train_seconds"] = seconds_at_start + (time.time() - t_run)
                if args.log_every and st["global_step"] % args.log_every == 0:
                    print(json.dumps({"step": st["global_step"], "epoch": st["epoch"] + 1, "loss": float(loss),
                                      "lr": lr, "train_seconds": round(st["train_seconds"], 1)}), flush=True)
                if time.time() - t_saved > args.save_every * 60:
                    st["epoch_seconds"] += time.time() - t_epoch
                    t_epoch = time.time()
                    checkpoint()
                    t_saved = time.time()
            st["epoch_seconds"] += time.time() - t_epoch
            if st["step_in_epoch"] >= steps_per_epoch:
                rec = {"epoch": st["epoch"] + 1, "loss": st["loss_sum"] / max(1, st["loss_n"]),
                       "lr": lr, "train_seconds": round(st["epoch_seconds"], 1)}
                rec.update({f"test_{k}": v for k, v in evaluate(net, xte, args.eval_limit).items()})
                st["history"].append(rec)
                print(json.dumps(rec), flush=True)
                st["epoch"] += 1
                st["step_in_epoch"] = 0
                st["perm"] = None
            elif stop:
                print(json.dumps({"stopped": True, "epoch": st["epoch"], "step_in_epoch": st["step_in_epoch"],
                                  "global_step": st["global_step"],
                                  "partial_loss": st["loss_sum"] / max(1, st["loss_n"]),
                                  "train_seconds": round(st["train_seconds"], 1)}), flush=True)
            checkpoint()
            t_saved = time.time()

    final = evaluate(net, xte, args.final_eval_limit or None)
    n_train = args.train_limit or 50000
    epochs_float = st["global_step"] / (n_train // args.batch)
    training = (
        f"CIFAR-10 train split ({n_train} images), {epochs_float:.1f} epochs ({st['global_step']} steps, batch {args.batch}), "
        f"AdamW lr {args.lr} cosine, mask ratio U[0.25,0.75], loss on dropped patches, CPU "
        f"{st['train_seconds'] / 60:.0f} min; models/scripts/train_mae.py"
    )
    export(net, args.out, final, training)
    if args.fixture:
        write_fixture(net, args.fixture)
    print(json.dumps({"final": final, "onnx": args.out, "bytes": os.path.getsize(args.out),
                      "train_seconds": round(st["train_seconds"], 1), "global_step": st["global_step"],
                      "training": training}), flush=True)


if __name__ == "__main__":
    main()
