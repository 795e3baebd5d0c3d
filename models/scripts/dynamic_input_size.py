"""Makes a committed feature model's spatial input size symbolic, so one file serves several sides.

EfficientNet-Lite0 was exported at 224x224 with TensorFlow "same" padding traced into the graph
as `pad = constant − input side` (export_efficientnet_lite0.py computes part of the amount in
Python, part from the traced shape), which is right only at 224: at 96 it would pad up to 225.
This script runs the graph once at the export side, reads every Pad node's amounts, writes
them back as constants and drops the shape arithmetic that computed them. For an even input
the pads of a stride-2 convolution do not depend on the side (k − 2 in total), and stride-1
pads never do (k − 1), so every side that is a multiple of 32 (five stride-2 steps) gets
exactly TF "same" padding: 96, 128, 160, 192, 224, ... Weights and every other node are
untouched; at 224 the outputs equal the static file's (checked below, to the bit). The file
records the rule in metadata `adq.input.size_multiple` and keeps `adq.input.size` as the
default side; the loader refuses sides that are not a multiple (packages/ml/src/feature-model.ts).

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install onnx onnxruntime
  /tmp/venv/bin/python models/scripts/dynamic_input_size.py models/efficientnet-lite0.onnx --multiple 32
"""
import argparse

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("--multiple", type=int, required=True)
ap.add_argument("--out", default=None, help="default: overwrite the input file")
a = ap.parse_args()
m = onnx.load(a.model)
g = m.graph
inp = g.input[0]
side = inp.type.tensor_type.shape.dim[2].dim_value
assert side > 0 and side % a.multiple == 0, "the model's static side must be a multiple"

# 1. The pad amounts at the export side, read by exposing them as outputs.
pads = [n for n in g.node if n.op_type == "Pad"]
probe = onnx.ModelProto()
probe.CopyFrom(m)
for n in pads:
    probe.graph.output.append(helper.make_tensor_value_info(n.input[1], onnx.TensorProto.INT64, None))
so = ort.SessionOptions()
so.log_severity_level = 3
sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).standard_normal((2, 3, side, side)).astype(np.float32)
names = [o.name for o in probe.graph.output]
vals = dict(zip(names, sess.run(names, {inp.name: x})))
ref = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
ref_out = ref.run(None, {inp.name: x})

# 2. Constants in their place.
for i, n in enumerate(pads):
    cname = f"adq_const_pads_{i}"
    g.initializer.append(numpy_helper.from_array(vals[n.input[1]].astype(np.int64), cname))
    n.input[1] = cname

# 3. Drop the nodes nothing needs any more (the shape arithmetic), walking back from the outputs.
needed = {o.name for o in g.output}
keep = []
for n in reversed(list(g.node)):
    if any(o in needed for o in n.output):
        keep.append(n)
        needed.update(i for i in n.input if i)
keep.reverse()
del g.node[:]
g.node.extend(keep)
inits = [t for t in g.initializer if t.name in needed]
del g.initializer[:]
g.initializer.extend(inits)

# 4. Symbolic side.
dims = inp.type.tensor_type.shape.dim
for d in (2, 3):
    dims[d].Clear()
    dims[d].dim_param = "S"
for o in g.output:
    od = o.type.tensor_type.shape.dim
    if len(od) == 4:
        for d, p in ((2, "h"), (3, "w")):
            od[d].Clear()
            od[d].dim_param = p
del g.value_info[:]
props = {p.key: p for p in m.metadata_props}
if "adq.input.size_multiple" in props:
    props["adq.input.size_multiple"].value = str(a.multiple)
else:
    m.metadata_props.add(key="adq.input.size_multiple", value=str(a.multiple))
onnx.checker.check_model(m)

# 5. Same outputs at the export side, to the bit; other multiples give the expected map size.
new = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
for r, o in zip(ref_out, new.run(None, {inp.name: x})):
    assert r.shape == o.shape and np.array_equal(r, o), "outputs changed at the export side"
for s in (a.multiple * 3, a.multiple * 4):
    outs = new.run(None, {inp.name: np.zeros((1, 3, s, s), np.float32)})
    for o in outs:
        if o.ndim == 4:
            assert o.shape[2] == s // 32 and o.shape[3] == s // 32, (s, o.shape)
onnx.save(m, a.out or a.model)
print("wrote", a.out or a.model, "nodes", len(g.node), "pad amounts", sorted({tuple(vals[n.input[1]].tolist()) if False else tuple(numpy_helper.to_array(t).tolist()) for n in pads for t in g.initializer if t.name == n.input[1]}))
