#!/usr/bin/env bash
# Builds the pinned Kubernetes tools the chart tests run (test/k8s/), once, from the Go module
# proxy, into a cache directory keyed by the pinned versions and the scratch modules' go.sum:
#   ${ADQ_TOOLS_DIR:-$HOME/.cache/adq-tools}/<key>/bin
# kube-apiserver, kube-controller-manager, kube-scheduler (v1.34.4), etcd (v3.6.6),
# helm (v3.22.0), kwok (v0.8.0), keda-operator and keda-adapter (v2.21.0); beside bin/ it puts
# kwok's stage files (kwok-stages/) and KEDA's CRDs (keda-crds/) from the same modules.
# Idempotent: a binary that exists is reused; each is written to a temporary name and renamed,
# so an interrupted build never leaves a half-written tool behind.
#
# Usage: scripts/k8s-tools.sh            build what is missing (≈15 min on 2 cores from empty caches)
#        scripts/k8s-tools.sh --print    print the tools directory, build nothing
#        scripts/k8s-tools.sh --check    exit 1 (naming what is missing) unless every tool is there
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
MODS="$HERE/k8s-tools"

K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.6
HELM_VERSION=v3.22.0
KWOK_VERSION=v0.8.0
KEDA_VERSION=v2.21.0
# Bump when the recipe (flags, files copied) changes in a way that must invalidate the cache.
RECIPE=1

key_input() {
  echo "recipe=$RECIPE k8s=$K8S_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION kwok=$KWOK_VERSION keda=$KEDA_VERSION"
  cat "$MODS"/*/go.mod "$MODS"/*/go.sum 2>/dev/null
}
KEY="k8s-${K8S_VERSION#v}-$(key_input | sha256sum | cut -c1-12)"
DIR="${ADQ_TOOLS_DIR:-$HOME/.cache/adq-tools}/$KEY"
BIN="$DIR/bin"
TOOLS=(kube-apiserver kube-controller-manager kube-scheduler etcd helm kwok keda-operator keda-adapter)
STAGES=(node-initialize.yaml node-heartbeat-with-lease.yaml pod-ready.yaml pod-complete.yaml pod-delete.yaml)

missing() {
  local t out=()
  for t in "${TOOLS[@]}"; do [ -x "$BIN/$t" ] || out+=("bin/$t"); done
  for t in "${STAGES[@]}"; do [ -f "$DIR/kwok-stages/$t" ] || out+=("kwok-stages/$t"); done
  [ -f "$DIR/keda-crds/keda.sh_scaledobjects.yaml" ] || out+=("keda-crds/")
  echo "${out[*]:-}"
}

case "${1:-}" in
  --print) echo "$DIR"; exit 0 ;;
  --check)
    m="$(missing)"
    if [ -n "$m" ]; then echo "k8s-tools: missing in $DIR: $m (run: bash scripts/k8s-tools.sh)" >&2; exit 1; fi
    exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--print|--check]" >&2; exit 2 ;;
esac

if [ -z "$(missing)" ]; then echo "k8s-tools: all tools present in $DIR" >&2; exit 0; fi

# Go: the toolchain at /usr/local/go if present, else the one on PATH, else Debian's; KEDA's
# go.mod asks for go 1.26, which GOTOOLCHAIN=auto fetches from the module proxy when older.
if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
if ! command -v go >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "k8s-tools: installing golang-go from Debian" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go >/dev/null
fi
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p "$BIN" "$DIR/kwok-stages" "$DIR/keda-crds"
exec 9>"$DIR/.lock"
flock 9 # a second run (another worktree, a retry) waits instead of building the same files

# Builds the named tool packages of one scratch module into BIN, skipping those present.
# $1 module dir, $2 ldflags, then pairs "binary=package".
build_mod() {
  local mod="$1" ldflags="$2"; shift 2
  local pair name pkg tmp
  for pair in "$@"; do
    name="${pair%%=*}"; pkg="${pair#*=}"
    [ -x "$BIN/$name" ] && continue
    tmp="$BIN/.$name.tmp.$$"
    local t0=$SECONDS
    echo "k8s-tools: building $name ($pkg)" >&2
    (cd "$MODS/$mod" && go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg")
    mv -f "$tmp" "$BIN/$name"
    echo "k8s-tools: built $name in $((SECONDS - t0)) s" >&2
  done
}

# go install NAME@VERSION into BIN under a temporary GOBIN, then rename.
install_pkg() {
  local name="$1" pkg="$2" ldflags="$3"
  [ -x "$BIN/$name" ] && return 0
  local gobin="$BIN/.gobin.$$" t0=$SECONDS
  echo "k8s-tools: building $name ($pkg)" >&2
  mkdir -p "$gobin"
  GOFLAGS="-buildvcs=false" GOBIN="$gobin" go install -trimpath -ldflags "$ldflags" "$pkg"
  mv -f "$gobin/$(basename "${pkg%@*}")" "$BIN/$name"
  rmdir "$gobin"
  echo "k8s-tools: built $name in $((SECONDS - t0)) s" >&2
}

moddir() { GOFLAGS= go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

T0=$SECONDS
# etcd first: small, and the API server needs it.
build_mod etcd "-s -w" "etcd=go.etcd.io/etcd/server/v3"

# helm: the Makefile's ldflags, without which it reports Kubernetes v1.20 to templates and lint.
# Kubernetes major/minor come from the client-go helm is built with (v0.X.Y -> 1.X), as in
# helm's Makefile.
if [ ! -x "$BIN/helm" ]; then
  helm_dir="$(moddir "helm.sh/helm/v3@$HELM_VERSION")"
  cg="$(sed -n 's/^\tk8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$helm_dir/go.mod")"
  install_pkg helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$cg \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$cg"
fi

install_pkg kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "-s -w"
kwok_dir="$(moddir "sigs.k8s.io/kwok@$KWOK_VERSION")"
cp -f "$kwok_dir/kustomize/stage/node/fast/node-initialize.yaml" \
  "$kwok_dir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
  "$kwok_dir/kustomize/stage/pod/fast/pod-ready.yaml" \
  "$kwok_dir/kustomize/stage/pod/fast/pod-complete.yaml" \
  "$kwok_dir/kustomize/stage/pod/fast/pod-delete.yaml" "$DIR/kwok-stages/"
chmod u+w "$DIR"/kwok-stages/*

k8s_minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
vpkgs="k8s.io/component-base/version k8s.io/client-go/pkg/version"
k8s_ld="-s -w"
for p in $vpkgs; do
  k8s_ld="$k8s_ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
done
build_mod kubernetes "$k8s_ld" \
  "kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver" \
  "kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager" \
  "kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler"

keda_ld="-s -w -X github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v}"
build_mod keda "$keda_ld" \
  "keda-operator=github.com/kedacore/keda/v2/cmd/operator" \
  "keda-adapter=github.com/kedacore/keda/v2/cmd/adapter"
keda_dir="$(moddir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
cp -f "$keda_dir"/config/crd/bases/*.yaml "$DIR/keda-crds/"
chmod u+w "$DIR"/keda-crds/*

m="$(missing)"
if [ -n "$m" ]; then echo "k8s-tools: still missing after build: $m" >&2; exit 1; fi
echo "k8s-tools: done in $((SECONDS - T0)) s: $DIR" >&2
