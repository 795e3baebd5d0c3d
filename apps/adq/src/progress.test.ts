import { describe, expect, it } from "vitest";
import { ConsoleProgress, formatDuration } from "./progress.ts";

describe("progress", () => {
  it("formats durations", () => {
    expect(formatDuration(0)).toBe("00:00");
    expect(formatDuration(61_000)).toBe("01:01");
    expect(formatDuration(3_725_000)).toBe("1:02:05");
    expect(formatDuration(Number.NaN)).toBe("--:--");
  });

  it("logs plain lines with an ETA when not a TTY", () => {
    const lines: string[] = [];
    let t = 0;
    const p = new ConsoleProgress({ write: (s: string) => lines.push(s) }, () => t);
    p.stage("features", 100);
    t = 10_000;
    p.advance(50);
    t = 20_000;
    p.finish();
    expect(lines[0]).toBe("features: 0/100 (0%) ETA --:--\n");
    expect(lines[1]).toBe("features: 50/100 (50%) ETA 00:10\n");
    expect(lines.at(-1)).toBe("features: done 100/100 in 00:20\n");
  });

  it("redraws a bar in place on a TTY", () => {
    const out: string[] = [];
    const p = new ConsoleProgress({ write: (s: string) => out.push(s), isTTY: true, columns: 80 }, () => 0);
    p.stage("binning", 10);
    p.advance(5);
    // \r + ESC[2K clears the line before each redraw.
    expect(out[1]!.startsWith("\r\u001b[2K")).toBe(true);
    expect(out[1]!.slice(5)).toMatch(/^binning {4}\[#+\.+\] 5\/10 ETA/);
  });
});
