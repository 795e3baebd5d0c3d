#!/usr/bin/env bash
# Builds the ADQ container image from deploy/Dockerfile with Debian's podman, on a machine with
# no Docker engine and no container registry (the CI and dev VMs). Idempotent: every step
# reuses what an earlier run left (tools, bundle, staged dependencies, base image).
#
#   bash scripts/build-image.sh                 # → localhost/adq:latest (or $ADQ_IMAGE)
#   bash scripts/build-image.sh --prepare-only  # bundle + staged node_modules only, then e.g.
#                                               #   docker build -f deploy/Dockerfile -t adq .
#
# Steps (each timed on stderr):
#   1. podman, runc, debootstrap from Debian (apt) when missing.
#   2. npm run build: the CLI bundled into dist/adq.mjs (no tsx at run time).
#   3. production dependencies staged in dist/image/node_modules: npm ci --omit=dev from the
#      lock file (CPU onnxruntime-node: ONNXRUNTIME_NODE_INSTALL=skip), other platforms'
#      native binaries removed; sharp's linux-x64 binaries checked. Keyed by the lock file.
#   4. the FROM image, docker.io/library/debian:trixie-slim, made locally when absent:
#      `debootstrap --variant=minbase --include=nodejs trixie` (Debian 13 + Node 20.19), apt
#      caches removed, tarred into $ADQ_IMAGE_CACHE (kept for the next run) and `podman
#      import`ed under that exact name. Registries are never contacted (--pull=never).
#   5. podman build --network=none: the Dockerfile needs no network on this base.
#
# Podman runs as root with runc, cgroupfs and no default ulimits (deploy/containers.conf):
# crun and the default ulimits fail in these VMs.
#
# Environment: ADQ_IMAGE (tag, default localhost/adq:latest), ADQ_IMAGE_CACHE (base rootfs
# cache, default /var/cache/adq-image), ADQ_DEBIAN_MIRROR (default: apt's configured mirror).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

IMAGE=${ADQ_IMAGE:-localhost/adq:latest}
BASE=docker.io/library/debian:trixie-slim
CACHE=${ADQ_IMAGE_CACHE:-/var/cache/adq-image}
PREPARE_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --prepare-only) PREPARE_ONLY=1 ;;
    *) echo "build-image: unknown argument $arg (use --prepare-only)" >&2; exit 2 ;;
  esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
step_start=0
now_ms() { echo $(($(date +%s%N) / 1000000)); }
step() { step_start=$(now_ms); echo "build-image: $*" >&2; }
done_step() { local ms=$(($(now_ms) - step_start)); printf 'build-image:   %s took %d.%d s\n' "$1" $((ms / 1000)) $((ms % 1000 / 100)) >&2; }
pm() { CONTAINERS_CONF="$ROOT/deploy/containers.conf" $SUDO podman --runtime runc --cgroup-manager=cgroupfs "$@"; }

# 1. tools
if [ "$PREPARE_ONLY" -eq 0 ]; then
  need=()
  command -v podman >/dev/null 2>&1 || need+=(podman)
  command -v runc >/dev/null 2>&1 || need+=(runc)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
  if [ "${#need[@]}" -gt 0 ]; then
    echo "build-image: installing ${need[*]} from Debian" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

# 2. bundle
step "bundling the CLI (npm run build)"
[ -d node_modules/esbuild ] || { echo "build-image: run scripts/setup.sh first (dev dependencies)" >&2; exit 1; }
npm run -s build
done_step bundle

