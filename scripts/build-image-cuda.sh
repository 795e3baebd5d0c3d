#!/usr/bin/env bash
# Builds the GPU image (deploy/Dockerfile.cuda) offline, with podman: the CPU image
# (scripts/build-image.sh, made first when absent) plus ONNX Runtime's CUDA provider and the CUDA
# 13 / cuDNN 9 libraries, all from PyPI wheels fetched beforehand by scripts/fetch-cuda-provider.sh.
# No registry, no NVIDIA base image, --network=none.
#
#   bash scripts/fetch-cuda-provider.sh            # once, several GB → deploy/cuda-wheels
#   bash scripts/build-image-cuda.sh               # → localhost/adq:cuda ($ADQ_CUDA_IMAGE)
#
# Staging: dist/image-cuda/lib (the nvidia-* wheels' libraries, flat) and
# dist/image-cuda/providers (libonnxruntime_providers_{cuda,shared}.so), after the ABI checks of
# scripts/install-cuda-provider.sh (same ONNX Runtime version, bridge entry points, every NEEDED
# library present but the driver's libcuda.so.1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WHEELS=${ADQ_CUDA_WHEELS:-deploy/cuda-wheels}
BASE_IMAGE=${ADQ_IMAGE:-localhost/adq:latest}
IMAGE=${ADQ_CUDA_IMAGE:-localhost/adq:cuda}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pm() { CONTAINERS_CONF="$ROOT/deploy/containers.conf" $SUDO podman --runtime runc --cgroup-manager=cgroupfs "$@"; }
pm image exists "$BASE_IMAGE" || bash scripts/build-image.sh
rm -rf dist/image-cuda
mkdir -p dist/image-cuda/lib dist/image-cuda/providers
ADQ_PROVIDER_DIR=dist/image-cuda/providers bash scripts/install-cuda-provider.sh "$WHEELS" "$ROOT/dist/image-cuda/lib" > /dev/null
pm build --pull=never --network=none -f deploy/Dockerfile.cuda --build-arg BASE="$BASE_IMAGE" -t "$IMAGE" .
size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
echo "build-image-cuda: $IMAGE built ($((size / 1024 / 1024)) MiB)" >&2
