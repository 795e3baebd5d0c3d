#!/usr/bin/env bash
# Store sizes of `adq compress` (default ρ = 0.1, θ = 0.25) per store codec, on the bundled
# demo and on EuroSAT RGB train (extracted from ../shared/datasets). Usage:
#   bash bench/store/run.sh /tmp/ds/eurosat_rgb/train > bench/store/results.txt
set -euo pipefail
euro=${1:?path to eurosat_rgb/train}
cache=$(mktemp -d)
for ds in demo/cifar10-demo "$euro"; do
  for codec in webp webp-lossless raw; do
    out=$(mktemp -d)/r
    start=$(date +%s.%N)
    node bin/adq.mjs compress "$ds" --store-codec "$codec" --out "$out" --cache-dir "$cache" --threads 2 >/dev/null 2>&1
    end=$(date +%s.%N)
    node -e '
      const m = JSON.parse(require("fs").readFileSync(process.argv[1] + "/manifest.json", "utf8"));
      const s = m.store, t = JSON.parse(require("fs").readFileSync(process.argv[1] + "/timings.json", "utf8"));
      console.log([process.argv[2], process.argv[3], m.total, m.selected, s.subsetSourceBytes, s.subsetRawBytes, s.bytes,
        (s.bytes / s.subsetSourceBytes).toFixed(3), (s.bytes / s.subsetRawBytes).toFixed(3), (+process.argv[4]).toFixed(1),
        m.gradient ? m.gradient.source + (m.gradient.heldOutAccuracy !== undefined ? "@" + m.gradient.heldOutAccuracy.toFixed(4) : "") : "-",
        JSON.stringify(t)].join("\t"));
    ' "$out" "$(basename "$(dirname "$ds")")/$(basename "$ds")" "$codec" "$(echo "$end - $start" | bc)"
  done
done
rm -rf "$cache"
