"""adq_client.read_store is bit-exact with the Node reader (packages/stages/src/pq-store.ts) on
every codec, and refuses damaged files with a precise error."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from adq_client import Client, StoreError, StoreReader, read_store, store_header

from .conftest import REPO


def node_view(store: Path) -> list[dict]:
    out = subprocess.run(
        ["node", str(Path(__file__).with_name("node_store_dump.mjs")), str(store)],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("codec", ["webp", "webp-lossless", "raw"])
def test_bit_exact_with_node(client: Client, dataset: Path, tmp_path: Path, codec: str) -> None:
    job = client.compress(f"file://{dataset}", ratio=0.5, method="random", drop=0.25, seed=1,
                          store_codec=codec, progress=False)
    res = client.download(job.id, tmp_path / "r")
    assert store_header(res / "store.adqp").codec == codec
    node = node_view(res / "store.adqp")
    ours = list(read_store(res))
    manifest = json.loads((res / "manifest.json").read_text())
    assert len(ours) == len(node) == manifest["selected"] == 12
    for n, r in zip(node, ours, strict=True):
        assert (r.index, r.label, r.image.size) == (n["index"], n["label"], (n["width"], n["height"]))
        assert hashlib.sha256(r.pixels.tobytes()).hexdigest() == n["sha256"], f"record {r.index}"
        assert r.mask.flatten().astype(int).tolist() == n["mask"]
    # ids and classes come from the manifest; some patches were dropped and are black.
    assert [r.id for r in ours] == [it["id"] for it in manifest["items"]]
    assert ours[0].class_name == manifest["dataset"]["classes"][ours[0].label]
    r0 = ours[0]
    assert not r0.mask.all()
    r, c = map(int, np.argwhere(~r0.mask)[0])
    assert not r0.pixels[r * 4 : r * 4 + 4, c * 4 : c * 4 + 4].any()


def test_random_access_matches_iteration(result: Path) -> None:
    reader = StoreReader(result)
    recs = list(read_store(result))
    assert len(reader) == len(recs)
    assert np.array_equal(reader[-1].pixels, recs[-1].pixels)
    assert reader[3].id == recs[3].id


def test_damaged_stores_are_refused(result: Path, tmp_path: Path) -> None:
    data = (result / "store.adqp").read_bytes()
    (tmp_path / "bad.adqp").write_bytes(b"NOTASTORE" + data[9:])
    with pytest.raises(StoreError, match="bad magic"):
        list(read_store(tmp_path / "bad.adqp"))
    (tmp_path / "cut.adqp").write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="truncated"):
        list(read_store(tmp_path / "cut.adqp"))
    future = bytearray(data)
    future[5] = 9
    (tmp_path / "v9.adqp").write_bytes(bytes(future))
    with pytest.raises(StoreError, match="version 9 is not readable"):
        list(read_store(tmp_path / "v9.adqp"))
