"""Export a trained CIFAR ResNet-20 checkpoint to ONNX (ADQ feature-model/v1 contract).

Usage:
  /usr/bin/python3 models/scripts/export_resnet20.py --ckpt /tmp/resnet20.pt \
      [--cache /tmp/cifar-cache] [--data /tmp/cifar/cifar10] \
      [--out models/resnet20-cifar10.onnx] [--head models/resnet20-cifar10.head.json] \
      [--fixture test/fixtures/cifar8]

Writes
  * the ONNX model: input `images` float32 [N,3,32,32] (already normalised by the caller:
    x/255 then (x-mean)/std per channel), outputs `embedding` [N,64], `logits` [N,10],
    `feature_map` [N,64,8,8], `pooled` [N,48]; dynamic batch axis; opset 17;
    metadata_props adq.* (contract, normalisation, class names, test accuracy, training);
  * a sidecar JSON with the final linear layer ({weight: [10][64], bias: [10]}) used for
    CAM = ReLU(sum_k W[c,k] * feature_map[k]) (constants, so not graph outputs).
It also rewrites the inference fixture (make_fixture.write_fixture) from the SAME checkpoint,
so model and fixture always agree. The test accuracy is measured here with the PyTorch model on the full CIFAR-10 test split.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(__file__))
from cifar_cache import load_split  # noqa: E402
from ckpt_util import load_checkpoint_safely, load_net, normalise  # noqa: E402
from make_fixture import write_fixture  # noqa: E402
from onnx_util import save_with_metadata  # noqa: E402
from resnet20 import ContractWrapper, ResNet20  # noqa: E402

OUTPUTS = ["embedding", "logits", "feature_map", "pooled"]


@torch.no_grad()
def test_accuracy(net: ResNet20, x: np.ndarray, y: np.ndarray, mean, std) -> float:
    correct = 0
    for i in range(0, len(x), 500):
        logits = net(normalise(x[i : i + 500], mean, std))
        correct += int((logits.argmax(1).numpy() == y[i : i + 500]).sum())
    return correct / len(x)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="/tmp/resnet20.pt")
    ap.add_argument("--data", default="/tmp/cifar/cifar10")
    ap.add_argument("--cache", default="/tmp/cifar-cache")
    ap.add_argument("--out", default="models/resnet20-cifar10.onnx")
    ap.add_argument("--head", default="models/resnet20-cifar10.head.json")
    ap.add_argument("--fixture", default="test/fixtures/cifar8",
                    help="also (re)write the inference fixture from the same checkpoint; '' to skip")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    ckpt = load_checkpoint_safely(args.ckpt)
    net = load_net(ckpt)
    classes, mean, std = list(ckpt["classes"]), list(ckpt["mean"]), list(ckpt["std"])
    history = ckpt.get("history", [])
    epochs_done = ckpt.get("epoch", len(history))

    xte, yte, test_classes = load_split(args.data, "test", args.cache)
    assert test_classes == classes, (test_classes, classes)
    acc = test_accuracy(net, xte, yte, mean, std)
    train_secs = sum(h.get("seconds", 0.0) for h in history)
    targs = ckpt.get("args", {})  # the training run's flags (checkpoints of older runs lack them)
    precision = ", bfloat16 autocast (float32 weights)" if targs.get("bf16") else ""
    swa, swa_script = "", ""
    if "swa_epochs" in targs:  # a swa_resnet20.py checkpoint: the averaged continuation of a run
        swa = (f"then {targs['swa_epochs']} epochs of SWA at constant LR {targs['swa_lr']} "
               f"(weights averaged per epoch, BN recomputed), ")
        swa_script = " + swa_resnet20.py"

    wrapper = ContractWrapper(net).eval()
    dummy = torch.zeros(2, 3, 32, 32)
    dyn = {"images": {0: "N"}, **{name: {0: "N"} for name in OUTPUTS}}
    torch.onnx.export(
        wrapper, dummy, args.out, opset_version=17, input_names=["images"], output_names=OUTPUTS,
        dynamic_axes=dyn, do_constant_folding=True,
    )

    model = onnx.load(args.out)
    meta = {
        "adq.contract": "feature-model/v1",
        "adq.normalize.mean": ",".join(repr(float(m)) for m in mean),
        "adq.normalize.std": ",".join(repr(float(s)) for s in std),
        "adq.input.size": "32",
        "adq.input.range": "0-1 then (x-mean)/std",
        "adq.class_names": json.dumps(classes),
        "adq.test_accuracy": f"{acc:.4f}",
        "adq.training": (
            f"CIFAR ResNet-20 trained from scratch on the CIFAR-10 train split (50k), "
            f"{targs.get('swa_init_epochs', epochs_done)} epochs, "
            f"SGD nesterov momentum 0.9 wd 5e-4, one-cycle LR max {targs.get('lr', 0.2)}, "
            f"batch {targs.get('batch', 128)}, crop(pad 4)+flip{precision}, seed {targs.get('seed', 0)}, "
            f"{swa}CPU {train_secs / 60:.0f} min; models/scripts/train_resnet20.py{swa_script}"
        ),
        "adq.head": os.path.basename(args.head),
    }
    save_with_metadata(model, meta, "ADQ default feature model (CIFAR ResNet-20), contract feature-model/v1", args.out)

    head = {
        "weight": [[float(v) for v in row] for row in net.fc.weight.detach().numpy().astype(np.float64)],
        "bias": [float(v) for v in net.fc.bias.detach().numpy().astype(np.float64)],
    }
    with open(args.head, "w") as f:
        json.dump(head, f, separators=(",", ":"))
        f.write("\n")

    fixture = write_fixture(ckpt, args.data, args.fixture) if args.fixture else None

    print(json.dumps({
        "fixture": fixture, "onnx": args.out, "bytes": os.path.getsize(args.out), "head": args.head,
        "epochs": epochs_done, "test_accuracy": acc, "train_seconds": round(train_secs, 1),
    }))


if __name__ == "__main__":
    main()
