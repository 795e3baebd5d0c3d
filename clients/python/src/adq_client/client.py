"""A blocking client of ``adq.v1.CompressionService``.

    from adq_client import Client
    with Client("localhost:50051", api_key="...") as c:
        job = c.compress("path/to/imagefolder", ratio=0.1, seed=0)   # uploads, waits, shows progress
        c.download(job.id, "result/")

Every failed call raises :class:`adq_client.AdqError` (code, reason, field violations, retry delay).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import grpc

from adq_client._proto.adq.v1 import common_pb2, compression_service_pb2 as pb, compression_service_pb2_grpc as pb_grpc
from adq_client.errors import AdqError, JobFailed

CHUNK = 1 << 20  # upload and download chunk: 1 MiB (the server caps messages at 4 MiB)

_METHODS = {
    "ccs": "METHOD_CCS",
    "adq": "METHOD_ADQ",
    "adq-paper": "METHOD_ADQ_PAPER",
    "dq": "METHOD_DQ",
    "random": "METHOD_RANDOM",
}
_CODECS = {"webp": "STORE_CODEC_WEBP", "webp-lossless": "STORE_CODEC_WEBP_LOSSLESS", "raw": "STORE_CODEC_RAW"}
_DIVERSITY = {
    "infonce": "DIVERSITY_METHOD_CONTRASTIVE",
    "contrastive": "DIVERSITY_METHOD_CONTRASTIVE",
    "untrained-head": "DIVERSITY_METHOD_UNTRAINED_HEAD",
}
#: Python keyword → CompressionParams field, where the name differs (as `adq compress`'s flags).
_ALIASES = {"drop": "drop_ratio", "lambda_": "graphcut_lambda", "beta": "ccs_beta", "strata": "ccs_strata"}
TERMINAL = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"}


def _state(job: pb.Job) -> str:
    return common_pb2.JobState.Name(job.state)


def compression_params(**params: Any) -> common_pb2.CompressionParams:
    """CompressionParams from keywords: ``ratio``, ``method`` ("ccs" | "adq" | "adq-paper" | "dq"
    | "random"), ``bins``, ``alpha``, ``drop`` (= drop_ratio), ``seed``, ``beta``/``strata`` (CCS),
    ``adq_beta``/``adq_strata`` (ADQ, DQ on held-out difficulty),
    ``store_codec`` ("webp" | "webp-lossless" | "raw"), ``model``/``mae_model`` (URIs),
    ``image_size``/``patch_size``, ``diversity``/``tau``, and any other field by its proto name.
    Unset fields take the server's defaults (the parameter table, docs/architecture.md §5).
    """
    p = common_pb2.CompressionParams()
    for key, value in params.items():
        if value is None:
            continue
        name = _ALIASES.get(key, key)
        if name == "method":
            p.method = common_pb2.Method.Value(_METHODS.get(str(value), str(value)))
        elif name == "store_codec":
            p.store_codec = common_pb2.StoreCodec.Value(_CODECS.get(str(value), str(value)))
        elif name in ("model", "mae_model"):
            getattr(p, name).uri = str(value)
        elif name in ("image_size", "patch_size"):
            setattr(p.patch_grid, name, int(value))
        elif name == "diversity":
            p.diversity.method = common_pb2.DiversityMethod.Value(_DIVERSITY.get(str(value), str(value)))
        elif name == "tau":
            p.diversity.tau = float(value)
        elif name in common_pb2.CompressionParams.DESCRIPTOR.fields_by_name:
            setattr(p, name, value)
        else:
            raise TypeError(f"unknown compression parameter {key!r}")
    return p


def _tar_folder(folder: Path, out: IO[bytes]) -> None:
    """A reproducible tar of an ImageFolder: sorted entries, no times or owners, so the same
    folder always uploads the same bytes (the server deduplicates identical uploads)."""

    def clean(ti: tarfile.TarInfo) -> tarfile.TarInfo:
        ti.mtime = 0
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mode = 0o755 if ti.isdir() else 0o644
        return ti

    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = Path(root) / name
                tar.add(full, arcname=str(full.relative_to(folder)), recursive=False, filter=clean)


class Progress:
    """One tqdm bar per stage, fed by WatchJob's progress events (quiet when tqdm is missing
    or ``enabled`` is False)."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        self.stage = ""
        self.tqdm: Any = None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.tqdm = tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                self.tqdm = None

    def update(self, p: pb.StageProgress) -> None:
        if self.tqdm is None:
            return
        stage = common_pb2.Stage.Name(p.stage).removeprefix("STAGE_").lower()
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = self.tqdm(total=p.total or None, desc=stage, unit=f" {p.unit or 'items'}", file=sys.stderr)
        if self.bar is not None:
            if p.total and self.bar.total != p.total:
                self.bar.total = p.total
            self.bar.n = p.done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Client:
    """A connection to an ADQ gateway (``adq serve``).

    ``target`` is ``host:port``. ``api_key`` goes in every call as ``authorization: Bearer``
    (default: ``$ADQ_API_KEY``). ``tls``: False/None for plaintext (loopback servers), True for
    TLS with the system's roots, or the path of a CA certificate (PEM) to trust.
    ``timeout`` bounds each unary call (seconds); streams are not bounded.
    """

    def __init__(
        self,
        target: str,
        api_key: str | None = None,
        tls: bool | str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        opts = list((options or {}).items()) + [
            ("grpc.max_receive_message_length", 8 << 20),
            ("grpc.max_send_message_length", 8 << 20),
        ]
        if tls:
            root = Path(tls).read_bytes() if not isinstance(tls, bool) else None
            self.channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root), opts)
        else:
            self.channel = grpc.insecure_channel(target, opts)
        self.stub = pb_grpc.CompressionServiceStub(self.channel)
        key = api_key if api_key is not None else os.environ.get("ADQ_API_KEY")
        self.metadata = (("authorization", f"Bearer {key}"),) if key else ()
        self.timeout = timeout

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unary(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request, metadata=self.metadata, timeout=self.timeout)
        except grpc.RpcError as e:
            raise AdqError.from_rpc_error(e) from None

    def health(self, service: str = "") -> str:
        """The server's grpc.health.v1 status ("SERVING", "NOT_SERVING", …)."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        try:
            r = health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=self.timeout
            )
        except grpc.RpcError as e:
            raise AdqError.from_rpc_error(e) from None
        return health_pb2.HealthCheckResponse.ServingStatus.Name(r.status)

    # -- data sets -------------------------------------------------------------------------

    def upload(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Uploads an ImageFolder (a folder, tarred reproducibly on the fly) or a ``.tar`` /
        ``.tar.gz`` archive; returns its ``artifact://uploads/…`` URI for :meth:`compress`.
        The same content uploaded again returns the same URI (the server deduplicates)."""
        src = Path(path)
        with tempfile.TemporaryFile() as tmp:
            if src.is_dir():
                _tar_folder(src, tmp)
                archive = "ARCHIVE_FORMAT_TAR"
                fobj: IO[bytes] = tmp
            else:
                fobj = open(src, "rb")  # noqa: SIM115 - closed below
                with fobj:
                    magic = fobj.read(2)
                fobj = open(src, "rb")  # noqa: SIM115
                archive = "ARCHIVE_FORMAT_TAR_GZIP" if magic == b"\x1f\x8b" else "ARCHIVE_FORMAT_TAR"
            try:
                size = fobj.seek(0, os.SEEK_END)
                digest = hashlib.sha256()
                fobj.seek(0)
                while chunk := fobj.read(CHUNK):
                    digest.update(chunk)
                header = pb.UploadHeader(
                    name=name or src.name.split(".")[0] or "dataset",
                    format=common_pb2.DATASET_FORMAT_IMAGE_FOLDER,
                    archive=pb.ArchiveFormat.Value(archive),
                    size_bytes=size,
                    sha256=digest.hexdigest(),
                )

                def requests() -> Iterator[pb.UploadDatasetRequest]:
                    yield pb.UploadDatasetRequest(header=header)
                    fobj.seek(0)
                    while chunk := fobj.read(CHUNK):
                        yield pb.UploadDatasetRequest(chunk=chunk)

                try:
                    res = self.stub.UploadDataset(requests(), metadata=self.metadata)
                except grpc.RpcError as e:
                    raise AdqError.from_rpc_error(e) from None
            finally:
                if fobj is not tmp:
                    fobj.close()
        return res.dataset.uri

    # -- jobs ------------------------------------------------------------------------------

    def create_job(
        self,
        dataset: str | os.PathLike[str],
        *,
        idempotency_key: str | None = None,
        labels: Mapping[str, str] | None = None,
        display_name: str = "",
        reconstruct: bool = False,
        keep_intermediates: bool = False,
        validate_only: bool = False,
        **params: Any,
    ) -> pb.Job:
        """Creates a job and returns it at once (QUEUED). ``dataset``: a local folder or archive
        (uploaded first), or a URI the server resolves (``file:///…`` under its data roots,
        ``artifact://uploads/…``). ``params``: see :func:`compression_params`."""
        uri = str(dataset)
        if "://" not in uri:
            uri = self.upload(uri)
        req = pb.CreateJobRequest(
            dataset=common_pb2.DatasetRef(uri=uri),
            params=compression_params(**params),
            idempotency_key=idempotency_key or "",
            display_name=display_name,
            labels=dict(labels or {}),
            outputs=pb.OutputOptions(reconstruct=reconstruct, keep_intermediates=keep_intermediates),
            validate_only=validate_only,
        )
        return self._unary("CreateJob", req).job

    def compress(
        self,
        dataset: str | os.PathLike[str],
        *,
        wait: bool = True,
        progress: bool = True,
        **kwargs: Any,
    ) -> pb.Job:
        """Creates a job (as :meth:`create_job`) and, with ``wait``, follows it to its end with
        a progress bar per stage; returns the final job, or raises :class:`JobFailed`."""
        kwargs.setdefault("idempotency_key", f"py-{uuid.uuid4().hex}")  # a retried create is one job
        job = self.create_job(dataset, **kwargs)
        return self.wait(job.id, progress=progress) if wait else job

    def watch(self, job_id: str, after_sequence: int = 0) -> Iterator[pb.JobEvent]:
        """WatchJob's events (snapshot, state changes, progress, warnings, terminal) until the
        job ends."""
        try:
            for ev in self.stub.WatchJob(
                pb.WatchJobRequest(job_id=job_id, after_sequence=after_sequence), metadata=self.metadata
            ):
                yield ev
                if ev.WhichOneof("event") == "terminal":
                    return
        except grpc.RpcError as e:
            raise AdqError.from_rpc_error(e) from None

    def wait(self, job_id: str, progress: bool = False) -> pb.Job:
        """Follows a job to its end; returns it when SUCCEEDED, raises :class:`JobFailed`
        when it FAILED or was CANCELLED."""
        bars = Progress(progress)
        try:
            for ev in self.watch(job_id):
                if ev.WhichOneof("event") == "progress":
                    bars.update(ev.progress)
        finally:
            bars.close()
        job = self.get(job_id)
        if _state(job) != "JOB_STATE_SUCCEEDED":
            raise JobFailed(job_id, _state(job).removeprefix("JOB_STATE_"), job.error if job.HasField("error") else None)
        return job

    def get(self, job_id: str) -> pb.Job:
        return self._unary("GetJob", pb.GetJobRequest(job_id=job_id))

    def cancel(self, job_id: str, reason: str = "") -> pb.Job:
        """Cancels a job (QUEUED → CANCELLED, RUNNING → CANCELLING → CANCELLED)."""
        return self._unary("CancelJob", pb.CancelJobRequest(job_id=job_id, reason=reason))

    def list(self, page_size: int = 100) -> Iterator[pb.Job]:
        token = ""
        while True:
            r = self._unary("ListJobs", pb.ListJobsRequest(page_size=page_size, page_token=token))
            yield from r.jobs
            if not r.next_page_token:
                return
            token = r.next_page_token

    def result(self, job_id: str) -> pb.JobResult:
        return self._unary("GetResult", pb.GetResultRequest(job_id=job_id))

    def download(
        self,
        job_id: str,
        out: str | os.PathLike[str],
        files: list[str] | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Downloads a succeeded job's files (``files``: names from :meth:`result`; default
        all) into the folder ``out``, each checked against its SHA-256. The folder appears
        whole or not at all (written beside it, then renamed); an existing non-empty ``out``
        needs ``overwrite``."""
        dest = Path(out)
        if dest.exists() and any(dest.iterdir()) and not overwrite:
            raise FileExistsError(f"{dest} exists and is not empty (pass overwrite=True)")
        res = self.result(job_id)
        wanted = files if files is not None else [f.name for f in res.files]
        known = {f.name: f for f in res.files}
        for name in wanted:
            if name not in known:
                raise KeyError(f"{name!r} is not a file of job {job_id} (it has {', '.join(known)})")
            parts = name.split("/")
            if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise AdqError(grpc.StatusCode.DATA_LOSS, f"the server sent an unsafe file name {name!r}", "DATA_LOSS")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
        try:
            for name in wanted:
                self._download_file(job_id, known[name], tmp / name)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return dest

    def _download_file(self, job_id: str, f: pb.ResultFile, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with open(path, "wb") as out:
                for chunk in self.stub.DownloadResult(
                    pb.DownloadResultRequest(job_id=job_id, name=f.name), metadata=self.metadata
                ):
                    out.write(chunk.data)
                    digest.update(chunk.data)
        except grpc.RpcError as e:
            raise AdqError.from_rpc_error(e) from None
        if f.artifact.sha256 and digest.hexdigest() != f.artifact.sha256:
            raise AdqError(grpc.StatusCode.DATA_LOSS, f"{f.name}: SHA-256 mismatch after download", "DATA_LOSS")
