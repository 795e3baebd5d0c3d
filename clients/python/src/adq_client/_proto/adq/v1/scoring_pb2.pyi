from adq_client._proto.adq.v1 import binning_pb2 as _binning_pb2
from adq_client._proto.adq.v1 import common_pb2 as _common_pb2
from adq_client._proto.adq.v1 import features_pb2 as _features_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScoreBinRequest(_message.Message):
    __slots__ = ("task", "dataset", "features", "bins", "bin_index", "diversity", "model", "seed", "skip_diversity")
    TASK_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    BIN_INDEX_FIELD_NUMBER: _ClassVar[int]
    DIVERSITY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SKIP_DIVERSITY_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    dataset: _common_pb2.DatasetRef
    features: _containers.RepeatedCompositeFieldContainer[_features_pb2.FeatureArtifacts]
    bins: _binning_pb2.ClassBins
    bin_index: int
    diversity: _common_pb2.DiversityParams
    model: _common_pb2.ModelRef
    seed: int
    skip_diversity: bool
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., dataset: _Optional[_Union[_common_pb2.DatasetRef, _Mapping]] = ..., features: _Optional[_Iterable[_Union[_features_pb2.FeatureArtifacts, _Mapping]]] = ..., bins: _Optional[_Union[_binning_pb2.ClassBins, _Mapping]] = ..., bin_index: _Optional[int] = ..., diversity: _Optional[_Union[_common_pb2.DiversityParams, _Mapping]] = ..., model: _Optional[_Union[_common_pb2.ModelRef, _Mapping]] = ..., seed: _Optional[int] = ..., skip_diversity: _Optional[bool] = ...) -> None: ...

class ScoreDiagnostics(_message.Message):
    __slots__ = ("rs_stddev", "discriminator_loss", "views")
    RS_STDDEV_FIELD_NUMBER: _ClassVar[int]
    DISCRIMINATOR_LOSS_FIELD_NUMBER: _ClassVar[int]
    VIEWS_FIELD_NUMBER: _ClassVar[int]
    rs_stddev: float
    discriminator_loss: float
    views: int
    def __init__(self, rs_stddev: _Optional[float] = ..., discriminator_loss: _Optional[float] = ..., views: _Optional[int] = ...) -> None: ...

class ScoreBinResponse(_message.Message):
    __slots__ = ("score", "diagnostics", "reused")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    score: _common_pb2.BinScore
    diagnostics: ScoreDiagnostics
    reused: bool
    def __init__(self, score: _Optional[_Union[_common_pb2.BinScore, _Mapping]] = ..., diagnostics: _Optional[_Union[ScoreDiagnostics, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...
