"""Python client of the ADQ platform (Adaptive Dataset Quantization as a service).

    from adq_client import Client, read_store
    with Client("localhost:50051", api_key="...") as c:
        job = c.compress("cifar10/train", ratio=0.1, seed=0)
        c.download(job.id, "result/")
    for rec in read_store("result/"):
        rec.id, rec.label, rec.image, rec.mask
"""

from adq_client._proto.adq.v1 import common_pb2, compression_service_pb2
from adq_client._proto_digest import PROTO_SHA256
from adq_client._version import API_PACKAGE, __version__
from adq_client.client import Client, compression_params
from adq_client.errors import AdqError, FieldViolation, JobFailed
from adq_client.export import (
    export_imagefolder,
    export_webdataset,
    extract_reconstructed,
    to_hf_dataset,
    to_subset,
    to_torch,
)
from adq_client.store import StoreError, StoreHeader, StoreReader, StoreRecord, read_store, store_header

__all__ = [
    "API_PACKAGE",
    "PROTO_SHA256",
    "AdqError",
    "Client",
    "FieldViolation",
    "JobFailed",
    "StoreError",
    "StoreHeader",
    "StoreReader",
    "StoreRecord",
    "__version__",
    "common_pb2",
    "compression_params",
    "compression_service_pb2",
    "export_imagefolder",
    "export_webdataset",
    "extract_reconstructed",
    "read_store",
    "store_header",
    "to_hf_dataset",
    "to_subset",
    "to_torch",
]
