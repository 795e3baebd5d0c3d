import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeNpy, encodeNpy } from "./npy.ts";

// Debian's interpreter: scripts/setup.sh installs python3-numpy for it.
const PY = "/usr/bin/python3";

function hasNumpy(): boolean {
  try {
    execFileSync(PY, ["-c", "import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("npy", () => {
  it("round-trips every supported dtype and shape", () => {
    const cases = [
      { data: new Float32Array([1.5, -2, 3, 4, 5, 6]), shape: [2, 3] },
      { data: new Float64Array([Math.PI]), shape: [1] },
      { data: new Int32Array([-1, 2, 3]), shape: [3] },
      { data: new Uint8Array([0, 255, 7, 8]), shape: [2, 2, 1] },
      { data: new BigInt64Array([1n, -2n]), shape: [2] },
    ];
    for (const c of cases) {
      const bytes = encodeNpy(c);
      expect((bytes.length - c.data.byteLength) % 64).toBe(0);
      const back = decodeNpy(bytes);
      expect(back.shape).toEqual(c.shape);
      expect(back.data).toEqual(c.data);
    }
  });

  it("rejects a shape that does not match the data, bad magic and truncation", () => {
    expect(() => encodeNpy({ data: new Float32Array(3), shape: [2, 2] })).toThrow(/shape/);
    expect(() => decodeNpy(new Uint8Array(20), "x.npy")).toThrow(/x.npy: not a .npy/);
    const ok = encodeNpy({ data: new Float32Array(10), shape: [10] });
    expect(() => decodeNpy(ok.subarray(0, ok.length - 4), "t.npy")).toThrow(/t.npy: truncated/);
  });

  it.runIf(hasNumpy())("is read and written by numpy", () => {
    const dir = mkdtempSync(join(tmpdir(), "npy-"));
    const ours = join(dir, "ours.npy");
    writeFileSync(ours, encodeNpy({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] }));
    const theirs = join(dir, "theirs.npy");
    const out = execFileSync(PY, [
      "-c",
      `import numpy as np; a=np.load(${JSON.stringify(ours)}); print(a.shape, a.dtype, a.sum()); np.save(${JSON.stringify(theirs)}, np.arange(12, dtype=np.int32).reshape(3,4))`,
    ]).toString();
    expect(out.trim()).toBe("(3, 2) float32 21.0");
    const back = decodeNpy(readFileSync(theirs));
    expect(back.shape).toEqual([3, 4]);
    expect(Array.from(back.data as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
