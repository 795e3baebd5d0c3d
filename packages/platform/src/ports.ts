/**
 * The platform ports (docs/architecture.md §2). Stage handlers and the coordinator
 * depend only on these interfaces; the embedded adapters (filesystem, memory, in-process
 * queue) and the NATS JetStream adapters implement them and pass the same contract tests.
 */

import { type ErrorInfo, errorInfo } from "@adq/core";

export interface ArtifactInfo {
  key: string;
  size: number;
  /** Hex sha256 of the content: artifacts are immutable once written. */
  digest: string;
  mediaType: string;
}

export interface ArtifactStore {
  /**
   * Writes an artifact atomically: readers see either nothing or the whole content.
   * Re-writing the same key with the same content is a no-op (idempotent redelivery).
   */
  put(key: string, data: Uint8Array, mediaType?: string): Promise<ArtifactInfo>;
  /** @throws NotFoundError */
  get(key: string): Promise<Uint8Array>;
  /** Streams the content in chunks (bounded memory for large artifacts). @throws NotFoundError */
  stream(key: string, chunkSize?: number): AsyncIterable<Uint8Array>;
  stat(key: string): Promise<ArtifactInfo | undefined>;
  /** Lists artifacts whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<ArtifactInfo[]>;
  /** Deletes every artifact under `prefix`; returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
}

export interface Versioned<T> {
  value: T;
  revision: number;
}

export interface JobStore<J extends { id: string }> {
  /** @throws ConflictError when the id exists */
  create(job: J): Promise<Versioned<J>>;
  get(id: string): Promise<Versioned<J> | undefined>;
  /** Compare-and-set: succeeds only if the stored revision equals `expectedRevision`. @throws ConflictError */
  update(job: J, expectedRevision: number): Promise<Versioned<J>>;
  list(): Promise<J[]>;
  delete(id: string): Promise<void>;
}

/** A unit of stage work. Small: it references artifacts, never carries bulk data. */
export interface TaskMessage {
  jobId: string;
  stage: string;
  /** Unique within (job, stage); outputs are keyed by it so redelivery is idempotent. */
  taskKey: string;
  payload: unknown;
  /** The job's tenant (metrics and logs by tenant; never used to authorize). */
  tenant?: string;
  /** 1 on first delivery. */
  attempt?: number;
}

export interface TaskContext {
  attempt: number;
  signal: AbortSignal;
}

export type TaskHandler = (task: TaskMessage, ctx: TaskContext) => Promise<unknown>;

export interface TaskOutcome {
  task: TaskMessage;
  ok: boolean;
  result?: unknown;
  error?: string;
  /** True when the error will not go away on retry (bad input): no redelivery. */
  permanent?: boolean;
  /** What a typed error said about itself (status, field, reason, file), for the coordinator's callers. */
  errorInfo?: ErrorInfo;
}

/** The outcome of a task whose handler threw `e` for the last time. */
export function failedOutcome(task: TaskMessage, e: unknown, permanent: boolean): TaskOutcome {
  const info = errorInfo(e);
  const error = e instanceof Error ? e.message : String(e);
  return { task, ok: false, error, permanent, ...(info ? { errorInfo: info } : {}) };
}

export interface ConsumeOptions {
  concurrency?: number;
  /** Deliveries before a failing task is given up (default 3). */
  maxAttempts?: number;
}

export interface Subscription {
  /** Stops taking new tasks and waits for in-flight ones. */
  close(): Promise<void>;
}

export interface JobEvent {
  jobId: string;
  kind: "state" | "progress" | "log";
  stage?: string;
  done?: number;
  total?: number;
  state?: string;
  message?: string;
  /** Milliseconds since the epoch, stamped by the publisher. */
  at: number;
}

export interface OutcomeListenOptions {
  /** Only this job's outcomes. */
  jobId?: string;
  /**
   * Replay the outcomes already retained (of `jobId`, or of every job) before following live
   * ones: what a restarted coordinator needs to resume a stage. Adapters without durable
   * outcomes (the in-process bus, whose outcomes die with the process) have nothing to replay.
   */
  replay?: boolean;
}

export interface Bus {
  /** Enqueues a task on the stage's durable work queue. */
  publishTask(task: TaskMessage): Promise<void>;
  /** Runs `handler` for tasks of `stage`; outcomes (success or final failure) go to `onOutcome`. */
  consume(stage: string, handler: TaskHandler, options?: ConsumeOptions): Subscription;
  /** Outcomes of tasks for every stage, for the coordinator. */
  onOutcome(listener: (outcome: TaskOutcome) => void, options?: OutcomeListenOptions): () => void;
  publishEvent(event: JobEvent): Promise<void>;
  subscribeEvents(jobId: string, listener: (event: JobEvent) => void): () => void;
  /**
   * Cancels a job's work: drops its queued tasks (no handler runs them, no outcome comes) and,
   * where the adapter can, aborts its tasks in flight. Returns how many task messages it dropped.
   */
  cancelJob(jobId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Marks an error as permanent: the bus does not redeliver the task. `info`: what the
 * underlying typed error said about itself, carried in the failed outcome.
 */
export class PermanentTaskError extends Error {
  override readonly name = "PermanentTaskError";
  constructor(
    message: string,
    readonly info?: ErrorInfo,
  ) {
    super(message);
  }
}
