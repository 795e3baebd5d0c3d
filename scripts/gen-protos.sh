#!/usr/bin/env bash
# Generates what protoc makes from proto/ (pinned grpcio-tools in the Python client's venv):
#   services/common/proto/descriptors.binpb FileDescriptorSet (imports + comments) that the servers'
#                                         reflection serves: real file names, map entries, json names
#   clients/python/src/adq_client/_proto/ Python messages, stubs and .pyi type hints
# Both are committed; `--check` regenerates into a temporary folder and fails on any difference
# (run by `npm run test:python`), so a proto change without a regeneration cannot land.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${ADQ_PYTHON:-clients/python/.venv/bin/python}"
[ -x "$PY" ] || { echo "gen-protos: $PY missing (run scripts/setup.sh)" >&2; exit 1; }
OUT_DESC=services/common/proto/descriptors.binpb
OUT_PY=clients/python/src/adq_client/_proto
ADQ_PROTOS=(adq/v1/common.proto adq/v1/compression_service.proto adq/v1/features.proto
  adq/v1/binning.proto adq/v1/scoring.proto adq/v1/sampling.proto)
SVC_PROTOS=(google/rpc/status.proto google/rpc/error_details.proto grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto
  grpc/reflection/v1alpha/reflection.proto)

generate() { # $1: descriptor set path, $2: python output folder
  local desc="$1" py="$2"
  mkdir -p "$py"
  "$PY" -m grpc_tools.protoc -I proto -I services/common/proto --include_imports --include_source_info \
    --descriptor_set_out="$desc" "${ADQ_PROTOS[@]}" "${SVC_PROTOS[@]}"
  "$PY" -m grpc_tools.protoc -I proto --python_out="$py" --pyi_out="$py" --grpc_python_out="$py" \
    "${ADQ_PROTOS[@]}"
  # protoc writes absolute imports of the proto package (`from adq.v1 import common_pb2`): make
  # them imports inside this package, so the client adds no top-level `adq` module.
  find "$py" -name '*.py' -o -name '*.pyi' | sort | while read -r f; do
    sed -i 's/^from adq\.v1 import /from adq_client._proto.adq.v1 import /' "$f"
  done
  touch "$py/__init__.py" "$py/adq/__init__.py" "$py/adq/v1/__init__.py"
}

case "${1:-}" in
  "")
    rm -rf "$OUT_PY/adq"
    generate "$OUT_DESC" "$OUT_PY"
    echo "gen-protos: wrote $OUT_DESC and $OUT_PY" >&2 ;;
  --check)
    tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
    generate "$tmp/descriptors.binpb" "$tmp/py"
    cmp -s "$tmp/descriptors.binpb" "$OUT_DESC" ||
      { echo "gen-protos: $OUT_DESC is stale: run bash scripts/gen-protos.sh" >&2; exit 1; }
    diff -r -x __pycache__ -x __init__.py "$tmp/py/adq" "$OUT_PY/adq" >/dev/null ||
      { echo "gen-protos: $OUT_PY is stale: run bash scripts/gen-protos.sh" >&2; exit 1; }
    echo "gen-protos: generated files match proto/" >&2 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
