import datetime

from adq_client._proto.adq.v1 import common_pb2 as _common_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ArchiveFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ARCHIVE_FORMAT_UNSPECIFIED: _ClassVar[ArchiveFormat]
    ARCHIVE_FORMAT_TAR: _ClassVar[ArchiveFormat]
    ARCHIVE_FORMAT_TAR_GZIP: _ClassVar[ArchiveFormat]

class StageState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_STATE_UNSPECIFIED: _ClassVar[StageState]
    STAGE_STATE_PENDING: _ClassVar[StageState]
    STAGE_STATE_RUNNING: _ClassVar[StageState]
    STAGE_STATE_SUCCEEDED: _ClassVar[StageState]
    STAGE_STATE_SKIPPED: _ClassVar[StageState]
    STAGE_STATE_FAILED: _ClassVar[StageState]
    STAGE_STATE_CANCELLED: _ClassVar[StageState]
ARCHIVE_FORMAT_UNSPECIFIED: ArchiveFormat
ARCHIVE_FORMAT_TAR: ArchiveFormat
ARCHIVE_FORMAT_TAR_GZIP: ArchiveFormat
STAGE_STATE_UNSPECIFIED: StageState
STAGE_STATE_PENDING: StageState
STAGE_STATE_RUNNING: StageState
STAGE_STATE_SUCCEEDED: StageState
STAGE_STATE_SKIPPED: StageState
STAGE_STATE_FAILED: StageState
STAGE_STATE_CANCELLED: StageState

class OutputOptions(_message.Message):
    __slots__ = ("reconstruct", "keep_intermediates", "uri")
    RECONSTRUCT_FIELD_NUMBER: _ClassVar[int]
    KEEP_INTERMEDIATES_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    reconstruct: bool
    keep_intermediates: bool
    uri: str
    def __init__(self, reconstruct: _Optional[bool] = ..., keep_intermediates: _Optional[bool] = ..., uri: _Optional[str] = ...) -> None: ...

