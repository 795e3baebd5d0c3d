"""The client against a real `adq serve`: health, uploads, jobs with progress, watch, cancel,
download, and errors with their standard details."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import time
from pathlib import Path

import grpc
import pytest

import adq_client
from adq_client import AdqError, Client, JobFailed, read_store


def test_version_follows_the_protos() -> None:
    assert adq_client.API_PACKAGE == "adq.v1"
    assert adq_client.__version__.split(".")[0] == adq_client.API_PACKAGE.split(".v")[1]
    assert re.fullmatch(r"[0-9a-f]{64}", adq_client.PROTO_SHA256)


def test_health(client: Client) -> None:
    assert client.health() == "SERVING"
    assert client.health("adq.v1.CompressionService") == "SERVING"


def test_upload_compress_download(client: Client, dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = client.upload(dataset)
    assert uri.startswith("artifact://uploads/")
    assert client.upload(dataset) == uri  # the same folder uploads the same bytes: one upload
    job = client.compress(uri, ratio=0.25, method="random", seed=1, labels={"run": "pytest"})
    assert adq_client.common_pb2.JobState.Name(job.state) == "JOB_STATE_SUCCEEDED"
    assert dict(job.labels) == {"run": "pytest"}
    out = client.download(job.id, tmp_path / "res")
    assert sorted(p.name for p in out.iterdir()) == ["bins.json", "manifest.json", "report.html", "store.adqp"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["selected"] == 6 and manifest["params"]["seed"] == 1
    assert len(list(read_store(out))) == 6
    # No temporary folder is left beside the result; a second download needs overwrite.
    assert [p.name for p in out.parent.iterdir()] == ["res"]
    with pytest.raises(FileExistsError):
        client.download(job.id, out)
    # Determinism: the same data set, parameters and seed give the same manifest.
    again = client.download(client.compress(uri, ratio=0.25, method="random", seed=1, progress=False).id, tmp_path / "b")
    assert (again / "manifest.json").read_bytes() == (out / "manifest.json").read_bytes()


def test_a_local_folder_or_tar_gz_is_uploaded_first(client: Client, dataset: Path, tmp_path: Path) -> None:
    archive = tmp_path / "ds.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for p in sorted(dataset.rglob("*.jpg")):
            tar.add(p, arcname=str(p.relative_to(dataset)))
    job = client.compress(str(archive), ratio=0.25, method="random", progress=False)
    assert job.dataset.uri.startswith("artifact://uploads/")
    assert job.dataset_summary.num_items == 24


def test_the_same_files_in_another_tar_gz_are_one_upload(client: Client, dataset: Path, tmp_path: Path) -> None:
    # tarfile's "w:gz" stamps the time into the gzip header, so archives of the same files differ
    # in their bytes; the server names an upload by its files (paths and SHA-256s), not its bytes.
    files = sorted(dataset.rglob("*.jpg"))
    a = tmp_path / "a.tar.gz"
    with tarfile.open(a, "w:gz") as tar:
        for p in files:
            tar.add(p, arcname=str(p.relative_to(dataset)))
    b = tmp_path / "b.tar.gz"
    with gzip.GzipFile(b, "wb", mtime=1) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for p in reversed(files):  # another entry order and tar format too
            tar.add(p, arcname=str(p.relative_to(dataset)))
    assert a.read_bytes() != b.read_bytes()
    uri = client.upload(a)
    assert client.upload(b) == uri
    # One changed byte in one file: another upload.
    c = tmp_path / "c.tar.gz"
    with tarfile.open(c, "w:gz") as tar:
        for i, p in enumerate(files):
            data = bytearray(p.read_bytes())
            if i == 0:
                data[-10] ^= 1
            info = tarfile.TarInfo(str(p.relative_to(dataset)))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(bytes(data)))
    assert client.upload(c) != uri


def test_progress_bars_and_watch(client: Client, dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = client.compress(f"file://{dataset}", ratio=0.25, method="dq", bins=2, seed=0, progress=True)
    err = capsys.readouterr().err
    for stage in ("features", "binning", "sampling"):
        assert stage in err, err
    kinds = [ev.WhichOneof("event") for ev in client.watch(job.id)]
    assert kinds[0] == "snapshot" and kinds[-1] == "terminal"


def test_cancel(client: Client, dataset: Path) -> None:
    # CCS on the general backbone: long enough on 24 images to be cancelled while queued or running.
    job = client.compress(f"file://{dataset}", ratio=0.5, wait=False)
    state = adq_client.common_pb2.JobState.Name(client.cancel(job.id, reason="test").state)
    if state == "JOB_STATE_SUCCEEDED":  # pragma: no cover - the job beat the cancel
        pytest.skip("the job finished before the cancel reached it")
    assert state in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    with pytest.raises(JobFailed) as e:
        client.wait(job.id)
    assert e.value.state == "CANCELLED"


def test_errors_carry_reasons_and_field_violations(client: Client, dataset: Path, server: str) -> None:
    with pytest.raises(AdqError) as e:
        client.create_job(f"file://{dataset}", ratio=1.5)
    err = e.value
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message == "params.ratio: must be in (0, 1], got 1.5"
    assert err.reason == "INVALID_ARGUMENT"
    assert [(v.field, v.description) for v in err.field_violations] == [("params.ratio", "must be in (0, 1], got 1.5")]
    assert err.retry_delay is None
    assert err.details is not None and err.details.code == "INVALID_ARGUMENT"

    with pytest.raises(AdqError) as e:
        client.get("job-00000000000000000000")
    assert (e.value.code, e.value.reason) == (grpc.StatusCode.NOT_FOUND, "NOT_FOUND")

    with Client(server, api_key="wrong") as anon, pytest.raises(AdqError) as e:
        anon.get("job-00000000000000000000")
    assert (e.value.code, e.value.reason) == (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")

    with pytest.raises(TypeError, match="unknown compression parameter 'ratioo'"):
        adq_client.compression_params(ratioo=0.1)
