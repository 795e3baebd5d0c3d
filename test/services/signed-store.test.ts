// SignedJobStore's tombstones (issue 28): a saved signed record put back after delete stays
// deleted; tombstones are signed, never listed, and block re-creating the id.

import { SignedJobStore } from "@adq/gateway";
import { ConflictError, MemoryJobStore } from "@adq/platform";
import { Logger } from "@adq/service-common";
import { MemorySink } from "@adq/service-common/testing";
import { describe, expect, it } from "vitest";

type Rec = { id: string; tenant: string; state: string };
const KEY = Buffer.from("0123456789abcdef0123456789abcdef-test-key");

function stores() {
  const inner = new MemoryJobStore<Rec>();
  const sink = new MemorySink();
  const signed = new SignedJobStore<Rec>(inner, KEY, "jobs", new Logger(sink), { tombstones: true });
  return { inner, signed, sink };
}

describe("SignedJobStore tombstones", () => {
  it("a record saved before delete and put back reads as absent, is not listed, and its id stays taken", async () => {
    const { inner, signed, sink } = stores();
    await signed.create({ id: "job-a", tenant: "acme", state: "SUCCEEDED" });
    await signed.create({ id: "job-b", tenant: "acme", state: "RUNNING" });
    const saved = (await inner.get("job-a"))!.value;
    await signed.delete("job-a");
    expect(await signed.get("job-a")).toBeUndefined();
    // The replay, as stored (signature included).
    await inner.create(saved);
    expect(await signed.get("job-a")).toBeUndefined();
    expect((await signed.list()).map((j) => j.id)).toEqual(["job-b"]);
    await expect(signed.create({ id: "job-a", tenant: "acme", state: "QUEUED" })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(
      sink.records().some((l) => l.event === "job_record_rejected" && /deleted/.test(String(l.why))),
    ).toBe(true);
    // Deleting twice is fine.
    await signed.delete("job-a");
  });

  it("an unsigned (planted) tombstone deletes nothing; without the option no tombstone is written", async () => {
    const { inner, signed } = stores();
    await signed.create({ id: "job-c", tenant: "acme", state: "RUNNING" });
    await inner.create({ id: "deleted.job-c", deletedRecord: "job-c" } as unknown as Rec);
    expect((await signed.get("job-c"))?.value.state).toBe("RUNNING");
    expect((await signed.list()).map((j) => j.id)).toEqual(["job-c"]);
    const plain = new MemoryJobStore<Rec>();
    const idem = new SignedJobStore<Rec>(plain, KEY, "idempotency");
    await idem.create({ id: "k1", tenant: "acme", state: "x" });
    await idem.delete("k1");
    expect(await plain.list()).toEqual([]);
    await idem.create({ id: "k1", tenant: "acme", state: "y" });
    expect((await idem.get("k1"))?.value.state).toBe("y");
  });
});
