from adq_client._proto.adq.v1 import binning_pb2 as _binning_pb2
from adq_client._proto.adq.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AllocateRequest(_message.Message):
    __slots__ = ("task", "bins", "ratio", "alpha", "rs_weight", "ds_weight", "method", "allocation_strength")
    TASK_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    RS_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    DS_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ALLOCATION_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    bins: _containers.RepeatedCompositeFieldContainer[_common_pb2.BinScore]
    ratio: float
    alpha: float
    rs_weight: float
    ds_weight: float
    method: _common_pb2.Method
    allocation_strength: float
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., bins: _Optional[_Iterable[_Union[_common_pb2.BinScore, _Mapping]]] = ..., ratio: _Optional[float] = ..., alpha: _Optional[float] = ..., rs_weight: _Optional[float] = ..., ds_weight: _Optional[float] = ..., method: _Optional[_Union[_common_pb2.Method, str]] = ..., allocation_strength: _Optional[float] = ...) -> None: ...

class AllocateResponse(_message.Message):
    __slots__ = ("bins", "total_selected", "class_selected")
    BINS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SELECTED_FIELD_NUMBER: _ClassVar[int]
    CLASS_SELECTED_FIELD_NUMBER: _ClassVar[int]
    bins: _containers.RepeatedCompositeFieldContainer[_common_pb2.BinScore]
    total_selected: int
    class_selected: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, bins: _Optional[_Iterable[_Union[_common_pb2.BinScore, _Mapping]]] = ..., total_selected: _Optional[int] = ..., class_selected: _Optional[_Iterable[int]] = ...) -> None: ...

class ClassSelection(_message.Message):
    __slots__ = ("class_index", "count", "items")
    CLASS_INDEX_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    class_index: int
    count: int
    items: _common_pb2.ArtifactRef
    def __init__(self, class_index: _Optional[int] = ..., count: _Optional[int] = ..., items: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ...) -> None: ...

class SampleClassRequest(_message.Message):
    __slots__ = ("task", "bins", "allocations", "seed")
    TASK_FIELD_NUMBER: _ClassVar[int]
    BINS_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    bins: _binning_pb2.ClassBins
    allocations: _containers.RepeatedScalarFieldContainer[int]
    seed: int
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., bins: _Optional[_Union[_binning_pb2.ClassBins, _Mapping]] = ..., allocations: _Optional[_Iterable[int]] = ..., seed: _Optional[int] = ...) -> None: ...

class SampleClassResponse(_message.Message):
    __slots__ = ("selection", "reused")
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    selection: ClassSelection
    reused: bool
    def __init__(self, selection: _Optional[_Union[ClassSelection, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...

class QuantizedShard(_message.Message):
    __slots__ = ("class_index", "item_count", "patch_grid", "masks", "patches", "index", "stored_bytes", "original_bytes")
    CLASS_INDEX_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    PATCH_GRID_FIELD_NUMBER: _ClassVar[int]
    MASKS_FIELD_NUMBER: _ClassVar[int]
    PATCHES_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    STORED_BYTES_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    class_index: int
    item_count: int
    patch_grid: _common_pb2.PatchGrid
    masks: _common_pb2.ArtifactRef
    patches: _common_pb2.ArtifactRef
    index: _common_pb2.ArtifactRef
    stored_bytes: int
    original_bytes: int
    def __init__(self, class_index: _Optional[int] = ..., item_count: _Optional[int] = ..., patch_grid: _Optional[_Union[_common_pb2.PatchGrid, _Mapping]] = ..., masks: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., patches: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., index: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., stored_bytes: _Optional[int] = ..., original_bytes: _Optional[int] = ...) -> None: ...

class DropPatchesRequest(_message.Message):
    __slots__ = ("task", "dataset", "selection", "model", "patch_grid", "drop_ratio", "skip_bad_files")
    TASK_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PATCH_GRID_FIELD_NUMBER: _ClassVar[int]
    DROP_RATIO_FIELD_NUMBER: _ClassVar[int]
    SKIP_BAD_FILES_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    dataset: _common_pb2.DatasetRef
    selection: ClassSelection
    model: _common_pb2.ModelRef
    patch_grid: _common_pb2.PatchGrid
    drop_ratio: float
    skip_bad_files: bool
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., dataset: _Optional[_Union[_common_pb2.DatasetRef, _Mapping]] = ..., selection: _Optional[_Union[ClassSelection, _Mapping]] = ..., model: _Optional[_Union[_common_pb2.ModelRef, _Mapping]] = ..., patch_grid: _Optional[_Union[_common_pb2.PatchGrid, _Mapping]] = ..., drop_ratio: _Optional[float] = ..., skip_bad_files: _Optional[bool] = ...) -> None: ...

class DropPatchesResponse(_message.Message):
    __slots__ = ("store", "reused")
    STORE_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    store: QuantizedShard
    reused: bool
    def __init__(self, store: _Optional[_Union[QuantizedShard, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...

class ReconstructRequest(_message.Message):
    __slots__ = ("task", "store", "mae_model", "class_name", "output_size")
    TASK_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    MAE_MODEL_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SIZE_FIELD_NUMBER: _ClassVar[int]
    task: _common_pb2.TaskContext
    store: QuantizedShard
    mae_model: _common_pb2.ModelRef
    class_name: str
    output_size: int
    def __init__(self, task: _Optional[_Union[_common_pb2.TaskContext, _Mapping]] = ..., store: _Optional[_Union[QuantizedShard, _Mapping]] = ..., mae_model: _Optional[_Union[_common_pb2.ModelRef, _Mapping]] = ..., class_name: _Optional[str] = ..., output_size: _Optional[int] = ...) -> None: ...

class ReconstructResponse(_message.Message):
    __slots__ = ("images", "item_count", "reused")
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    images: _common_pb2.ArtifactRef
    item_count: int
    reused: bool
    def __init__(self, images: _Optional[_Union[_common_pb2.ArtifactRef, _Mapping]] = ..., item_count: _Optional[int] = ..., reused: _Optional[bool] = ...) -> None: ...
