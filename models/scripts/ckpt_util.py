"""Checkpoint helpers shared by the export and fixture scripts.

Checkpoint loading tolerates a trainer writing the same file concurrently.

torch.save is not atomic: the trainer may be rewriting the checkpoint while we read it.
We copy it once its size/mtime are stable, then load the copy; a torn copy is retried.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time

import numpy as np
import torch

from resnet20 import ResNet20


def load_checkpoint_safely(path: str, attempts: int = 10) -> dict:
    last_err: Exception | None = None
    for _ in range(attempts):
        st1 = os.stat(path)
        time.sleep(1.0)
        st2 = os.stat(path)
        if (st1.st_size, st1.st_mtime_ns) != (st2.st_size, st2.st_mtime_ns):
            continue
        fd, tmp = tempfile.mkstemp(suffix=".pt")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            st3 = os.stat(path)
            if (st3.st_size, st3.st_mtime_ns) != (st2.st_size, st2.st_mtime_ns):
                continue
            return torch.load(tmp, map_location="cpu")
        except Exception as err:  # torn read: retry
            last_err = err
        finally:
            os.unlink(tmp)
    raise RuntimeError(f"could not read a consistent checkpoint from {path}: {last_err}")


def load_net(ckpt: dict) -> ResNet20:
    net = ResNet20(len(ckpt["classes"]))
    net.load_state_dict(ckpt["model"])
    net.eval()
    return net


def normalise(x_u8: np.ndarray, mean, std) -> torch.Tensor:
    """uint8 NHWC -> float NCHW, x/255 then (x-mean)/std per channel (the model's input contract)."""
    x = torch.from_numpy(x_u8).permute(0, 3, 1, 2).float().div(255.0)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
