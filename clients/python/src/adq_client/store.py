"""Reads a result's pixel-quantized store (``store.adqp``) without Node.

The format is ``packages/stages/src/pq-store.ts`` (versions 1 and 2; codecs raw, lossless WebP,
lossy WebP); this reader is tested bit-exact against that one. Records are decoded one at a time
(O(one image) memory beyond the file's bytes, which are memory-mapped).
"""

from __future__ import annotations

import io
import json
import mmap
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

_MAGIC = b"ADQPQ"
_CODECS = {0: "raw", 1: "webp-lossless", 2: "webp"}
STORE_VERSIONS = (1, 2)


class StoreError(ValueError):
    """The file is not a store this reader understands, or it is damaged."""


@dataclass(frozen=True)
class StoreRecord:
    """One kept image.

    ``image`` is RGB with every dropped patch zero (as the Node reader returns it); ``mask`` is a
    ``grid × grid`` boolean array, True where the patch was kept. ``id`` and ``class_name`` come
    from the result's ``manifest.json`` (None when reading a bare store file).
    """

    index: int
    label: int
    image: Image.Image
    mask: np.ndarray
    id: str | None = None
    class_name: str | None = None

    @property
    def pixels(self) -> np.ndarray:
        """The image as an H×W×3 uint8 array."""
        return np.asarray(self.image, dtype=np.uint8)


@dataclass(frozen=True)
class StoreHeader:
    version: int
    count: int
    grid: int
    channels: int
    codec: str
    quality: int


def _header(b: bytes | mmap.mmap) -> StoreHeader:
    if len(b) < 16 or b[0:5] != _MAGIC or b[6:8] != b"\0\0":
        raise StoreError("not a pixel-quantized store (bad magic)")
    version = b[5]
    if version not in STORE_VERSIONS:
        raise StoreError(
            f"pixel-quantized store format version {version} is not readable by this adq-client "
            f"(it reads versions {STORE_VERSIONS[0]}–{STORE_VERSIONS[-1]})"
        )
    count, grid, channels, codec_id, quality = struct.unpack_from("<IBBBB", b, 8)
    if version == 1:
        codec_id, quality = 0, 0
    if codec_id not in _CODECS:
        raise StoreError(f"store codec {codec_id} is unknown (this reader knows {', '.join(_CODECS.values())})")
    return StoreHeader(version, count, grid, channels, _CODECS[codec_id], quality)


def _bounds(size: int, p: int, i: int) -> tuple[int, int]:
    return (i * size) // p, ((i + 1) * size) // p


def _zero_dropped(data: np.ndarray, mask: np.ndarray, grid: int) -> None:
    h, w = data.shape[:2]
    for r in range(grid):
        y0, y1 = _bounds(h, grid, r)
        for c in range(grid):
            if not mask[r, c]:
                x0, x1 = _bounds(w, grid, c)
                data[y0:y1, x0:x1] = 0


def _index(b: bytes | mmap.mmap, hd: StoreHeader) -> list[int]:
    """The byte offset of every record (one pass over the record heads, O(count))."""
    p = hd.grid
    mask_bytes = (p * p + 7) // 8
    offsets = []
    o = 16
    for n in range(hd.count):
        head = 10 + mask_bytes + (4 if hd.version >= 2 else 0)
        if o + head > len(b):
            raise StoreError(f"store truncated at record {n}")
        offsets.append(o)
        _, _, w, h = struct.unpack_from("<IHHH", b, o)
        if hd.version >= 2:
            (length,) = struct.unpack_from("<I", b, o + 10 + mask_bytes)
        else:
            length = sum(
                (_bounds(h, p, r)[1] - _bounds(h, p, r)[0]) * (_bounds(w, p, c)[1] - _bounds(w, p, c)[0])
                for r in range(p)
                for c in range(p)
                if (b[o + 10 + ((r * p + c) >> 3)] >> ((r * p + c) & 7)) & 1
            ) * hd.channels
        o += head + length
        if o > len(b):
            raise StoreError(f"store truncated in record {n}")
    return offsets


