import { FeatureModel, MaeModel, type SessionConfig } from "@adq/ml";
import type { ModelSpec } from "./tasks.ts";

/**
 * One ONNX session per model file per process: sessions are expensive to create (graph
 * optimisation) and safe to share between sequential tasks of a worker.
 */
export class ModelCache {
  private readonly sessions = new Map<string, Promise<FeatureModel | MaeModel>>();

  constructor(private readonly config: SessionConfig = {}) {}

  feature(spec: ModelSpec): Promise<FeatureModel> {
    const names = spec.outputs ? JSON.stringify(spec.outputs) : "";
    return this.get(`feature:${spec.sha256}:${spec.file}:${names}:${spec.inputSize ?? ""}`, () =>
      FeatureModel.load(
        spec.file,
        this.config,
        spec.outputs ?? {},
        spec.inputSize !== undefined ? { inputSize: spec.inputSize } : {},
      ),
    );
  }

  mae(spec: ModelSpec): Promise<MaeModel> {
    return this.get(`mae:${spec.sha256}:${spec.file}`, () => MaeModel.load(spec.file, this.config));
  }

  private get<T extends FeatureModel | MaeModel>(key: string, load: () => Promise<T>): Promise<T> {
    let m = this.sessions.get(key) as Promise<T> | undefined;
    if (!m) {
      m = load();
      // A failed load is not cached: the next task retries (e.g. after a file is fixed).
      m.catch(() => this.sessions.delete(key));
      this.sessions.set(key, m);
    }
    return m;
  }

  async close(): Promise<void> {
    for (const m of this.sessions.values()) await (await m.catch(() => undefined))?.release();
    this.sessions.clear();
  }
}
