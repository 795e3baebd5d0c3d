/**
 * Regenerates what is generated from the project's sources of truth, in place:
 * - the CompressionJob CRD's `spec.params` schema, from the parameter table
 *   (services/controller/crd.ts).
 * `npm run generate`; a test fails when a committed file differs from what this writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withGeneratedParams } from "../services/controller/crd.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CRD_FILE = join(ROOT, "charts", "adq", "crds", "compressionjobs.adq.dev.yaml");

const crd = readFileSync(CRD_FILE, "utf8");
const next = withGeneratedParams(crd);
if (next !== crd) {
  writeFileSync(CRD_FILE, next);
  process.stdout.write(`wrote ${CRD_FILE}\n`);
}
