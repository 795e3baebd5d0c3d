#!/usr/bin/env bash
# The GPU benchmark: one command, at most ~8 minutes, on a machine with an NVIDIA GPU
# (driver for CUDA 13, R580+). Prints features images/s of the general backbone on the GPU
# (CUDA execution provider) against the CPU, and the end-to-end `adq compress` time of all
# 50,000 CIFAR-10 training images on the GPU (and, with --cpu-e2e, on the CPU for the ratio).
#
#   bash bench/gpu/run.sh [cifar10/train]      # default: /tmp/cifar/cifar10/train, extracted
#                                              # from ../shared/datasets/cifar10.tar.gz if absent
# Needs: node ≥ 20 and `npm ci` done (ONNXRUNTIME_NODE_INSTALL=skip), and the CUDA provider:
#   - installed already (scripts/install-cuda-provider.sh; the localhost/adq:cuda image has it), or
#   - wheels in $ADQ_CUDA_WHEELS (scripts/fetch-cuda-provider.sh) — installed here, and the CUDA
#     libraries taken from those wheels, or with ADQ_CUDA_LIBS_FROM_PYTHON=1 from python3's
#     nvidia-* packages (a PyTorch cu130 installation has them).
# Results: bench/gpu/README.md ("not run" until a GPU machine runs this; commit its output there).
set -euo pipefail
cd "$(dirname "$0")/../.."
CPU_E2E=0
DATA=""
for a in "$@"; do
  case "$a" in
    --cpu-e2e) CPU_E2E=1 ;;
    *) DATA=$a ;;
  esac
done
say() { echo "gpu-bench: $*" >&2; }
command -v nvidia-smi > /dev/null || { say "no nvidia-smi: not a GPU machine"; exit 2; }
command -v node > /dev/null || { say "node ≥ 20 is needed"; exit 2; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2
BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ ! -e "$BIN/libonnxruntime_providers_cuda.so" ]; then
  [ -n "${ADQ_CUDA_WHEELS:-}" ] || { say "no CUDA provider in $BIN and no \$ADQ_CUDA_WHEELS"; exit 2; }
  LIBDIR=${ADQ_CUDA_LIBDIR:-/tmp/adq-cuda/lib}
  eval "$(bash scripts/install-cuda-provider.sh "$ADQ_CUDA_WHEELS" "$LIBDIR")"
fi
export LD_LIBRARY_PATH=${ADQ_CUDA_LIBDIR:-/tmp/adq-cuda/lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ -z "$DATA" ]; then
  DATA=/tmp/cifar/cifar10/train
  if [ ! -d "$DATA" ]; then
    tarball=$(ls ../shared/datasets/cifar10.tar.gz shared/datasets/cifar10.tar.gz 2>/dev/null | head -1 || true)
    [ -n "$tarball" ] || { say "no $DATA and no cifar10.tar.gz to extract"; exit 2; }
    mkdir -p /tmp/cifar && tar -xzf "$tarball" -C /tmp/cifar
  fi
fi
say "features, CPU ($(nproc) cores) then CUDA"
timeout 150 npx tsx bench/gpu/features.ts "$DATA" --execution-provider cpu --limit 2048 --sides 128,224
timeout 120 npx tsx bench/gpu/features.ts "$DATA" --execution-provider cuda --limit 8192 --sides 128,224
e2e() { # provider
  local cache out t0 t1
  cache=$(mktemp -d) out=$(mktemp -d)
  t0=$(date +%s.%N)
  timeout 240 node bin/adq.mjs compress "$DATA" --ratio 0.1 --seed 0 --execution-provider "$1" \
    --cache-dir "$cache" --out "$out/r" > /dev/null
  t1=$(date +%s.%N)
  echo "{\"e2e\":\"adq compress (CCS, the default) of $(basename "$(dirname "$DATA")")/$(basename "$DATA")\",\"provider\":\"$1\",\"seconds\":$(echo "$t1 - $t0" | bc),\"timings_ms\":$(tr -d '\n ' < "$out/r/timings.json")}"
  rm -rf "$cache" "$out"
}
say "end to end, CUDA"
e2e cuda
if [ "$CPU_E2E" = 1 ]; then say "end to end, CPU"; e2e cpu; fi