def _record(b: bytes | mmap.mmap, hd: StoreHeader, o: int, n: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Decodes the record at offset ``o`` (the ``n``-th): index, label, H×W×C pixels, mask."""
    p = hd.grid
    mask_bytes = (p * p + 7) // 8
    index, label, w, h = struct.unpack_from("<IHHH", b, o)
    bits = np.frombuffer(b[o + 10 : o + 10 + mask_bytes], dtype=np.uint8)
    mask = np.unpackbits(bits, bitorder="little")[: p * p].reshape(p, p).astype(bool)
    o += 10 + mask_bytes
    length = 0
    if hd.version >= 2:
        (length,) = struct.unpack_from("<I", b, o)
        o += 4
    if hd.codec == "raw":
        ch = hd.channels
        if w * h * ch > len(b) * 64 + 64 * 1024 * 1024:
            raise StoreError(f"store record {n}: implausible size {w}x{h}")
        data = np.zeros((h, w, ch), dtype=np.uint8)
        for r in range(p):
            y0, y1 = _bounds(h, p, r)
            for c in range(p):
                if not mask[r, c]:
                    continue
                x0, x1 = _bounds(w, p, c)
                size = (y1 - y0) * (x1 - x0) * ch
                data[y0:y1, x0:x1] = np.frombuffer(b[o : o + size], dtype=np.uint8).reshape(y1 - y0, x1 - x0, ch)
                o += size
        return index, label, data, mask
    try:
        with Image.open(io.BytesIO(b[o : o + length])) as im:
            if im.format != "WEBP":
                raise StoreError(f"store record {n}: payload is {im.format}, not WebP")
            data = np.array(im.convert("RGB"), dtype=np.uint8)
    except StoreError:
        raise
    except Exception as e:  # Pillow raises several types for a broken image
        raise StoreError(f"store record {n}: its image does not decode ({e})") from e
    if data.shape != (h, w, 3):
        raise StoreError(f"store record {n}: image is {data.shape[1]}x{data.shape[0]}, header says {w}x{h}x3")
    _zero_dropped(data, mask, p)
    return index, label, data, mask


def store_header(path: str | os.PathLike[str]) -> StoreHeader:
    """The format version, image count, patch grid and codec of a store file."""
    with open(path, "rb") as f:
        return _header(f.read(16))


def _resolve(path: str | os.PathLike[str]) -> tuple[Path, dict[str, Any] | None]:
    p = Path(path)
    if not p.is_dir():
        return p, None
    mf = p / "manifest.json"
    if not mf.exists():
        return p / "store.adqp", None
    manifest = json.loads(mf.read_text())
    store = manifest.get("store") or {}
    return p / store.get("file", "store.adqp"), manifest


class StoreReader:
    """Random access to a store's records (``len``, ``reader[i]``, iteration), decoding one
    image per access. ``path``: a result folder (``manifest.json`` + ``store.adqp``: records
    carry their item id and class name) or a ``store.adqp`` file. The file is memory-mapped
    lazily, per process, so a reader can go to DataLoader workers."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path, self.manifest = _resolve(path)
        self.ids: dict[int, str] = {}
        self.classes: list[str] = []
        if self.manifest is not None:
            self.ids = {int(it["index"]): str(it["id"]) for it in self.manifest.get("items", [])}
            self.classes = list(self.manifest.get("dataset", {}).get("classes", []))
        with open(self.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as b:
            self.header = _header(b)
            self.offsets = _index(b, self.header)
        self._map: mmap.mmap | None = None
        self._pid = -1

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_map": None, "_pid": -1}

    def _bytes(self) -> mmap.mmap:
        if self._map is None or self._pid != os.getpid():
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self._pid = os.getpid()
        return self._map

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> StoreRecord:
        n = range(len(self.offsets))[i]
        index, label, data, mask = _record(self._bytes(), self.header, self.offsets[n], n)
        return StoreRecord(
            index=index,
            label=label,
            image=Image.fromarray(data if data.shape[2] == 3 else data[:, :, 0]),
            mask=mask,
            id=self.ids.get(index),
            class_name=self.classes[label] if label < len(self.classes) else None,
        )

    def __iter__(self) -> Iterator[StoreRecord]:
        for i in range(len(self.offsets)):
            yield self[i]

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


def read_store(path: str | os.PathLike[str]) -> Iterator[StoreRecord]:
    """Yields one :class:`StoreRecord` per kept image, in the store's order (see StoreReader)."""
    reader = StoreReader(path)
    try:
        yield from reader
    finally:
        reader.close()
