"""Stochastic weight averaging (Izmailov et al. 2018) on top of a trained ResNet-20 checkpoint.

Usage: /usr/bin/python3 models/scripts/swa_resnet20.py --data <cifar10 ImageFolder root>
         --init /tmp/resnet20.pt --epochs 45 --lr 0.05 --bf16 --out /tmp/resnet20-swa.pt
Continues SGD from the trained weights at a constant learning rate (same optimiser, weight decay,
augmentation and precision as train_resnet20.py) and averages the weights at the end of every
epoch; batch-norm statistics of the average are then recomputed over the training split, since
averaged weights do not match any model's running statistics. Why: a second budget spent this way
reaches a wider optimum than more of the one-cycle schedule, for the same CPU time.
The output checkpoint has the layout export_resnet20.py reads (history = the initial run's epochs
followed by these), so `export_resnet20.py --ckpt <out>` exports the averaged model.
A checkpoint is written after every epoch, so --resume continues an interrupted run.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from cifar_cache import load_split  # noqa: E402
from resnet20 import ResNet20  # noqa: E402
from train_common import add_common_args, seeded_start  # noqa: E402
from train_resnet20 import augment, evaluate, make_optimizer, to_input, train_epoch  # noqa: E402


@torch.no_grad()
def recompute_bn(net: ResNet20, xtr: torch.Tensor, gen: torch.Generator, batch: int = 500) -> None:
    """Cumulative (momentum=None) batch-norm statistics over one augmented pass of the train split, in float32."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    perm = torch.randperm(len(xtr), generator=gen)
    for i in range(0, len(xtr), batch):
        net(to_input(augment(xtr[perm[i : i + batch]], gen)))
    for m in bns:
        m.momentum = 0.1
    net.eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    add_common_args(ap, data=None, epochs=45, batch=128, lr=0.05, seed=1, lr_help="constant SWA learning rate",
                    bf16=True)
    ap.add_argument("--init", required=True, help="checkpoint of a finished train_resnet20.py run")
    ap.add_argument("--eval-every", type=int, default=5, help="report the average's test accuracy every k epochs")
    ap.add_argument("--out", default="/tmp/resnet20-swa.pt")
    args = ap.parse_args()

    gen = seeded_start(args)
    init = torch.load(args.init, map_location="cpu")
    xtr, ytr, classes = load_split(args.data, "train", args.cache)
    xte, yte, _ = load_split(args.data, "test", args.cache)
    assert list(init["classes"]) == classes, (init["classes"], classes)

    net = ResNet20(len(classes))
    net.load_state_dict(init["model"])
    if args.bf16:
        net = net.to(memory_format=torch.channels_last)
    opt = make_optimizer(net, args.lr)
    avg = copy.deepcopy(net).to(memory_format=torch.contiguous_format)  # running mean of the weights
    n_avg = 0
    start_epoch = 0
    history: list[dict] = list(init.get("history", []))
    base_epochs = int(init.get("epoch", len(history)))
    if args.resume and os.path.exists(args.out):
        ck = torch.load(args.out, map_location="cpu")
        net.load_state_dict(ck["train_model"])
        avg.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"])
        n_avg, start_epoch, history = ck["n_avg"], ck["swa_epoch"], ck["history"]

    xtr_t, ytr_t = torch.from_numpy(xtr), torch.from_numpy(ytr)
    t_start = time.time()
    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        loss = train_epoch(net, opt, None, xtr_t, ytr_t, args.batch, args.bf16, gen)
        # Equal-weight running mean over the epoch-end weights: avg += (w - avg) / (n + 1).
        with torch.no_grad():
            for pa, pn in zip(avg.parameters(), net.parameters()):
                pa.add_(pn.detach() - pa, alpha=1.0 / (n_avg + 1))
        n_avg += 1
        entry = {"epoch": base_epochs + epoch + 1, "swa_epoch": epoch + 1, "loss": loss,
                 "test_acc_sgd": evaluate(net, xte, yte)}
        last = epoch + 1 == args.epochs
        if last or (epoch + 1) % args.eval_every == 0:
            # The BN pass draws from its own generator so evaluation does not perturb training's stream.
            recompute_bn(avg, xtr_t, torch.Generator().manual_seed(args.seed + 1000))
            entry["test_acc"] = evaluate(avg, xte, yte)
        entry["seconds"] = time.time() - t0
        history.append(entry)
        print(json.dumps(entry), flush=True)
        torch.save(
            {"model": avg.state_dict(), "train_model": net.state_dict(), "opt": opt.state_dict(),
             "gen": gen.get_state(), "n_avg": n_avg, "swa_epoch": epoch + 1, "epoch": base_epochs + epoch + 1,
             "history": history, "classes": classes, "mean": init["mean"], "std": init["std"],
             "args": {**init.get("args", {}), "swa_epochs": args.epochs, "swa_lr": args.lr, "swa_seed": args.seed,
                      "swa_init_epochs": base_epochs}},
            args.out,
        )
    print(json.dumps({"done": True, "final_test_acc": history[-1].get("test_acc"),
                      "wall_seconds": time.time() - t_start}))


if __name__ == "__main__":
    main()
