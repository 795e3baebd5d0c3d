/**
 * Defence in depth for stage workers (`adq serve --stage … --data-root …`): tasks carry local
 * paths (the dataset folder, the feature model file). Only the coordinator may publish tasks
 * (deploy/nats/adq-auth.conf), but a worker given `--data-root` also refuses a task whose
 * dataset does not resolve under one of them, or whose model file is not the default, a
 * builtin or under a `--model-root` — so even a forged task cannot make it read elsewhere.
 * Refusals are permanent task errors (no retry) that name the field, never file content.
 */
import { realpath } from "node:fs/promises";
import { sep } from "node:path";
import type { ErrorStatus } from "@adq/core";
import { type Bus, guardTasks, PermanentTaskError } from "@adq/platform";

export interface TaskPathRoots {
  /** Real paths of the data roots. */
  dataRoots: string[];
  /** Real paths of the model roots. */
  modelRoots: string[];
  /** Model files allowed by name (default, builtins), real paths. */
  modelFiles: string[];
}

const inside = (p: string, r: string) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep);

async function real(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch {
    return undefined;
  }
}

function permanent(message: string, status: ErrorStatus, reason?: string): PermanentTaskError {
  return new PermanentTaskError(message, { status, message, ...(reason ? { reason } : {}) });
}

/** Throws PermanentTaskError when the payload's paths lie outside the roots. */
export async function checkTaskPaths(payload: unknown, roots: TaskPathRoots): Promise<void> {
  const p = payload as { dataset?: { path?: unknown }; model?: { file?: unknown } } | null;
  const ds = p?.dataset?.path;
  if (typeof ds === "string") {
    const r = await real(ds);
    if (!r || !roots.dataRoots.some((root) => inside(r, root)))
      throw permanent(`dataset.path: ${ds} is not under this worker's --data-root`, "INVALID_ARGUMENT");
  }
  const model = p?.model?.file;
  if (typeof model === "string") {
    const r = await real(model);
    if (!r || !(roots.modelFiles.includes(r) || roots.modelRoots.some((root) => inside(r, root))))
      throw permanent(
        `model.file: ${model} is neither this worker's default or builtin model nor under its --model-root`,
        "FAILED_PRECONDITION",
        "MODEL_CONTRACT",
      );
  }
}

/** A Bus whose `consume` checks every task's paths before the handler sees it. */
export function confineTaskPaths(bus: Bus, roots: TaskPathRoots): Bus {
  return guardTasks(bus, async (task, run) => {
    await checkTaskPaths(task.payload, roots);
    return run();
  });
}

export async function realPaths(paths: Array<string | null | undefined>): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (!p) continue;
    const r = await real(p);
    if (r) out.push(r);
  }
  return out;
}
