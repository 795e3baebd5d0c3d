import { ConflictError } from "./errors.ts";
import type { JobStore, Versioned } from "./ports.ts";

/**
 * Embedded JobStore: an in-memory map with the same compare-and-set semantics as
 * JetStream KV (revision increases by one per write; a stale revision is a ConflictError).
 * Values are deep-copied on the way in and out so callers cannot mutate stored state.
 */
export class MemoryJobStore<J extends { id: string }> implements JobStore<J> {
  private readonly jobs = new Map<string, Versioned<J>>();

  async create(job: J): Promise<Versioned<J>> {
    if (this.jobs.has(job.id)) throw new ConflictError(`job ${job.id} already exists`);
    const v = { value: structuredClone(job), revision: 1 };
    this.jobs.set(job.id, v);
    return structuredClone(v);
  }

  async get(id: string): Promise<Versioned<J> | undefined> {
    const v = this.jobs.get(id);
    return v ? structuredClone(v) : undefined;
  }

  async update(job: J, expectedRevision: number): Promise<Versioned<J>> {
    const cur = this.jobs.get(job.id);
    if (!cur) throw new ConflictError(`job ${job.id} does not exist`);
    if (cur.revision !== expectedRevision) {
      throw new ConflictError(`job ${job.id}: expected revision ${expectedRevision}, found ${cur.revision}`);
    }
    const v = { value: structuredClone(job), revision: cur.revision + 1 };
    this.jobs.set(job.id, v);
    return structuredClone(v);
  }

  async list(): Promise<J[]> {
    return [...this.jobs.values()].map((v) => structuredClone(v.value));
  }

  async delete(id: string): Promise<void> {
    this.jobs.delete(id);
  }
}
