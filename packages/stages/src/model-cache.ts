import { FeatureModel, type SessionConfig } from "#ml";
import type { ModelSpec } from "./tasks.ts";

/**
 * One ONNX session per model per process: sessions are expensive to create (graph
 * optimisation) and safe to share between sequential tasks of a worker.
 */
export class ModelCache {
  private readonly models = new Map<string, Promise<FeatureModel>>();

  constructor(private readonly config: SessionConfig = {}) {}

  feature(spec: ModelSpec): Promise<FeatureModel> {
    const key = `${spec.sha256}:${spec.file}`;
    let m = this.models.get(key);
    if (!m) {
      m = FeatureModel.load(spec.file, this.config);
      // A failed load is not cached: the next task retries (e.g. after a file is fixed).
      m.catch(() => this.models.delete(key));
      this.models.set(key, m);
    }
    return m;
  }

  async close(): Promise<void> {
    for (const m of this.models.values()) await (await m.catch(() => undefined))?.release();
    this.models.clear();
  }
}
