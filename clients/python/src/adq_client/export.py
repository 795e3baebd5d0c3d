"""From a downloaded result to what training code reads: a ``torch.utils.data.Dataset`` (or a
``Subset`` of the full data set), an ImageFolder tree (torchvision, Hugging Face ``imagefolder``),
WebDataset shards. torch and ``datasets`` are optional (``pip install adq-client[torch]`` /
``[hf]``); the ImageFolder and WebDataset writers need neither.

Class folders: a class that kept no image gets no folder (torchvision's ImageFolder refuses
empty ones), so folder-derived class indices then skip it; ``classes.json`` beside the folders
lists every class in the data set's order, and :func:`to_torch` keeps the manifest's labels.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from adq_client.store import StoreReader, StoreRecord


def _stem(rec: StoreRecord) -> str:
    # Item ids are `class/file.jpg` (ImageFolder) or `batch#i` (CIFAR binary): keep the file
    # stem, made unique by the data-set index.
    base = (rec.id or str(rec.index)).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in base)
    return f"{rec.index:08d}-{safe}"


def _png(rec: StoreRecord) -> bytes:
    buf = io.BytesIO()
    rec.image.save(buf, format="PNG")
    return buf.getvalue()


def export_imagefolder(result: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Writes the kept images as ``out/<class>/<index>-<name>.png`` (dropped patches black) plus
    ``classes.json``; loadable by ``torchvision.datasets.ImageFolder(out)`` and by Hugging Face
    ``load_dataset("imagefolder", data_dir=out)``. Returns ``out``."""
    reader = StoreReader(result)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    for rec in reader:
        cls = rec.class_name if rec.class_name is not None else str(rec.label)
        (root / cls).mkdir(exist_ok=True)
        (root / cls / f"{_stem(rec)}.png").write_bytes(_png(rec))
    (root / "classes.json").write_text(json.dumps(reader.classes))
    reader.close()
    return root


def export_webdataset(
    result: str | os.PathLike[str], out: str | os.PathLike[str], shard_size: int = 1000
) -> list[Path]:
    """Writes WebDataset shards ``out/shard-000000.tar``…: per image ``<key>.png``,
    ``<key>.cls`` (the label) and ``<key>.json`` (id, index, class, kept-patch mask). Entries
    carry no times or owners, so the same result gives the same bytes. Returns the shards."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    shards: list[Path] = []
    tar: tarfile.TarFile | None = None

    def add(name: str, data: bytes) -> None:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = 0o644
        assert tar is not None
        tar.addfile(ti, io.BytesIO(data))

    reader = StoreReader(result)
    try:
        for n, rec in enumerate(reader):
            if n % shard_size == 0:
                if tar is not None:
                    tar.close()
                shards.append(root / f"shard-{len(shards):06d}.tar")
                tar = tarfile.open(shards[-1], "w", format=tarfile.USTAR_FORMAT)
            key = f"{rec.index:08d}"
            add(f"{key}.png", _png(rec))
            add(f"{key}.cls", str(rec.label).encode())
            meta = {"id": rec.id, "index": rec.index, "label": rec.label, "class": rec.class_name,
                    "mask": rec.mask.astype(int).tolist()}
            add(f"{key}.json", json.dumps(meta).encode())
    finally:
        if tar is not None:
            tar.close()
        reader.close()
    return shards


def to_torch(
    result: str | os.PathLike[str],
    transform: Callable[[Any], Any] | None = None,
    target_transform: Callable[[int], Any] | None = None,
) -> Any:
    """A map-style ``torch.utils.data.Dataset`` of ``(image, label)`` over the result's store:
    PIL images (``transform`` makes tensors), the manifest's labels. Images decode on access;
    the dataset pickles to DataLoader workers."""
    from torch.utils.data import Dataset

    class AdqStoreDataset(Dataset):  # type: ignore[type-arg]
        def __init__(self) -> None:
            self.reader = StoreReader(result)
            self.classes = self.reader.classes
            self.transform = transform
            self.target_transform = target_transform

        def __len__(self) -> int:
            return len(self.reader)

        def __getitem__(self, i: int) -> tuple[Any, Any]:
            rec = self.reader[i]
            img: Any = rec.image
            label: Any = rec.label
            if self.transform is not None:
                img = self.transform(img)
            if self.target_transform is not None:
                label = self.target_transform(label)
            return img, label

    return AdqStoreDataset()


def to_subset(full: Any, result: str | os.PathLike[str]) -> Any:
    """``torch.utils.data.Subset`` of a torchvision ``ImageFolder`` over the original data set,
    holding the kept items (whole original images, e.g. to train without patch dropping).
    Items are matched by their id (``class/file`` relative to the ImageFolder root)."""
    from torch.utils.data import Subset

    manifest = StoreReader(result).manifest or json.loads((Path(result) / "manifest.json").read_text())
    root = Path(full.root)
    by_id = {str(Path(path).relative_to(root)).replace(os.sep, "/"): i for i, (path, _) in enumerate(full.samples)}
    missing = [it["id"] for it in manifest["items"] if it["id"] not in by_id]
    if missing:
        raise KeyError(f"{len(missing)} kept items are not in {root} (first: {missing[0]})")
    return Subset(full, [by_id[it["id"]] for it in manifest["items"]])


def to_hf_dataset(result: str | os.PathLike[str], cache_dir: str | os.PathLike[str]) -> Any:
    """A Hugging Face ``datasets.Dataset`` (columns ``image``, ``label``) via the ``imagefolder``
    builder over :func:`export_imagefolder`'s tree in ``cache_dir``."""
    import datasets

    folder = export_imagefolder(result, Path(cache_dir) / "imagefolder")
    return datasets.load_dataset("imagefolder", data_dir=str(folder), split="train")


def iter_records(results: Iterable[str | os.PathLike[str]]) -> Iterable[StoreRecord]:
    """Every record of several results, in order."""
    for r in results:
        reader = StoreReader(r)
        try:
            yield from reader
        finally:
            reader.close()


def extract_reconstructed(result: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Extracts a result's ``reconstructed.tar`` (a job created with ``reconstruct=True``: the
    kept images with dropped patches filled by the server's MAE) into ``out``, an ImageFolder
    torchvision and Hugging Face ``imagefolder`` load. Only plain relative files and folders are
    accepted. Returns ``out``."""
    src = Path(result) / "reconstructed.tar"
    if not src.exists():
        raise FileNotFoundError(f"{src} is missing: create the job with reconstruct=True")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(src) as tar:
        for m in tar.getmembers():
            parts = Path(m.name).parts
            if Path(m.name).is_absolute() or ".." in parts or not (m.isfile() or m.isdir()):
                raise ValueError(f"{src}: refusing entry {m.name!r}")
            target = root / m.name
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            f = tar.extractfile(m)
            assert f is not None
            target.write_bytes(f.read())
    return root
