// The Node reader's view of a store (packages/stages/src/pq-store.ts readStore), one JSON line
// per record: what tests/test_store.py compares adq_client.read_store against, byte for byte.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { register } from "tsx/esm/api";

register();
const { readStore } = await import("@adq/stages");
for await (const r of readStore(readFileSync(process.argv[2]))) {
  const sha = createHash("sha256").update(r.data).digest("hex");
  process.stdout.write(
    `${JSON.stringify({ index: r.index, label: r.label, width: r.width, height: r.height, channels: r.channels, sha256: sha, mask: Array.from(r.mask) })}\n`,
  );
}
