// Per-signer rate limits in real workerd (Miniflare), issue 19.1 and 19.2: the Durable
// Object guard with its windows in the shard each key hashes to (4 shards: mostly another
// shard than the id's, counted by a second call; 1 shard: in the claim's transaction), and
// exactlyOnce(ctx) in the object that handles (the window in its SQLite, in the claim's
// transaction). Ten signers' 1,000-request burst gets exactly the limit per signer, and a
// refused body succeeds after its Retry-After. The Worker is tests/workerd/rate-limit/worker.js.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Account, defineRequest } from "../../js-glue/src/entries/node.js";
import { bundleWorker, removeDir, startLocal, tempDir } from "./_support.mjs";
import { boundaryScenario, burstScenario } from "../node/api/rate-limit-scenarios.mjs";

const configPath = fileURLToPath(new URL("./rate-limit/wrangler.jsonc", import.meta.url));
const outdir = await tempDir("rate-limit-bundle");
const worker = Account.create();
const local = await startLocal({ configPath, bundle: await bundleWorker(configPath, outdir), bindings: { JAZZ_WORKER_SECRET: worker.secret } });
after(async () => {
  await local.dispose();
  await removeDir(outdir);
});

const route = defineRequest({ url: "/api/rated", workerId: worker.id, request: { n: z.number(), tag: z.string() }, response: { n: z.number() } });
let names = 0;
function target(path, query) {
  const name = `n${++names}`;
  const search = new URLSearchParams({ name, ...query });
  return {
    post: (body) => fetch(new URL(`${path}?${search}`, local.url), { method: "POST", headers: { "Content-Type": "application/json" }, body }),
    runs: async () => (await (await fetch(new URL(`${path.replace(/api\/rated$/, "runs")}?${search}`, local.url))).json()).runs,
  };
}

for (const [label, path, shards] of [
  ["durableObjectReplayGuard, 4 shards", "/api/rated", 4],
  ["durableObjectReplayGuard, 1 shard", "/api/rated", 1],
  ["exactlyOnce(ctx)", "/once/api/rated", 1],
]) {
  test(`${label}: exactly the limit per window, 429 with Retry-After, duplicates not counted, refused ids succeed later`, async () => {
    const t = target(path, { shards: String(shards), requests: "4", perMs: "1500" });
    await boundaryScenario({ route, post: t.post, runs: t.runs, makeOwner: () => Account.create(), requests: 4, perMs: 1_500 });
  });
}

test("ten signers, 1,000 requests at once to a Worker with the sharded guard: exactly the limit each, Retry-After honoured succeeds, a quiet signer not slowed", async () => {
  const t = target("/api/rated", { shards: "4", requests: "30", perMs: "10000" });
  const figures = await burstScenario({ route, post: (_i, body) => t.post(body), runs: t.runs, makeOwner: () => Account.create(), requests: 30, perMs: 10_000 });
  console.log(`# workerd: burst ${figures.took} ms, waited ${figures.wait} s; quiet signer alone ${figures.aloneMs.toFixed(1)} ms, during a burst ${figures.duringMs.toFixed(1)} ms: ratio ${figures.ratio.toFixed(2)}`);
  assert.ok(figures.ratio < 15, `a quiet signer's median latency during another's burst is ${figures.ratio.toFixed(2)}x its median alone`);
});
