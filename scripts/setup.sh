#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages the suite needs, then npm deps.
# Idempotent: skips what is already there. Safe to run as root (CI) or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nats-server >/dev/null 2>&1 || need_apt+=(nats-server)
# Debian's Python with numpy: tests check our .npy files against numpy itself.
/usr/bin/python3 -c "import numpy" >/dev/null 2>&1 || need_apt+=(python3-numpy)
# Debian's PyTorch: `adq eval` (and its tests) train models with it.
/usr/bin/python3 -c "import torch" >/dev/null 2>&1 || need_apt+=(python3-torch python3-torchvision)
# openssl: the Kubernetes tests make their cluster's CA and certificates with it.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# python3-yaml: the chart test checks values.schema.json against values.yaml with it.
/usr/bin/python3 -c "import yaml" >/dev/null 2>&1 || need_apt+=(python3-yaml)
if [ "${#need_apt[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${need_apt[*]} from Debian" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# onnxruntime-node's install script downloads CUDA binaries; the CPU binaries ship in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Kubernetes tools for test/k8s (kube-apiserver, controller-manager, scheduler, etcd, helm,
# kwok, KEDA): built once from the Go module proxy into a cache keyed by their pinned versions
# (~15-25 min on 2 cores the first time, then nothing). ADQ_K8S_TESTS=0 skips the build and
# those tests; otherwise the tests fail when the tools are missing.
if [ "${ADQ_K8S_TESTS:-1}" != "0" ]; then
  bash scripts/k8s-tools.sh
fi
