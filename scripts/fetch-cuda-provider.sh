#!/usr/bin/env bash
# Fetches ONNX Runtime's CUDA execution provider for onnxruntime-node, and the CUDA libraries it
# links, from PyPI only (no NuGet, no NVIDIA download site): the wheel `onnxruntime-gpu` of
# exactly onnxruntime-node's ONNX Runtime version with its extras `cuda,cudnn` (NVIDIA's
# `nvidia-*` wheels). Since 1.30 those are CUDA 13 builds (the provider NEEDs libcudart.so.13,
# libcublas(Lt).so.13, libcurand.so.10; cuDNN 9 is loaded at run time), so the host needs an
# NVIDIA driver for CUDA 13 (R580 or later).
#
#   bash scripts/fetch-cuda-provider.sh [dir]      # default: deploy/cuda-wheels (git-ignored)
#
# Several GB (cuBLAS, cuDNN): run it once, on a machine with bandwidth; scripts/install-cuda-provider.sh
# and deploy/Dockerfile.cuda then work offline from the directory. Idempotent (pip skips files
# already there). The resolved set is written to <dir>/resolved.json (pip's install report).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-deploy/cuda-wheels}
V=$(node -p 'require("./node_modules/onnxruntime-node/package.json").version')
PY=${PYTHON:-python3}
mkdir -p "$DIR"
plat=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  plat+=(--platform "$p")
done
echo "fetch-cuda-provider: onnxruntime-gpu[cuda,cudnn]==$V (onnxruntime-node's version) → $DIR" >&2
"$PY" -m pip download --only-binary=:all: --python-version 3.12 --implementation cp "${plat[@]}" \
  -d "$DIR" "onnxruntime-gpu[cuda,cudnn]==$V"
ls -1 "$DIR"/*.whl > "$DIR/wheels.txt"
echo "fetch-cuda-provider: $(wc -l < "$DIR/wheels.txt") wheels, $(du -sh "$DIR" | cut -f1)" >&2
