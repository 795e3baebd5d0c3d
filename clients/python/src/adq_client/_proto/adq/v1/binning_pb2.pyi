from adq_client._proto.adq.v1 import common_pb2 as _common_pb2
from adq_client._proto.adq.v1 import features_pb2 as _features_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BinClassRequest(_message.Message):
    __slots__ = ("task", "features", "class_index", "bins", "graphcut_lambda", "seed")
    TASK_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    CLASS_INDEX_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    GRAPHCUT_LAMBDA_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    features: _containers.RepeatedCompositeFieldContainer[_features_pb2.FeatureArtifacts]
    class_index: int
    bins: int
    graphcut_lambda: float
    seed: int
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., features: _Optional[_Iterable[_Union[_features_pb2.FeatureArtifacts, _Mapping]]] = ..., class_index: _Optional[int] = ..., bins: _Optional[int] = ..., graphcut_lambda: _Optional[float] = ..., seed: _Optional[int] = ...) -> None: ...

class ClassBins(_message.Message):
    __slots__ = ("class_index", "class_size", "bin_sizes", "bins")
    CLASS_INDEX_FIELD_NUMBER: _ClassVar[int]
    CLASS_SIZE_FIELD_NUMBER: _ClassVar[int]
    BIN_SIZES_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    class_index: int
    class_size: int
    bin_sizes: _containers.RepeatedScalarFieldContainer[int]
    bins: _common_pb2.ArtifactRef
    def __init__(self, class_index: _Optional[int] = ..., class_size: _Optional[int] = ..., bin_sizes: _Optional[_Iterable[int]] = ..., bins: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ...) -> None: ...

class BinClassResponse(_message.Message):
    __slots__ = ("bins", "reused")
    BINS_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    bins: ClassBins
    reused: bool
    def __init__(self, bins: _Optional[_Union[ClassBins, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...
