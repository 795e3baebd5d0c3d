"""A real `adq serve` (the repository's, on a free loopback port) and a small ImageFolder for the
whole session; the server is stopped at the end."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adq_client import Client

REPO = Path(__file__).resolve().parents[3]
KEY = "python-client-test-key"
CLASSES = ["airplane", "automobile", "bird"]
PER_CLASS = 8


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def dataset(data_root: Path) -> Path:
    """3 classes × 8 real CIFAR-10 demo images, as an ImageFolder under the server's data root."""
    out = data_root / "demo3"
    src = REPO / "demo" / "cifar10-demo"
    for c in CLASSES:
        (out / c).mkdir(parents=True)
        for f in sorted(os.listdir(src / c))[:PER_CLASS]:
            shutil.copy(src / c / f, out / c / f)
    return out


@pytest.fixture(scope="session")
def server(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cache = tmp_path_factory.mktemp("cache")
    proc = subprocess.Popen(
        [
            "node", str(REPO / "bin" / "adq.mjs"), "serve", "--port", "0", "--data-root", str(data_root),
            "--cache-dir", str(cache), "--threads", "1",
        ],
        cwd=REPO,
        env={**os.environ, "ADQ_API_KEY": KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err: list[str] = []
    threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
    address = None
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"listening on (\S+)", line)
        if m:
            address = m.group(1)
            break
    if address is None:
        proc.kill()
        pytest.fail("adq serve did not start:\n" + "".join(err))
    yield address
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    if os.environ.get("ADQ_TEST_SERVER_LOG"):
        sys.stderr.write("".join(err))


@pytest.fixture(scope="session")
def client(server: str) -> Iterator[Client]:
    with Client(server, api_key=KEY) as c:
        yield c


@pytest.fixture(scope="session")
def result(client: Client, dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished job's downloaded result: default codec, patches dropped."""
    job = client.compress(f"file://{dataset}", ratio=0.5, method="random", drop=0.25, seed=3, progress=False)
    return client.download(job.id, tmp_path_factory.mktemp("res") / "result")
