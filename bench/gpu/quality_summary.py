#!/usr/bin/env python3
"""Paired differences of the GPU quality runs (bench/gpu/quality.sh): per row, the test accuracy
over seeds, and every row minus random paired by seed (mean, std, SE = std/sqrt(n), and whether the
gain or the loss exceeds 2 SE). Usage: quality_summary.py <folder of run JSON files>."""
from __future__ import annotations

import json
import math
import os
import re
import sys

NAME = re.compile(r"^(?P<row>.+)-r(?P<ratio>[0-9.]+)-s(?P<seed>\d+)$")


def load(folder: str) -> dict[tuple[str, str], dict[int, float]]:
    rows: dict[tuple[str, str], dict[int, float]] = {}
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".json"):
            continue
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            d = json.load(fh)
        m = NAME.match(d.get("run", f[:-5]))
        if not m:
            continue
        rows.setdefault((m["row"], m["ratio"]), {})[int(m["seed"])] = 100 * float(d["test_accuracy"])
    return rows


def stats(xs: list[float]) -> tuple[float, float, float]:
    n = len(xs)
    mean = sum(xs) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else float("nan")
    return mean, std, std / math.sqrt(n) if n > 1 else float("nan")


def summarize(rows: dict[tuple[str, str], dict[int, float]]) -> list[str]:
    out = ["| row | ratio | n | accuracy mean ± std |", "| --- | ---: | ---: | ---: |"]
    for (row, ratio), by_seed in sorted(rows.items()):
        mean, std, _ = stats(list(by_seed.values()))
        out.append(f"| {row} | {ratio} | {len(by_seed)} | {mean:.2f} ± {std:.2f} |")
    out += ["", "| difference | n | mean | SE | gain > 2 SE | loss > 2 SE |", "| --- | ---: | ---: | ---: | --- | --- |"]
    for (row, ratio), by_seed in sorted(rows.items()):
        base = rows.get(("random", ratio))
        if row == "random" or not base:
            continue
        seeds = sorted(set(by_seed) & set(base))
        if not seeds:
            continue
        mean, _, se = stats([by_seed[s] - base[s] for s in seeds])
        gain = "yes" if len(seeds) > 1 and mean > 2 * se else "no"
        loss = "yes" if len(seeds) > 1 and -mean > 2 * se else "no"
        out.append(f"| {row} − random (ρ {ratio}) | {len(seeds)} | {mean:+.2f} | {se:.2f} | {gain} | {loss} |")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: quality_summary.py <folder>")
    print("\n".join(summarize(load(sys.argv[1]))))
