#!/usr/bin/env bash
# Builds grpcurl (pinned) from the Go module proxy, once, into a cache directory:
#   ${ADQ_TOOLS_DIR:-$HOME/.cache/adq-tools}/grpcurl-<version>/grpcurl
# test/services/grpcurl.test.ts runs it against a real `adq serve` (reflection, a JSON call,
# error details). Without Go this prints why and exits 0: the test then skips with the same
# message. Idempotent; the binary is written to a temporary GOBIN and renamed, so an
# interrupted build leaves nothing half-written.
#
# Usage: scripts/grpcurl.sh           build if missing (≈1–3 min on 2 cores from empty caches)
#        scripts/grpcurl.sh --print   print the binary's path, build nothing
set -euo pipefail
VERSION=v1.9.4
DIR="${ADQ_TOOLS_DIR:-$HOME/.cache/adq-tools}/grpcurl-${VERSION#v}"
BIN="$DIR/grpcurl"
case "${1:-}" in
  --print) echo "$BIN"; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--print]" >&2; exit 2 ;;
esac
[ -x "$BIN" ] && { echo "grpcurl: present at $BIN" >&2; exit 0; }
if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
if ! command -v go >/dev/null 2>&1; then
  echo "grpcurl: Go is not installed: not built (the grpcurl interop test will skip)" >&2
  exit 0
fi
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9
[ -x "$BIN" ] && exit 0
gobin="$DIR/.gobin.$$"
mkdir -p "$gobin"
t0=$SECONDS
echo "grpcurl: building github.com/fullstorydev/grpcurl/cmd/grpcurl@$VERSION" >&2
CGO_ENABLED=0 GOFLAGS="-buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOBIN="$gobin" \
  go install -trimpath -ldflags "-s -w" "github.com/fullstorydev/grpcurl/cmd/grpcurl@$VERSION"
mv -f "$gobin/grpcurl" "$BIN"
rmdir "$gobin"
echo "grpcurl: built in $((SECONDS - t0)) s: $BIN" >&2
