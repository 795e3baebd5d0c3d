#!/usr/bin/env bash
# Installs ONNX Runtime's CUDA execution provider into onnxruntime-node from PyPI wheels
# (scripts/fetch-cuda-provider.sh), offline, and checks the ABI before anything runs:
#   1. the provider wheel's version equals onnxruntime-node's (the provider bridge between
#      libonnxruntime.so.1 and libonnxruntime_providers_*.so is version-specific);
#   2. libonnxruntime_providers_shared.so exports Provider_GetHost/Provider_SetHost and
#      libonnxruntime_providers_cuda.so GetProvider (what node's libonnxruntime.so.1 dlopens);
#   3. every library the provider NEEDs resolves (ldd) against LIBDIR, except libcuda.so.1,
#      which the NVIDIA driver provides on the GPU host.
#
#   bash scripts/install-cuda-provider.sh <wheel dir> [LIBDIR]
#     LIBDIR (default /opt/adq-cuda/lib): the CUDA libraries from the nvidia-* wheels, flat.
#     With ADQ_CUDA_LIBS_FROM_PYTHON=1 the nvidia-* libraries already installed in python3's
#     site-packages (e.g. by PyTorch cu130) are linked into LIBDIR instead.
#     ADQ_PROVIDER_DIR: where the two provider libraries go (default: onnxruntime-node's binary
#     folder, next to libonnxruntime.so.1, where it dlopens them; scripts/build-image-cuda.sh
#     stages them for the image instead).
# Prints the LD_LIBRARY_PATH to export. Exit 1 with the reason when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=${1:?usage: install-cuda-provider.sh <wheel dir> [LIBDIR]}
LIBDIR=${2:-/opt/adq-cuda/lib}
NODE_ORT=$(node -p 'require("./node_modules/onnxruntime-node/package.json").version')
BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
fail() { echo "install-cuda-provider: $*" >&2; exit 1; }
[ -e "$BIN/libonnxruntime.so.1" ] || fail "$BIN/libonnxruntime.so.1 missing (npm ci first)"
whl=$(ls "$WHEELS"/onnxruntime_gpu-"$NODE_ORT"-*.whl 2>/dev/null | head -1) ||
  true
[ -n "$whl" ] || fail "no onnxruntime_gpu-$NODE_ORT wheel in $WHEELS (onnxruntime-node is $NODE_ORT; run scripts/fetch-cuda-provider.sh)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 1-2. Provider libraries of the same version, with the bridge's entry points.
python3 - "$whl" "$tmp" <<'PY'
import sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.endswith(("libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so")):
            open(f"{out}/{n.rsplit('/', 1)[1]}", "wb").write(z.read(n))
PY
for f in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
  [ -s "$tmp/$f" ] || fail "$f not in $whl"
done
strings "$BIN/libonnxruntime.so.1" | grep -x "$NODE_ORT" > /dev/null || fail "node's libonnxruntime.so.1 does not say version $NODE_ORT"
readelf --dyn-syms -W "$tmp/libonnxruntime_providers_shared.so" | grep " Provider_GetHost" > /dev/null ||
  fail "libonnxruntime_providers_shared.so exports no Provider_GetHost"
readelf --dyn-syms -W "$tmp/libonnxruntime_providers_cuda.so" | grep " GetProvider" > /dev/null ||
  fail "libonnxruntime_providers_cuda.so exports no GetProvider"
# 3. CUDA libraries, flat in LIBDIR.
mkdir -p "$LIBDIR"
if [ "${ADQ_CUDA_LIBS_FROM_PYTHON:-0}" = 1 ]; then
  site=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))') ||
    fail "ADQ_CUDA_LIBS_FROM_PYTHON=1 but python3 has no nvidia-* packages"
  find "$site/nvidia" -name 'lib*.so*' -type f -exec ln -sf {} "$LIBDIR"/ \;
else
  for w in "$WHEELS"/nvidia_*.whl; do
    [ -e "$w" ] || fail "no nvidia_*.whl in $WHEELS"
    python3 - "$w" "$LIBDIR" <<'PY'
import sys, zipfile, os
w, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(w) as z:
    for n in z.namelist():
        base = n.rsplit("/", 1)[-1]
        if "/lib/" in n and base.startswith("lib") and ".so" in base:
            with open(os.path.join(out, base), "wb") as f:
                f.write(z.read(n))
PY
  done
fi
missing=$(LD_LIBRARY_PATH="$LIBDIR" ldd "$tmp/libonnxruntime_providers_cuda.so" | grep "not found" | grep -v "libcuda.so.1" || true)
[ -z "$missing" ] || fail "the CUDA provider's libraries do not resolve in $LIBDIR: $missing"
ls "$LIBDIR"/libcudnn.so.9* > /dev/null 2>&1 || fail "no libcudnn.so.9 in $LIBDIR (the provider loads cuDNN 9 at run time)"
DEST=${ADQ_PROVIDER_DIR:-$BIN}
mkdir -p "$DEST"
cp "$tmp/libonnxruntime_providers_cuda.so" "$tmp/libonnxruntime_providers_shared.so" "$DEST/"
echo "install-cuda-provider: onnxruntime-gpu $NODE_ORT provider installed in $DEST; CUDA libraries in $LIBDIR" >&2
echo "export LD_LIBRARY_PATH=$LIBDIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
