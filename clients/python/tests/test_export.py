"""From a result to training code: torch Dataset and Subset, ImageFolder (torchvision loads it,
empty classes included), WebDataset shards."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from adq_client import Client, export_imagefolder, export_webdataset, read_store, to_subset, to_torch

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")


def test_torch_dataset_trains_a_torchvision_model(result: Path) -> None:
    from torchvision import transforms

    ds = to_torch(result, transform=transforms.ToTensor())
    recs = list(read_store(result))
    assert len(ds) == len(recs) == 12
    img, label = ds[0]
    assert tuple(img.shape) == (3, 32, 32) and label == recs[0].label
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
    model = torchvision.models.resnet18(num_classes=len(ds.classes))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen = 0
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert torch.isfinite(loss)
        seen += len(y)
    assert seen == 12


def test_subset_of_the_original_imagefolder(result: Path, dataset: Path) -> None:
    full = torchvision.datasets.ImageFolder(str(dataset))
    sub = to_subset(full, result)
    manifest = json.loads((result / "manifest.json").read_text())
    assert len(sub) == manifest["selected"]
    assert [full.targets[i] for i in sub.indices] == [it["label"] for it in manifest["items"]]


def test_imagefolder_export_loads_in_torchvision_with_empty_classes(client: Client, dataset: Path, tmp_path: Path) -> None:
    # ρ = 1/24: one image kept, two classes kept none.
    job = client.compress(f"file://{dataset}", ratio=1 / 24, method="random", seed=0, progress=False)
    res = client.download(job.id, tmp_path / "r")
    assert sorted(json.loads((res / "manifest.json").read_text())["perClass"]) == [0, 0, 1]
    out = export_imagefolder(res, tmp_path / "folder")
    folder = torchvision.datasets.ImageFolder(str(out))
    assert len(folder) == 1
    assert json.loads((out / "classes.json").read_text()) == ["airplane", "automobile", "bird"]
    img, _ = folder[0]
    assert img.size == (32, 32)


def test_webdataset_shards(result: Path, tmp_path: Path) -> None:
    shards = export_webdataset(result, tmp_path / "wds", shard_size=5)
    assert [s.name for s in shards] == ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    names = [n for s in shards for n in tarfile.open(s).getnames()]
    assert len(names) == 3 * 12
    recs = list(read_store(result))
    with tarfile.open(shards[0]) as t:
        meta = json.loads(t.extractfile(f"{recs[0].index:08d}.json").read())  # type: ignore[union-attr]
        assert meta["id"] == recs[0].id and meta["label"] == recs[0].label
    again = export_webdataset(result, tmp_path / "wds2", shard_size=5)
    assert [a.read_bytes() for a in again] == [s.read_bytes() for s in shards]
    wds = pytest.importorskip("webdataset")
    samples = list(wds.WebDataset([str(s) for s in shards], shardshuffle=False).decode("pil").to_tuple("png", "cls"))
    assert len(samples) == 12 and int(samples[0][1]) == recs[0].label
