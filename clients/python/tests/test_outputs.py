"""Results without Node: outputs.reconstruct (an ImageFolder tar of the MAE's reconstructions)
and outputs.keep_intermediates, served by the gateway."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from adq_client import Client, extract_reconstructed, read_store

torchvision = pytest.importorskip("torchvision")


def test_reconstructed_imagefolder_and_intermediates(client: Client, dataset: Path, tmp_path: Path) -> None:
    job = client.compress(f"file://{dataset}", ratio=0.5, method="dq", bins=2, drop=0.25, seed=2,
                          store_codec="webp-lossless", reconstruct=True, keep_intermediates=True, progress=False)
    from adq_client import compression_service_pb2 as pb

    from adq_client import common_pb2

    rec_stage = next(s for s in job.stages if s.stage == common_pb2.STAGE_RECONSTRUCT)
    assert pb.StageState.Name(rec_stage.state) == "STAGE_STATE_SUCCEEDED"
    assert (rec_stage.done, rec_stage.total, rec_stage.unit) == (12, 12, "images")
    res = client.result(job.id)
    names = [f.name for f in res.files]
    assert "reconstructed.tar" in names and res.reconstructed.sha256
    assert {"intermediates/labels.npy", "intermediates/embeddings.npy", "intermediates/bins/class-0.json"} <= set(names)
    out = client.download(job.id, tmp_path / "res")
    assert np.load(out / "intermediates" / "labels.npy").shape == (24,)
    folder = extract_reconstructed(out, tmp_path / "images")
    ds = torchvision.datasets.ImageFolder(str(folder))
    assert len(ds) == 12 and ds.classes == ["airplane", "automobile", "bird"]
    # Kept pixels are the store's exactly (lossless codec); dropped ones are the MAE's guess.
    recs = {r.index: r for r in read_store(out)}
    for path, _ in ds.samples[:4]:
        index = int(Path(path).name.split("-")[0])
        r = recs[index]
        px = np.asarray(Image.open(path).convert("RGB"))
        keep = np.kron(r.mask, np.ones((4, 4), dtype=bool))
        assert np.array_equal(px[keep], r.pixels[keep])
        assert px[~keep].any()  # filled, not black


def test_reconstruction_with_empty_classes_loads_in_torchvision(client: Client, dataset: Path, tmp_path: Path) -> None:
    job = client.compress(f"file://{dataset}", ratio=1 / 24, method="random", drop=0.25, seed=0,
                          reconstruct=True, progress=False)
    out = client.download(job.id, tmp_path / "res", files=["manifest.json", "reconstructed.tar"])
    with tarfile.open(out / "reconstructed.tar") as t:
        dirs = sorted(m.name for m in t.getmembers() if m.isdir())
    assert len(dirs) == 1  # one class kept an image: one folder, no empty ones
    folder = extract_reconstructed(out, tmp_path / "images")
    assert len(torchvision.datasets.ImageFolder(str(folder))) == 1
    assert json.loads((folder / "classes.json").read_text()) == ["airplane", "automobile", "bird"]


def test_a_bad_mae_is_refused_at_create(client: Client, dataset: Path) -> None:
    from adq_client import AdqError

    with pytest.raises(AdqError) as e:
        client.create_job(f"file://{dataset}", ratio=0.5, reconstruct=True, mae_model="builtin://nope")
    assert e.value.field_violations[0].field == "params.mae_model.uri"
    assert "mae-cifar10" in e.value.message
