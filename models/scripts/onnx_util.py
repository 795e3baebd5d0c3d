"""Writing an exported model's ONNX file with its adq.* metadata (export_resnet20.py, train_mae.py)."""
from __future__ import annotations

import onnx


def save_with_metadata(model: onnx.ModelProto, meta: dict[str, str], doc: str, out: str) -> None:
    """Replaces the model's metadata_props with `meta`, sets its doc string, checks it, saves it to `out`."""
    del model.metadata_props[:]
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    model.doc_string = doc
    onnx.checker.check_model(model)
    onnx.save(model, out)
