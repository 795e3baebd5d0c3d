/** A job record for unit tests of the record's state machine (defaults: a queued CCS job of tenant "t"). */
import { DEFAULT_PARAMS } from "@adq/stages";
import { initialStages, type JobRecord } from "./records.ts";

export function jobRecord(id: string, state: JobRecord["state"], over: Partial<JobRecord> = {}): JobRecord {
  const now = over.createTime ?? Date.now();
  return {
    id,
    tenant: "t",
    state,
    dataset: { uri: "file:///nowhere", format: "DATASET_FORMAT_IMAGE_FOLDER", path: "/nowhere" },
    params: { ...DEFAULT_PARAMS },
    patchGrid: { imageSize: 32, patchSize: 4 },
    modelUri: "",
    model: null,
    outputs: { reconstruct: false, keepIntermediates: false },
    idempotencyKey: "",
    requestHash: "",
    displayName: "",
    labels: {},
    createTime: now,
    updateTime: now,
    currentStage: "STAGE_UNSPECIFIED",
    stages: initialStages(DEFAULT_PARAMS),
    warnings: [],
    eventSequence: 0,
    events: [],
    cancelReason: "",
    artifactPrefix: `tenants/t/jobs/${id}/`,
    resultPrefix: `tenants/t/jobs/${id}/result`,
    runs: 1,
    ...over,
  };
}
