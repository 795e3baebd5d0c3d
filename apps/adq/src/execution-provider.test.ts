import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "./compress.ts";
import { executionProviderOf } from "./execution-provider.ts";

describe("--execution-provider / $ADQ_EXECUTION_PROVIDER", () => {
  const saved = process.env.ADQ_EXECUTION_PROVIDER;
  afterEach(() => {
    if (saved === undefined) delete process.env.ADQ_EXECUTION_PROVIDER;
    else process.env.ADQ_EXECUTION_PROVIDER = saved;
  });

  it("is unset by default and takes the flag over the environment", () => {
    delete process.env.ADQ_EXECUTION_PROVIDER;
    expect(executionProviderOf(undefined)).toBeUndefined();
    process.env.ADQ_EXECUTION_PROVIDER = "CUDA";
    expect(executionProviderOf(undefined)).toBe("cuda");
    expect(executionProviderOf("cpu")).toBe("cpu");
    process.env.ADQ_EXECUTION_PROVIDER = "";
    expect(executionProviderOf(undefined)).toBeUndefined();
  });

  it("rejects other values, naming where they came from", () => {
    delete process.env.ADQ_EXECUTION_PROVIDER;
    expect(() => executionProviderOf("tensorrt")).toThrow(UsageError);
    expect(() => executionProviderOf("tensorrt")).toThrow(
      '--execution-provider must be one of cpu, cuda, got "tensorrt"',
    );
    process.env.ADQ_EXECUTION_PROVIDER = "gpu";
    expect(() => executionProviderOf(undefined)).toThrow(
      '$ADQ_EXECUTION_PROVIDER must be one of cpu, cuda, got "gpu"',
    );
  });
});
