// Rate limits with postgresExactlyOnce on a real PostgreSQL (started here on 127.0.0.1):
// two pg Pools, as two processes would have, count one key's window exactly under
// concurrency (the count is one function call on the database's clock, under an
// advisory lock on the key, just before the claim's transaction); duplicates and copies
// of a running request are not counted; the boundary scenario through handle().
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { z } from "zod";
import { Account, defineRequest, postgresExactlyOnce } from "../../../js-glue/src/entries/node.js";
import { startPostgres } from "../postgres/postgres-server.mjs";
import { boundaryScenario, sleep } from "./rate-limit-scenarios.mjs";

let server;
const pools = [];
before(async () => {
  server = await startPostgres();
  for (let i = 0; i < 2; i++) pools.push(new pg.Pool({ host: server.host, port: server.port, user: server.user, database: server.database, max: 20 }));
}, { timeout: 60_000 });
after(async () => {
  for (const pool of pools) await pool.end();
  await server?.stop();
});

const answer = (id) => ({ status: 200, headers: {}, body: id });

test("two pools, 40 new ids of one key at once, limit 9: exactly 9 run, 31 limited and not claimed; duplicates and copies of running ones not counted", async () => {
  const stores = pools.map((pool) => postgresExactlyOnce(pool, { table: "rl_pg_burst" }));
  await Promise.all(stores.map((s) => s.ready()));
  const rate = { key: "signer-a", requests: 9, perMs: 60_000 };
  const times = () => ({ expiresAt: Date.now() + 60_000, keepUntil: Date.now() + 120_000, rate });
  let runs = 0;
  let open;
  const gate = new Promise((resolve) => (open = resolve));
  const work = (id) => async () => {
    runs++;
    await gate; // every first copy holds its transaction open while the others arrive
    return answer(id);
  };
  const ids = Array.from({ length: 40 }, (_, i) => `co_zpg${i}`);
  const firstWave = ids.map((id, i) => stores[i % 2].run(id, times(), work(id)));
  // Copies of the same ids through the other pool, while the first copies are uncommitted.
  await sleep(300);
  const copies = ids.map((id, i) => stores[(i + 1) % 2].run(id, times(), work(id)));
  await sleep(300);
  open();
  const [first, second] = [await Promise.all(firstWave), await Promise.all(copies)];
  const all = [...first, ...second];
  assert.equal(runs, 9, "the handler ran for exactly the limit");
  assert.equal(all.filter((o) => o.state === "first").length, 9);
  // Each of the 9 ids' other copy waited for its commit and got its answer, uncounted.
  assert.equal(all.filter((o) => o.state === "done").length, 9);
  assert.equal(all.filter((o) => o.state === "limited").length, 62);
  assert.ok(all.filter((o) => o.state === "limited").every((o) => o.retryAfterMs > 55_000 && o.retryAfterMs <= 60_000));
  const { rows } = await pools[0].query("SELECT (SELECT count(*)::int FROM rl_pg_burst) AS claimed, (SELECT count(*)::int FROM rl_pg_burst_rate WHERE key = 'signer-a') AS counted");
  assert.deepEqual(rows[0], { claimed: 9, counted: 9 });
  // Duplicates of a done id, again and again: answered from storage, never counted or refused.
  const done = ids.find((_, i) => first[i].state === "first");
  for (let i = 0; i < 5; i++) assert.equal((await stores[i % 2].run(done, times(), work(done))).state, "done");
  assert.equal((await pools[0].query("SELECT count(*)::int AS n FROM rl_pg_burst_rate")).rows[0].n, 9);
  for (const s of stores) await s.close();
});

test("a limited id is not claimed: after its window the same id runs", async () => {
  const store = postgresExactlyOnce(pools[0], { table: "rl_pg_later" });
  const rate = { key: "signer-b", requests: 1, perMs: 1_200 };
  const times = () => ({ expiresAt: Date.now() + 60_000, keepUntil: Date.now() + 120_000, rate });
  assert.equal((await store.run("co_za", times(), async () => answer("a"))).state, "first");
  const refused = await store.run("co_zb", times(), async () => answer("b"));
  assert.equal(refused.state, "limited");
  await sleep(refused.retryAfterMs);
  assert.equal((await store.run("co_zb", times(), async () => answer("b"))).state, "first");
  await store.close();
});

test("through handle(): exactly the limit, 429 with Retry-After, duplicates not counted, refused ids succeed later", async () => {
  const worker = Account.create();
  const route = defineRequest({ url: "/api/rated", workerId: worker.id, request: { n: z.number(), tag: z.string() }, response: { n: z.number() }, options: { rateLimit: { requests: 4, perMs: 1_500 } } });
  const stores = pools.map((pool) => postgresExactlyOnce(pool, { table: "rl_pg_handle" }));
  let runs = 0;
  let turn = 0;
  const post = (body) =>
    route.handle(new Request("http://h/api/rated", { method: "POST", body }), worker, ({ n }) => (runs++, { n }), { exactlyOnce: stores[turn++ % 2] });
  await boundaryScenario({ route, post, runs: () => runs, makeOwner: () => Account.create(), requests: 4, perMs: 1_500 });
  for (const s of stores) await s.close();
});
