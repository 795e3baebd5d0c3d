from adq_client._proto.adq.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FeatureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEATURE_KIND_UNSPECIFIED: _ClassVar[FeatureKind]
    FEATURE_KIND_EMBEDDING: _ClassVar[FeatureKind]
    FEATURE_KIND_LOGITS: _ClassVar[FeatureKind]
    FEATURE_KIND_POOLED: _ClassVar[FeatureKind]
    FEATURE_KIND_FEATURE_MAP: _ClassVar[FeatureKind]
    FEATURE_KIND_TEXTURE_LEVEL: _ClassVar[FeatureKind]
    FEATURE_KIND_VIEW: _ClassVar[FeatureKind]
FEATURE_KIND_UNSPECIFIED: FeatureKind
FEATURE_KIND_EMBEDDING: FeatureKind
FEATURE_KIND_LOGITS: FeatureKind
FEATURE_KIND_POOLED: FeatureKind
FEATURE_KIND_FEATURE_MAP: FeatureKind
FEATURE_KIND_TEXTURE_LEVEL: FeatureKind
FEATURE_KIND_VIEW: FeatureKind

class ShardRange(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class ExtractFeaturesRequest(_message.Message):
    __slots__ = ("task", "dataset", "shard", "model", "outputs", "texture_patch_size", "skip_bad_files", "batch_size", "seed")
    TASK_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    TEXTURE_PATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    SKIP_BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    dataset: _common_pb2.DatasetRef
    shard: ShardRange
    model: _common_pb2.ModelRef
    outputs: _containers.RepeatedScalarFieldContainer[FeatureKind]
    texture_patch_size: int
    skip_bad_files: bool
    batch_size: int
    seed: int
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., dataset: _Optional[_Union[_common_pb2.DatasetRef, _Mapping]] = ..., shard: _Optional[_Union[ShardRange, _Mapping]] = ..., model: _Optional[_Union[_common_pb2.ModelRef, _Mapping]] = ..., outputs: _Optional[_Iterable[_Union[FeatureKind, str]]] = ..., texture_patch_size: _Optional[int] = ..., skip_bad_files: _Optional[bool] = ..., batch_size: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class FeatureArtifacts(_message.Message):
    __slots__ = ("shard", "item_indices", "labels", "embeddings", "logits", "pooled", "feature_maps", "texture_levels", "views")
    SHARD_FIELD_NUMBER: _ClassVar[int]
    ITEM_INDICES_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    LOGITS_FIELD_NUMBER: _ClassVar[int]
    POOLED_FIELD_NUMBER: _ClassVar[int]
    FEATURE_MAPS_FIELD_NUMBER: _ClassVar[int]
    TEXTURE_LEVELS_FIELD_NUMBER: _ClassVar[int]
    VIEWS_FIELD_NUMBER: _ClassVar[int]
    shard: ShardRange
    item_indices: _common_pb2.ArtifactRef
    labels: _common_pb2.ArtifactRef
    embeddings: _common_pb2.ArtifactRef
    logits: _common_pb2.ArtifactRef
    pooled: _common_pb2.ArtifactRef
    feature_maps: _common_pb2.ArtifactRef
    texture_levels: _common_pb2.ArtifactRef
    views: _common_pb2.ArtifactRef
    def __init__(self, shard: _Optional[_Union[ShardRange, _Mapping]] = ..., item_indices: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., labels: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., embeddings: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., logits: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., pooled: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., feature_maps: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., texture_levels: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., views: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("sha256", "input_size", "embedding_dim", "num_classes", "pooled_dim", "has_feature_map", "normalization")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    INPUT_SIZE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    NUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    POOLED_DIM_FIELD_NUMBER: _ClassVar[int]
    HAS_FEATURE_MAP_FIELD_NUMBER: _ClassVar[int]
    NORMALIZATION_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    input_size: int
    embedding_dim: int
    num_classes: int
    pooled_dim: int
    has_feature_map: bool
    normalization: str
    def __init__(self, sha256: _Optional[str] = ..., input_size: _Optional[int] = ..., embedding_dim: _Optional[int] = ..., num_classes: _Optional[int] = ..., pooled_dim: _Optional[int] = ..., has_feature_map: _Optional[bool] = ..., normalization: _Optional[str] = ...) -> None: ...

class ExtractFeaturesResponse(_message.Message):
    __slots__ = ("features", "item_count", "bad_files", "model", "reused", "bad_files_total", "bad_files_report")
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BAD_FILES_REPORT_FIELD_NUMBER: _ClassVar[int]
    features: FeatureArtifacts
    item_count: int
    bad_files: _containers.RepeatedCompositeFieldContainer[_common_pb2.BadFile]
    model: ModelInfo
    reused: bool
    bad_files_total: int
    bad_files_report: _common_pb2.ArtifactRef
    def __init__(self, features: _Optional[_Union[FeatureArtifacts, _Mapping]] = ..., item_count: _Optional[int] = ..., bad_files: _Optional[_Iterable[_Union[_common_pb2.BadFile, _Mapping]]] = ..., model: _Optional[_Union[ModelInfo, _Mapping]] = ..., reused: _Optional[bool] = ..., bad_files_total: _Optional[int] = ..., bad_files_report: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ...) -> None: ...
