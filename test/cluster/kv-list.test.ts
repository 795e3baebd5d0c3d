// KvJobStore.list() against a real nats-server while job records keep changing: it must
// answer at once (a snapshot of the keys), not wait for the bucket to go quiet. Before the
// fix, kv.keys() waited for an idle heartbeat (~30 s) and stalled CreateJob's quota check
// under load.

import { connectNats, KvJobStore, type NatsConnection } from "@adq/platform/nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useNatsServer } from "../support/nats-server.ts";

interface Rec {
  id: string;
  n: number;
}

describe("KvJobStore.list under concurrent writes (real nats-server)", () => {
  const nats = useNatsServer();
  let nc: NatsConnection;
  let store: KvJobStore<Rec>;

  beforeAll(async () => {
    nc = await connectNats({ servers: nats.server.url, name: "kv-list-test" });
    store = await KvJobStore.open<Rec>(nc, { bucket: "kv-list-test" });
  });
  afterAll(async () => {
    await nc?.close();
  });

  it("lists every live record promptly while another record is updated continuously", async () => {
    for (const id of ["a", "b", "c", "gone"]) await store.create({ id, n: 0 });
    await store.delete("gone");
    let stop = false;
    const writer = (async () => {
      let v = (await store.get("a"))!;
      while (!stop) v = await store.update({ id: "a", n: v.value.n + 1 }, v.revision);
    })();
    try {
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      const listed = await store.list();
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(listed.map((r) => r.id)).toEqual(["a", "b", "c"]);
    } finally {
      stop = true;
      await writer;
    }
  });
});
