// The API scenarios (tests/scenarios/api.mjs) under Deno: memory guard and Deno KV guard.
import { z } from "zod";
import * as v from "valibot";
import * as lib from "../../js-glue/src/entries/deno.js";
import { scenarios, guardScenarios } from "../scenarios/api.mjs";

const ctx = { lib, z, v };
for (const s of scenarios) Deno.test(s.name, () => s.fn(ctx));
for (const s of guardScenarios) {
  Deno.test(`MemoryReplayGuard: ${s.name}`, () => s.fn(ctx, (now) => new lib.MemoryReplayGuard({ now })));
  Deno.test(`DenoKvReplayGuard: ${s.name}`, async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      // skewMs 0: the scenarios drive one clock; the margin for other servers' clocks has its own test (kv-skew).
      await s.fn(ctx, (now) => new lib.DenoKvReplayGuard({ kv, now, skewMs: 0 }));
    } finally {
      kv.close();
    }
  });
}

Deno.test("DenoKvReplayGuard: concurrent claims of one id across two KV handles on one file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  const [a, b] = [await Deno.openKv(path), await Deno.openKv(path)];
  try {
    const ga = new lib.DenoKvReplayGuard({ kv: a });
    const gb = new lib.DenoKvReplayGuard({ kv: b });
    const expiresAt = Date.now() + 60_000;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? ga : gb).claim("co_zShared", expiresAt)));
    if (results.filter(Boolean).length !== 1) throw new Error(`expected one winner, got ${results.filter(Boolean).length}`);
  } finally {
    a.close();
    b.close();
    await Deno.remove(path);
  }
});
