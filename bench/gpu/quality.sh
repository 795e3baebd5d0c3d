#!/usr/bin/env bash
# The quality rows under the published protocol (issue 34): CIFAR ResNet-18 trained from scratch
# for 200 epochs on each committed subset of bench/gpu/selections/ (random and the best rows,
# seeds paired), on one NVIDIA GPU, in about 10 minutes of GPU time. Prints one JSON line per run
# and then the paired differences against random (mean, SE over seeds).
#
#   bash bench/gpu/quality.sh [--parallel 4] [--epochs 200] [--rows random,ccs-fast128,...] [--seeds 0,1,2,3,4]
#
# Needs: a CUDA build of PyTorch for $ADQ_PYTHON [python3] (with numpy and Pillow), and CIFAR-10
# (ImageFolder) at $ADQ_CIFAR [/tmp/cifar/cifar10], extracted from ../shared/datasets/cifar10.tar.gz
# when absent. Several trainings share the GPU at once (--parallel): one ResNet-18 at batch 128 on
# 32x32 images leaves most of a modern GPU idle. Each run is bounded by $RUN_TIMEOUT [540] seconds.
# Results: bench/gpu/quality-runs/<row>-s<seed>.json (commit them with the printed summary in
# bench/gpu/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PARALLEL=4
EPOCHS=200
ROWS=""
SEEDS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --parallel) PARALLEL=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --rows) ROWS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    *) echo "quality.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
PY=${ADQ_PYTHON:-python3}
say() { echo "gpu-quality: $*" >&2; }
"$PY" -c "import torch, numpy, PIL; assert torch.cuda.is_available(), 'no CUDA device'" \
  || { say "$PY needs a CUDA build of PyTorch, numpy and Pillow, and a visible GPU"; exit 2; }
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2
DATA=${ADQ_CIFAR:-/tmp/cifar/cifar10}
if [ ! -d "$DATA/train" ]; then
  tarball=$(ls ../shared/datasets/cifar10.tar.gz shared/datasets/cifar10.tar.gz 2>/dev/null | head -1 || true)
  [ -n "$tarball" ] || { say "no $DATA/train and no cifar10.tar.gz to extract"; exit 2; }
  mkdir -p "$(dirname "$DATA")" && tar -xzf "$tarball" -C "$(dirname "$DATA")"
fi
OUT=bench/gpu/quality-runs
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
jobs_list=()
for f in bench/gpu/selections/*.json.gz; do
  base=$(basename "$f" .json.gz)          # <row>-r<ratio>-s<seed>
  row=${base%-r*}
  seed=${base##*-s}
  if [ -n "$ROWS" ] && [[ ",$ROWS," != *",$row,"* ]]; then continue; fi
  if [ -n "$SEEDS" ] && [[ ",$SEEDS," != *",$seed,"* ]]; then continue; fi
  gunzip -c "$f" > "$WORK/$base.json"
  jobs_list+=("$base")
done
[ ${#jobs_list[@]} -gt 0 ] || { say "no selection matches (bench/gpu/selections/)"; exit 2; }
say "${#jobs_list[@]} run(s), ${PARALLEL} at a time, ResNet-18, ${EPOCHS} epochs, bf16"
# Warm the decoded-pixel cache once so parallel runs do not all decode 60,000 JPEGs.
"$PY" eval/train_subset.py --train "$DATA/train" --test "$DATA/test" --subset "$WORK/${jobs_list[0]}.json" \
  --epochs 1 --device cuda --cache-dir "$WORK/pixels" > /dev/null
t0=$(date +%s)
run_one() { # base
  local base=$1 seed=${1##*-s}
  timeout "${RUN_TIMEOUT:-540}" "$PY" eval/train_subset.py --train "$DATA/train" --test "$DATA/test" \
    --subset "$WORK/$base.json" --model resnet18 --epochs "$EPOCHS" --seed "$seed" --device cuda --bf16 \
    --cache-dir "$WORK/pixels" 2> "$WORK/$base.log" \
    | "$PY" -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); d.pop('per_epoch'); d['run']='$base'; print(json.dumps(d))" \
    > "$OUT/$base.json" || { say "$base failed: $(tail -2 "$WORK/$base.log")"; rm -f "$OUT/$base.json"; }
  [ -s "$OUT/$base.json" ] && cat "$OUT/$base.json"
}
export -f run_one say
export PY DATA WORK OUT EPOCHS
printf '%s\n' "${jobs_list[@]}" | xargs -P "$PARALLEL" -I{} bash -c 'run_one {}'
say "trained in $(( $(date +%s) - t0 )) s of wall time"
"$PY" bench/gpu/quality_summary.py "$OUT"