class CreateJobRequest(_message.Message):
    __slots__ = ("dataset", "params", "idempotency_key", "outputs", "display_name", "labels", "validate_only")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DATASET_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    dataset: _common_pb2.DatasetRef
    params: _common_pb2.CompressionParams
    idempotency_key: str
    outputs: OutputOptions
    display_name: str
    labels: _containers.ScalarMap[str, str]
    validate_only: bool
    def __init__(self, dataset: _Optional[_Union[_common_pb2.DatasetRef, _Mapping]] = ..., params: _Optional[_Union[_common_pb2.CompressionParams, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., outputs: _Optional[_Union[OutputOptions, _Mapping]] = ..., display_name: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class CreateJobResponse(_message.Message):
    __slots__ = ("job", "deduplicated")
    JOB_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    job: Job
    deduplicated: bool
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class UploadHeader(_message.Message):
    __slots__ = ("name", "format", "archive", "size_bytes", "sha256")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    name: str
    format: _common_pb2.DatasetFormat
    archive: ArchiveFormat
    size_bytes: int
    sha256: str
    def __init__(self, name: _Optional[str] = ..., format: _Optional[_Union[_common_pb2.DatasetFormat, str]] = ..., archive: _Optional[_Union[ArchiveFormat, str]] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadDatasetRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: UploadHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[UploadHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadDatasetResponse(_message.Message):
    __slots__ = ("dataset", "archive", "summary", "deduplicated")
    DATASET_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    dataset: _common_pb2.DatasetRef
    archive: _common_pb2.ArtifactRef
    summary: _common_pb2.DatasetSummary
    deduplicated: bool
    def __init__(self, dataset: _Optional[_Union[_common_pb2.DatasetRef, _Mapping]] = ..., archive: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., summary: _Optional[_Union[_common_pb2.DatasetSummary, _Mapping]] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class DeleteUploadRequest(_message.Message):
    __slots__ = ("dataset_uri",)
    DATASET_URI_FIELD_NUMBER: _ClassVar[int]
    dataset_uri: str
    def __init__(self, dataset_uri: _Optional[str] = ...) -> None: ...

class DeleteUploadResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StageProgress(_message.Message):
    __slots__ = ("stage", "state", "done", "total", "unit", "tasks_done", "tasks_total", "retries", "start_time", "end_time", "eta", "rate")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    TASKS_DONE_FIELD_NUMBER: _ClassVar[int]
    TASKS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    stage: _common_pb2.Stage
    state: StageState
    done: int
    total: int
    unit: str
    tasks_done: int
    tasks_total: int
    retries: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    eta: _duration_pb2.Duration
    rate: float
    def __init__(self, stage: _Optional[_Union[_common_pb2.Stage, str]] = ..., state: _Optional[_Union[StageState, str]] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., unit: _Optional[str] = ..., tasks_done: _Optional[int] = ..., tasks_total: _Optional[int] = ..., retries: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rate: _Optional[float] = ...) -> None: ...

class JobWarning(_message.Message):
    __slots__ = ("stage", "message", "bad_files")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    stage: _common_pb2.Stage
    message: str
    bad_files: _containers.RepeatedCompositeFieldContainer[_common_pb2.BadFile]
    def __init__(self, stage: _Optional[_Union[_common_pb2.Stage, str]] = ..., message: _Optional[str] = ..., bad_files: _Optional[_Iterable[_Union[_common_pb2.BadFile, _Mapping]]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "tenant_id", "state", "dataset", "params", "outputs", "idempotency_key", "display_name", "labels", "create_time", "start_time", "update_time", "end_time", "current_stage", "stages", "eta", "error", "dataset_summary", "warnings", "event_sequence", "cancel_reason")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STAGE_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DATASET_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    EVENT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    state: _common_pb2.JobState
    dataset: _common_pb2.DatasetRef
    params: _common_pb2.CompressionParams
    outputs: OutputOptions
    idempotency_key: str
    display_name: str
    labels: _containers.ScalarMap[str, str]
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    current_stage: _common_pb2.Stage
    stages: _containers.RepeatedCompositeFieldContainer[StageProgress]
    eta: _duration_pb2.Duration
    error: _common_pb2.ErrorDetails
    dataset_summary: _common_pb2.DatasetSummary
    warnings: _containers.RepeatedCompositeFieldContainer[JobWarning]
    event_sequence: int
    cancel_reason: str
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.JobState, str]] = ..., dataset: _Optional[_Union[_common_pb2.DatasetRef, _Mapping]] = ..., params: _Optional[_Union[_common_pb2.CompressionParams, _Mapping]] = ..., outputs: _Optional[_Union[OutputOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., display_name: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current_stage: _Optional[_Union[_common_pb2.Stage, str]] = ..., stages: _Optional[_Iterable[_Union[StageProgress, _Mapping]]] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ErrorDetails, _Mapping]] = ..., dataset_summary: _Optional[_Union[_common_pb2.DatasetSummary, _Mapping]] = ..., warnings: _Optional[_Iterable[_Union[JobWarning, _Mapping]]] = ..., event_sequence: _Optional[int] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id", "after_sequence")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    after_sequence: int
    def __init__(self, job_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class JobStateChanged(_message.Message):
    __slots__ = ("previous_state", "state")
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    previous_state: _common_pb2.JobState
    state: _common_pb2.JobState
    def __init__(self, previous_state: _Optional[_Union[_common_pb2.JobState, str]] = ..., state: _Optional[_Union[_common_pb2.JobState, str]] = ...) -> None: ...

class JobTerminal(_message.Message):
    __slots__ = ("state", "error", "summary")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    state: _common_pb2.JobState
    error: _common_pb2.ErrorDetails
    summary: ResultSummary
    def __init__(self, state: _Optional[_Union[_common_pb2.JobState, str]] = ..., error: _Optional[_Union[_common_pb2.ErrorDetails, _Mapping]] = ..., summary: _Optional[_Union[ResultSummary, _Mapping]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("sequence", "time", "job_id", "snapshot", "state_changed", "progress", "warning", "terminal", "heartbeat")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    job_id: str
    snapshot: Job
    state_changed: JobStateChanged
    progress: StageProgress
    warning: JobWarning
    terminal: JobTerminal
    heartbeat: Heartbeat
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., job_id: _Optional[str] = ..., snapshot: _Optional[_Union[Job, _Mapping]] = ..., state_changed: _Optional[_Union[JobStateChanged, _Mapping]] = ..., progress: _Optional[_Union[StageProgress, _Mapping]] = ..., warning: _Optional[_Union[JobWarning, _Mapping]] = ..., terminal: _Optional[_Union[JobTerminal, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "states")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[_common_pb2.JobState]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_common_pb2.JobState, str]]] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class DeleteJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetResultRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ResultFile(_message.Message):
    __slots__ = ("name", "artifact")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_FIELD_NUMBER: _ClassVar[int]
    name: str
    artifact: _common_pb2.ArtifactRef
    def __init__(self, name: _Optional[str] = ..., artifact: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ...) -> None: ...

class ResultSummary(_message.Message):
    __slots__ = ("total_items", "selected_items", "class_selected", "stored_bytes", "original_subset_bytes", "original_dataset_bytes", "skipped_bad_files", "model_sha256", "tool_version", "duration")
    TOTAL_ITEMS_FIELD_NUMBER: _ClassVar[int]
    SELECTED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    CLASS_SELECTED_FIELD_NUMBER: _ClassVar[int]
    STORED_BYTES_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_SUBSET_BYTES_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_DATASET_BYTES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    MODEL_SHA256_FIELD_NUMBER: _ClassVar[int]
    TOOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    total_items: int
    selected_items: int
    class_selected: _containers.RepeatedScalarFieldContainer[int]
    stored_bytes: int
    original_subset_bytes: int
    original_dataset_bytes: int
    skipped_bad_files: int
    model_sha256: str
    tool_version: str
    duration: _duration_pb2.Duration
    def __init__(self, total_items: _Optional[int] = ..., selected_items: _Optional[int] = ..., class_selected: _Optional[_Iterable[int]] = ..., stored_bytes: _Optional[int] = ..., original_subset_bytes: _Optional[int] = ..., original_dataset_bytes: _Optional[int] = ..., skipped_bad_files: _Optional[int] = ..., model_sha256: _Optional[str] = ..., tool_version: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class JobResult(_message.Message):
    __slots__ = ("job_id", "manifest", "bins", "report", "store", "reconstructed", "files", "summary", "bin_scores")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    RECONSTRUCTED_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    BIN_SCORES_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    manifest: _common_pb2.ArtifactRef
    bins: _common_pb2.ArtifactRef
    report: _common_pb2.ArtifactRef
    store: _common_pb2.ArtifactRef
    reconstructed: _common_pb2.ArtifactRef
    files: _containers.RepeatedCompositeFieldContainer[ResultFile]
    summary: ResultSummary
    bin_scores: _containers.RepeatedCompositeFieldContainer[_common_pb2.BinScore]
    def __init__(self, job_id: _Optional[str] = ..., manifest: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., bins: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., report: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., store: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., reconstructed: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., files: _Optional[_Iterable[_Union[ResultFile, _Mapping]]] = ..., summary: _Optional[_Union[ResultSummary, _Mapping]] = ..., bin_scores: _Optional[_Iterable[_Union[_common_pb2.BinScore, _Mapping]]] = ...) -> None: ...

class DownloadResultRequest(_message.Message):
    __slots__ = ("job_id", "name", "offset", "length", "chunk_size")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    offset: int
    length: int
    chunk_size: int
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ..., chunk_size: _Optional[int] = ...) -> None: ...

class DownloadResultChunk(_message.Message):
    __slots__ = ("file", "offset", "data")
    FILE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    file: _common_pb2.ArtifactRef
    offset: int
    data: bytes
    def __init__(self, file: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., offset: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...
