"""What the training scripts (train_resnet20.py, swa_resnet20.py, train_mae.py) share: their common
command-line flags and the seeded start of a run."""
from __future__ import annotations

import argparse

import torch


def add_common_args(ap: argparse.ArgumentParser, *, data: str | None, epochs: int, batch: int, lr: float,
                    seed: int, lr_help: str | None = None, bf16: bool = False) -> None:
    """--data (required when `data` is None), --cache, --epochs, --batch, --lr, --threads, --seed, --resume
    and, with `bf16`, --bf16; the defaults are each script's own."""
    ap.add_argument("--data", required=data is None, default=data)
    ap.add_argument("--cache", default="/tmp/cifar-cache")
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr, help=lr_help)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--resume", action="store_true")
    if bf16:
        ap.add_argument("--bf16", action="store_true",
                        help="bfloat16 autocast + channels-last (float32 master weights)")


def seeded_start(args: argparse.Namespace) -> torch.Generator:
    """Applies --threads and --seed; returns the run's generator (data order, augmentation, masks),
    which the scripts checkpoint so that --resume continues the same stream."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return torch.Generator().manual_seed(args.seed)