# 3. production dependencies
STAGE=dist/image
lock_sum=$( (cat package-lock.json; uname -m) | sha256sum | cut -c1-16)
if [ "$(cat "$STAGE/.lock-sum" 2>/dev/null)" != "$lock_sum" ] || [ ! -d "$STAGE/node_modules" ]; then
  step "staging production dependencies in $STAGE (npm ci --omit=dev)"
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  cp package.json package-lock.json "$STAGE/"
  # The lock file names the npm workspaces (packages/*, services/*, apps/adq): npm ci needs each
  # one's package.json (their dependencies are the image's dependencies), not their sources,
  # which the bundle holds.
  workspaces=$(node -p 'require("./package.json").workspaces.join(" ")')
  for ws in $workspaces; do
    mkdir -p "$STAGE/$ws"
    cp "$ws/package.json" "$STAGE/$ws/"
  done
  (
    cd "$STAGE"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error
  )
  # npm linked the workspaces into node_modules/@adq; in the image their code is in the bundle.
  rm -rf "$STAGE/node_modules/@adq"
  for ws in $workspaces; do rm -rf "${STAGE:?}/${ws%%/*}"; done
  # onnxruntime-node ships every platform's binaries (≈ 290 MB); keep this one's (≈ 45 MB).
  keep="$(node -p 'process.platform')/$(node -p 'process.arch')"
  for d in "$STAGE"/node_modules/onnxruntime-node/bin/napi-v*/*/*; do
    case "$d" in */"$keep") ;; *) rm -rf "$d" ;; esac
  done
  rm -f "$STAGE/package.json" "$STAGE/package-lock.json"
  echo "$lock_sum" >"$STAGE/.lock-sum"
  done_step "npm ci --omit=dev"
fi
for f in onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node \
  @img/sharp-linux-x64/lib/sharp-linux-x64.node; do
  [ -e "$STAGE/node_modules/$f" ] || { echo "build-image: $STAGE/node_modules/$f is missing" >&2; exit 1; }
done
for dev in tsx typescript vitest @biomejs esbuild @adq; do
  [ ! -e "$STAGE/node_modules/$dev" ] || { echo "build-image: dev dependency $dev was staged" >&2; exit 1; }
done
echo "build-image: staged node_modules $(du -sh "$STAGE/node_modules" | cut -f1)" >&2
[ "$PREPARE_ONLY" -eq 1 ] && exit 0

# 4. base image
if ! pm image exists "$BASE"; then
  # The name changes with what goes into the tarball (v2: slimmed).
  rootfs_tar="$CACHE/trixie-minbase-nodejs-v2.tar"
  if [ ! -s "$rootfs_tar" ]; then
    mirror=${ADQ_DEBIAN_MIRROR:-}
    if [ -z "$mirror" ]; then
      # apt's configured Debian mirror (deb822 .sources or one-line sources.list).
      mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' |
        grep -v -- '-security' | head -n1 || true)
      [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
      [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    fi
    step "debootstrap trixie (minbase + nodejs) from $mirror"
    $SUDO mkdir -p "$CACHE"
    dir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap '$SUDO rm -rf "$dir"' EXIT
    $SUDO debootstrap --variant=minbase --include=nodejs trixie "$dir" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
      { tail -n 20 "$CACHE/debootstrap.log" >&2; exit 1; }
    # Slim like the registry's -slim images: no package downloads, apt lists, logs, man pages,
    # translations or documentation other than the copyright files (≈ 100 MiB less).
    $SUDO rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/* \
      "$dir"/usr/share/locale/* "$dir"/usr/share/man/* "$dir"/usr/share/info/*
    $SUDO find "$dir"/usr/share/doc -type f ! -name copyright -delete
    $SUDO find "$dir"/usr/share/doc -type l -delete
    $SUDO tar -C "$dir" --numeric-owner -cf "$rootfs_tar.tmp" .
    $SUDO mv "$rootfs_tar.tmp" "$rootfs_tar"
    $SUDO rm -rf "$dir"
    trap - EXIT
    done_step debootstrap
  fi
  step "importing $rootfs_tar as $BASE"
  pm import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$rootfs_tar" "$BASE" >/dev/null
  done_step import
fi

# 5. image
step "building $IMAGE from deploy/Dockerfile"
pm build --pull=never --network=none --layers -f deploy/Dockerfile -t "$IMAGE" .
done_step "podman build"
size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
echo "build-image: $IMAGE built ($((size / 1024 / 1024)) MiB)" >&2
