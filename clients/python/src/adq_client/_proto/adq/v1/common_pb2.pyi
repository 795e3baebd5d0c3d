import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DatasetFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATASET_FORMAT_UNSPECIFIED: _ClassVar[DatasetFormat]
    DATASET_FORMAT_IMAGE_FOLDER: _ClassVar[DatasetFormat]
    DATASET_FORMAT_CIFAR10_BINARY: _ClassVar[DatasetFormat]
    DATASET_FORMAT_WEBDATASET: _ClassVar[DatasetFormat]

class Method(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METHOD_UNSPECIFIED: _ClassVar[Method]
    METHOD_ADQ: _ClassVar[Method]
    METHOD_DQ: _ClassVar[Method]
    METHOD_RANDOM: _ClassVar[Method]
    METHOD_CCS: _ClassVar[Method]
    METHOD_ADQ_PAPER: _ClassVar[Method]

class DiversityMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIVERSITY_METHOD_UNSPECIFIED: _ClassVar[DiversityMethod]
    DIVERSITY_METHOD_CONTRASTIVE: _ClassVar[DiversityMethod]
    DIVERSITY_METHOD_UNTRAINED_HEAD: _ClassVar[DiversityMethod]

class StoreCodec(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORE_CODEC_UNSPECIFIED: _ClassVar[StoreCodec]
    STORE_CODEC_WEBP: _ClassVar[StoreCodec]
    STORE_CODEC_WEBP_LOSSLESS: _ClassVar[StoreCodec]
    STORE_CODEC_RAW: _ClassVar[StoreCodec]

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_INGEST: _ClassVar[Stage]
    STAGE_FEATURES: _ClassVar[Stage]
    STAGE_BINNING: _ClassVar[Stage]
    STAGE_SCORING: _ClassVar[Stage]
    STAGE_ALLOCATION: _ClassVar[Stage]
    STAGE_SAMPLING: _ClassVar[Stage]
    STAGE_PATCH_DROP: _ClassVar[Stage]
    STAGE_REPORT: _ClassVar[Stage]
    STAGE_RECONSTRUCT: _ClassVar[Stage]

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLING: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_ARGUMENT: _ClassVar[ErrorReason]
    ERROR_REASON_DATASET_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_DATASET_EMPTY: _ClassVar[ErrorReason]
    ERROR_REASON_SINGLE_CLASS: _ClassVar[ErrorReason]
    ERROR_REASON_BAD_FILES: _ClassVar[ErrorReason]
    ERROR_REASON_MODEL_CONTRACT: _ClassVar[ErrorReason]
    ERROR_REASON_MODEL_DIGEST_MISMATCH: _ClassVar[ErrorReason]
    ERROR_REASON_QUOTA_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_IDEMPOTENCY_KEY_REUSED: _ClassVar[ErrorReason]
    ERROR_REASON_ARTIFACT_UNAVAILABLE: _ClassVar[ErrorReason]
    ERROR_REASON_JOB_STATE: _ClassVar[ErrorReason]
    ERROR_REASON_RETRIES_EXHAUSTED: _ClassVar[ErrorReason]
    ERROR_REASON_UPLOAD_MISMATCH: _ClassVar[ErrorReason]
    ERROR_REASON_INTERNAL: _ClassVar[ErrorReason]
    ERROR_REASON_UNAUTHENTICATED: _ClassVar[ErrorReason]
    ERROR_REASON_NOT_FOUND: _ClassVar[ErrorReason]
    ERROR_REASON_UNIMPLEMENTED: _ClassVar[ErrorReason]
    ERROR_REASON_BACKEND_UNAVAILABLE: _ClassVar[ErrorReason]
    ERROR_REASON_CONCURRENT_UPDATE: _ClassVar[ErrorReason]
    ERROR_REASON_OUT_OF_RANGE: _ClassVar[ErrorReason]
    ERROR_REASON_DATA_LOSS: _ClassVar[ErrorReason]
DATASET_FORMAT_UNSPECIFIED: DatasetFormat
DATASET_FORMAT_IMAGE_FOLDER: DatasetFormat
DATASET_FORMAT_CIFAR10_BINARY: DatasetFormat
DATASET_FORMAT_WEBDATASET: DatasetFormat
METHOD_UNSPECIFIED: Method
METHOD_ADQ: Method
METHOD_DQ: Method
METHOD_RANDOM: Method
METHOD_CCS: Method
METHOD_ADQ_PAPER: Method
DIVERSITY_METHOD_UNSPECIFIED: DiversityMethod
DIVERSITY_METHOD_CONTRASTIVE: DiversityMethod
DIVERSITY_METHOD_UNTRAINED_HEAD: DiversityMethod
STORE_CODEC_UNSPECIFIED: StoreCodec
STORE_CODEC_WEBP: StoreCodec
STORE_CODEC_WEBP_LOSSLESS: StoreCodec
STORE_CODEC_RAW: StoreCodec
STAGE_UNSPECIFIED: Stage
STAGE_INGEST: Stage
STAGE_FEATURES: Stage
STAGE_BINNING: Stage
STAGE_SCORING: Stage
STAGE_ALLOCATION: Stage
STAGE_SAMPLING: Stage
STAGE_PATCH_DROP: Stage
STAGE_REPORT: Stage
STAGE_RECONSTRUCT: Stage
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLING: JobState
JOB_STATE_CANCELLED: JobState
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_ARGUMENT: ErrorReason
ERROR_REASON_DATASET_NOT_FOUND: ErrorReason
ERROR_REASON_DATASET_EMPTY: ErrorReason
ERROR_REASON_SINGLE_CLASS: ErrorReason
ERROR_REASON_BAD_FILES: ErrorReason
ERROR_REASON_MODEL_CONTRACT: ErrorReason
ERROR_REASON_MODEL_DIGEST_MISMATCH: ErrorReason
ERROR_REASON_QUOTA_EXCEEDED: ErrorReason
ERROR_REASON_IDEMPOTENCY_KEY_REUSED: ErrorReason
ERROR_REASON_ARTIFACT_UNAVAILABLE: ErrorReason
ERROR_REASON_JOB_STATE: ErrorReason
ERROR_REASON_RETRIES_EXHAUSTED: ErrorReason
ERROR_REASON_UPLOAD_MISMATCH: ErrorReason
ERROR_REASON_INTERNAL: ErrorReason
ERROR_REASON_UNAUTHENTICATED: ErrorReason
ERROR_REASON_NOT_FOUND: ErrorReason
ERROR_REASON_UNIMPLEMENTED: ErrorReason
ERROR_REASON_BACKEND_UNAVAILABLE: ErrorReason
ERROR_REASON_CONCURRENT_UPDATE: ErrorReason
ERROR_REASON_OUT_OF_RANGE: ErrorReason
ERROR_REASON_DATA_LOSS: ErrorReason

class ArtifactRef(_message.Message):
    __slots__ = ("key", "sha256", "size_bytes", "media_type", "tensor")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    key: str
    sha256: str
    size_bytes: int
    media_type: str
    tensor: TensorInfo
    def __init__(self, key: _Optional[str] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., media_type: _Optional[str] = ..., tensor: _Optional[_Union[TensorInfo, _Mapping]] = ...) -> None: ...

class TensorInfo(_message.Message):
    __slots__ = ("dtype", "shape")
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    dtype: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, dtype: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class DatasetRef(_message.Message):
    __slots__ = ("uri", "format")
    URI_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    uri: str
    format: DatasetFormat
    def __init__(self, uri: _Optional[str] = ..., format: _Optional[_Union[DatasetFormat, str]] = ...) -> None: ...

class DatasetSummary(_message.Message):
    __slots__ = ("num_items", "class_names", "class_counts", "total_bytes", "format")
    NUM_ITEMS_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAMES_FIELD_NUMBER: _ClassVar[int]
    CLASS_COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    num_items: int
    class_names: _containers.RepeatedScalarFieldContainer[str]
    class_counts: _containers.RepeatedScalarFieldContainer[int]
    total_bytes: int
    format: DatasetFormat
    def __init__(self, num_items: _Optional[int] = ..., class_names: _Optional[_Iterable[str]] = ..., class_counts: _Optional[_Iterable[int]] = ..., total_bytes: _Optional[int] = ..., format: _Optional[_Union[DatasetFormat, str]] = ...) -> None: ...

class ModelRef(_message.Message):
    __slots__ = ("uri", "sha256")
    URI_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    uri: str
    sha256: str
    def __init__(self, uri: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class DiversityParams(_message.Message):
    __slots__ = ("method", "tau")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TAU_FIELD_NUMBER: _ClassVar[int]
    method: DiversityMethod
    tau: float
    def __init__(self, method: _Optional[_Union[DiversityMethod, str]] = ..., tau: _Optional[float] = ...) -> None: ...

class PatchGrid(_message.Message):
    __slots__ = ("image_size", "patch_size")
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    image_size: int
    patch_size: int
    def __init__(self, image_size: _Optional[int] = ..., patch_size: _Optional[int] = ...) -> None: ...

class CompressionParams(_message.Message):
    __slots__ = ("ratio", "bins", "alpha", "drop_ratio", "patch_grid", "seed", "method", "graphcut_lambda", "texture_patch_size", "diversity", "rs_weight", "ds_weight", "model", "mae_model", "skip_bad_files", "allocation_strength", "store_codec", "store_quality", "ccs_beta", "ccs_strata", "adq_beta", "adq_strata")
    RATIO_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    DROP_RATIO_FIELD_NUMBER: _ClassVar[int]
    PATCH_GRID_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    GRAPHCUT_LAMBDA_FIELD_NUMBER: _ClassVar[int]
    TEXTURE_PATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    DIVERSITY_FIELD_NUMBER: _ClassVar[int]
    RS_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    DS_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MAE_MODEL_FIELD_NUMBER: _ClassVar[int]
    SKIP_BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    ALLOCATION_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    STORE_CODEC_FIELD_NUMBER: _ClassVar[int]
    STORE_QUALITY_FIELD_NUMBER: _ClassVar[int]
    CCS_BETA_FIELD_NUMBER: _ClassVar[int]
    CCS_STRATA_FIELD_NUMBER: _ClassVar[int]
    ADQ_BETA_FIELD_NUMBER: _ClassVar[int]
    ADQ_STRATA_FIELD_NUMBER: _ClassVar[int]
    ratio: float
    bins: int
    alpha: float
    drop_ratio: float
    patch_grid: PatchGrid
    seed: int
    method: Method
    graphcut_lambda: float
    texture_patch_size: int
    diversity: DiversityParams
    rs_weight: float
    ds_weight: float
    model: ModelRef
    mae_model: ModelRef
    skip_bad_files: bool
    allocation_strength: float
    store_codec: StoreCodec
    store_quality: int
    ccs_beta: float
    ccs_strata: int
    adq_beta: float
    adq_strata: int
    def __init__(self, ratio: _Optional[float] = ..., bins: _Optional[int] = ..., alpha: _Optional[float] = ..., drop_ratio: _Optional[float] = ..., patch_grid: _Optional[_Union[PatchGrid, _Mapping]] = ..., seed: _Optional[int] = ..., method: _Optional[_Union[Method, str]] = ..., graphcut_lambda: _Optional[float] = ..., texture_patch_size: _Optional[int] = ..., diversity: _Optional[_Union[DiversityParams, _Mapping]] = ..., rs_weight: _Optional[float] = ..., ds_weight: _Optional[float] = ..., model: _Optional[_Union[ModelRef, _Mapping]] = ..., mae_model: _Optional[_Union[ModelRef, _Mapping]] = ..., skip_bad_files: _Optional[bool] = ..., allocation_strength: _Optional[float] = ..., store_codec: _Optional[_Union[StoreCodec, str]] = ..., store_quality: _Optional[int] = ..., ccs_beta: _Optional[float] = ..., ccs_strata: _Optional[int] = ..., adq_beta: _Optional[float] = ..., adq_strata: _Optional[int] = ...) -> None: ...

class BinScore(_message.Message):
    __slots__ = ("class_index", "class_name", "bin_index", "size", "rs", "ds", "rs_normalized", "ds_normalized", "importance", "allocated")
    CLASS_INDEX_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    BIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    RS_FIELD_NUMBER: _ClassVar[int]
    DS_FIELD_NUMBER: _ClassVar[int]
    RS_NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    DS_NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    class_index: int
    class_name: str
    bin_index: int
    size: int
    rs: float
    ds: float
    rs_normalized: float
    ds_normalized: float
    importance: float
    allocated: int
    def __init__(self, class_index: _Optional[int] = ..., class_name: _Optional[str] = ..., bin_index: _Optional[int] = ..., size: _Optional[int] = ..., rs: _Optional[float] = ..., ds: _Optional[float] = ..., rs_normalized: _Optional[float] = ..., ds_normalized: _Optional[float] = ..., importance: _Optional[float] = ..., allocated: _Optional[int] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class BadFile(_message.Message):
    __slots__ = ("path", "index", "reason")
    PATH_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    path: str
    index: int
    reason: str
    def __init__(self, path: _Optional[str] = ..., index: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class QuotaViolation(_message.Message):
    __slots__ = ("quota", "limit", "requested")
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    quota: str
    limit: int
    requested: int
    def __init__(self, quota: _Optional[str] = ..., limit: _Optional[int] = ..., requested: _Optional[int] = ...) -> None: ...

class ErrorDetails(_message.Message):
    __slots__ = ("reason", "message", "code", "stage", "field_violations", "bad_files", "bad_files_total", "bad_files_report", "quota", "retry_after", "task_key", "attempts")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_REPORT_FIELD_NUMBER: _ClassVar[int]
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    TASK_KEY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    reason: ErrorReason
    message: str
    code: str
    stage: Stage
    field_violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    bad_files: _containers.RepeatedCompositeFieldContainer[BadFile]
    bad_files_total: int
    bad_files_report: ArtifactRef
    quota: QuotaViolation
    retry_after: _duration_pb2.Duration
    task_key: str
    attempts: int
    def __init__(self, reason: _Optional[_Union[ErrorReason, str]] = ..., message: _Optional[str] = ..., code: _Optional[str] = ..., stage: _Optional[_Union[Stage, str]] = ..., field_violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ..., bad_files: _Optional[_Iterable[_Union[BadFile, _Mapping]]] = ..., bad_files_total: _Optional[int] = ..., bad_files_report: _Optional[_Union[ArtifactRef, _Mapping]] = ..., quota: _Optional[_Union[QuotaViolation, _Mapping]] = ..., retry_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., task_key: _Optional[str] = ..., attempts: _Optional[int] = ...) -> None: ...

class TaskContext(_message.Message):
    __slots__ = ("job_id", "task_key", "attempt")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_KEY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    task_key: str
    attempt: int
    def __init__(self, job_id: _Optional[str] = ..., task_key: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...
