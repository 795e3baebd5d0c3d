"""Post-training int8 quantization of the committed ResNet-20 feature model.

Static QDQ quantization with ONNX Runtime's tooling: int8 per-channel weights, uint8
activations calibrated (MinMax) on 1,000 training images (every 50th, so all classes), the
model's four float outputs and metadata kept, so the result satisfies the same feature-model
contract and drops into `adq compress --model`. ONNX Runtime runs the quantized convolutions
with integer kernels (VNNI on CPUs that have it), several times faster than float32.

Needs `pip install onnxruntime onnx numpy` (PyPI; tooling only, nothing at runtime) and the
uint8 CIFAR-10 cache of cifar_cache.py:

    python models/scripts/quantize_resnet20.py --cache /tmp/cifar-cache \
        [--model models/resnet20-cifar10.onnx] [--out models/resnet20-cifar10-int8.onnx]

Prints the test accuracy of both models on the 10,000 test images, their top-1 agreement and
the cosine similarity of their embeddings, and records the int8 accuracy in the metadata.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)


def metadata(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def preprocess(x: np.ndarray, mean: list[float], std: list[float]) -> np.ndarray:
    """uint8 NHWC -> normalised float32 NCHW, as the feature stage feeds the model."""
    f = x.astype(np.float32) / 255.0
    f = (f - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(f.transpose(0, 3, 1, 2))


class Calibration(CalibrationDataReader):
    def __init__(self, x: np.ndarray, batch: int = 50) -> None:
        self.x = x
        self.batch = batch
        self.i = 0

    def get_next(self):  # noqa: ANN201 (ORT's interface)
        if self.i >= len(self.x):
            return None
        out = {"images": self.x[self.i : self.i + self.batch]}
        self.i += self.batch
        return out


def evaluate(path: str, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    logits, emb = [], []
    for i in range(0, len(x), 500):
        lo, e = s.run(["logits", "embedding"], {"images": x[i : i + 500]})
        logits.append(lo)
        emb.append(e)
    lo = np.concatenate(logits)
    return float((lo.argmax(1) == y).mean()), lo.argmax(1), np.concatenate(emb)


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    models = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(models, "resnet20-cifar10.onnx"))
    ap.add_argument("--out", default=os.path.join(models, "resnet20-cifar10-int8.onnx"))
    ap.add_argument("--cache", required=True, help="cifar_cache.py output (train_x.npy, test_x.npy, ...)")
    ap.add_argument("--calib", type=int, default=1000)
    args = ap.parse_args()

    src = onnx.load(args.model)
    meta = metadata(src)
    mean = [float(v) for v in meta["adq.normalize.mean"].split(",")]
    std = [float(v) for v in meta["adq.normalize.std"].split(",")]
    train_x = np.load(os.path.join(args.cache, "train_x.npy"))
    step = max(1, len(train_x) // args.calib)
    calib = preprocess(train_x[::step][: args.calib], mean, std)

    tmp = args.out + ".tmp.onnx"
    quantize_static(
        args.model,
        tmp,
        Calibration(calib),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        op_types_to_quantize=["Conv", "Gemm", "Add", "Relu"],
    )

    test_x = preprocess(np.load(os.path.join(args.cache, "test_x.npy")), mean, std)
    test_y = np.load(os.path.join(args.cache, "test_y.npy"))
    acc32, pred32, emb32 = evaluate(args.model, test_x, test_y)
    acc8, pred8, emb8 = evaluate(tmp, test_x, test_y)
    cos = (emb32 * emb8).sum(1) / (np.linalg.norm(emb32, axis=1) * np.linalg.norm(emb8, axis=1) + 1e-12)

    q = onnx.load(tmp)
    del q.metadata_props[:]
    head = os.path.basename(args.out).replace(".onnx", ".head.json")
    for k, v in meta.items():
        if k == "adq.test_accuracy":
            v = f"{acc8:.4f}"
        elif k == "adq.head":
            v = head
        elif k == "adq.training":
            v = f"int8 post-training quantization (static QDQ, per-channel, {args.calib} calibration images) of {os.path.basename(args.model)}: {v}"
        q.metadata_props.add(key=k, value=v)
    onnx.save(q, args.out)
    os.remove(tmp)
    # CAM reads the classifier head from the sidecar: the float head of the source model.
    src_head = os.path.join(os.path.dirname(args.model), meta["adq.head"])
    shutil.copyfile(src_head, os.path.join(os.path.dirname(args.out), head))

    print(
        json.dumps(
            {
                "fp32_test_accuracy": round(acc32, 4),
                "int8_test_accuracy": round(acc8, 4),
                "top1_agreement": round(float((pred32 == pred8).mean()), 4),
                "embedding_cosine_mean": round(float(cos.mean()), 4),
                "embedding_cosine_min": round(float(cos.min()), 4),
                "bytes": os.path.getsize(args.out),
            }
        )
    )


if __name__ == "__main__":
    main()
