// Per-signer rate limits (issue 19.1), store by store: the memory guard, Redis (one
// server: one script; a Cluster: the count in the key's slot), PGlite through
// postgresExactlyOnce. Exactness at the boundary, duplicates not counted, refused ids
// usable later, another signer's own window, the function form, the option's checks,
// and send() honouring Retry-After.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createClient, createCluster } from "redis";
import { PGlite } from "@electric-sql/pglite";
import { Account, MemoryReplayGuard, REASONS, RedisReplayGuard, defineRequest, postgresExactlyOnce } from "../../../js-glue/src/entries/node.js";
import { startRedis, startRedisCluster } from "./redis-server.mjs";
import { bodiesOf, boundaryScenario, outcomeOf, sleep } from "./rate-limit-scenarios.mjs";

const worker = Account.create();
let redis;
let client;
let cluster;
let clusterClient;
let db;
before(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster(3)]);
  client = createClient({ url: redis.url });
  await client.connect();
  clusterClient = createCluster({ rootNodes: [{ url: cluster.nodes[0].url }] });
  await clusterClient.connect();
  db = new PGlite();
}, { timeout: 60_000 });
after(async () => {
  await client?.quit();
  await clusterClient?.quit();
  await redis?.stop();
  await cluster?.stop();
  await db?.close();
});

const routeWith = (options) =>
  defineRequest({ url: "/api/rated", workerId: worker.id, request: { n: z.number(), tag: z.string() }, response: { n: z.number() }, options });

let prefixes = 0;
const stores = {
  memory: () => ({ replayGuard: new MemoryReplayGuard() }),
  redis: () => ({ replayGuard: new RedisReplayGuard({ client, prefix: `rl${++prefixes}:`, ratePrefix: `rr${prefixes}:` }) }),
  "redis cluster": () => ({ replayGuard: new RedisReplayGuard({ client: clusterClient, prefix: `rl${++prefixes}:`, ratePrefix: `rr${prefixes}:` }) }),
  pglite: () => ({ exactlyOnce: postgresExactlyOnce(db, { table: `rl_${++prefixes}_${Math.floor(Math.random() * 1e6)}` }) }),
};

function serverOf(route, store) {
  let runs = 0;
  const post = (body) =>
    route.handle(new Request("http://h/api/rated", { method: "POST", body }), worker, ({ n }) => (runs++, { n }), store);
  return { post, runs: () => runs };
}

for (const [name, makeStore] of Object.entries(stores)) {
  test(`${name}: exactly the limit per window, 429 ERR_RATE_LIMITED with Retry-After; duplicates not counted; refused ids succeed later; another signer's own window`, async () => {
    const route = routeWith({ rateLimit: { requests: 4, perMs: 1_500 } });
    const store = makeStore();
    const { post, runs } = serverOf(route, store);
    await boundaryScenario({ route, post, runs, makeOwner: () => Account.create(), requests: 4, perMs: 1_500 });
    await store.exactlyOnce?.close();
  });

  test(`${name}: the function form: a key per plan, its own limits; null means no limit`, async () => {
    const free = Account.create();
    const pro = Account.create();
    const team = [Account.create(), Account.create()];
    const route = routeWith({
      rateLimit: (madeBy, value) => {
        if (value.tag === "unlimited") return null;
        if (madeBy.id === pro.id) return { requests: 5, perMs: 60_000 };
        if (team.some((a) => a.id === madeBy.id)) return { key: "team-1", requests: 3, perMs: 60_000 };
        return { key: `free:${madeBy.id}`, requests: 1, perMs: 60_000 };
      },
    });
    const store = makeStore();
    const { post } = serverOf(route, store);
    const statuses = async (owner, n, tag = "x") => Promise.all((await bodiesOf(route, owner, n, tag)).map(async (p) => (await post(p.body)).status));
    const count = (list, status) => list.filter((s) => s === status).length;
    const f = await statuses(free, 3);
    assert.deepEqual([count(f, 200), count(f, 429)], [1, 2]);
    const p = await statuses(pro, 7);
    assert.deepEqual([count(p, 200), count(p, 429)], [5, 2]);
    // The team shares one key: 3 in all, whoever sends them.
    const t = [...(await statuses(team[0], 2)), ...(await statuses(team[1], 2))];
    assert.deepEqual([count(t, 200), count(t, 429)], [3, 1]);
    // null: no limit, even for the free signer whose window is full.
    assert.deepEqual(await statuses(free, 3, "unlimited"), [200, 200, 200]);
    await store.exactlyOnce?.close();
  });
}

test("send() honours Retry-After: a burst over the limit all succeeds within the retry budget, none before its slot frees", async () => {
  const route = routeWith({ rateLimit: { requests: 2, perMs: 1_000 } });
  const { post, runs } = serverOf(route, {});
  const seen = [];
  const fetch = async (_url, init) => {
    const response = await post(init.body);
    seen.push({ status: response.status, at: Date.now(), retryAfter: response.headers.get("Retry-After") });
    return response;
  };
  const owner = Account.create();
  const started = Date.now();
  const results = await Promise.all([0, 1, 2, 3, 4].map((n) => route.send({ n, tag: "s" }, { owner, fetch })));
  assert.deepEqual(results.map((r) => r.n), [0, 1, 2, 3, 4]);
  assert.equal(runs(), 5);
  const limited = seen.filter((s) => s.status === 429);
  assert.ok(limited.length >= 3, `${limited.length} 429s`);
  assert.ok(limited.every((s) => s.retryAfter === "1"));
  // Two per second: the fifth can only have got in after two windows had passed.
  assert.ok(Date.now() - started >= 2_000, `took ${Date.now() - started} ms`);
  // Every retry of a 429 waited at least its Retry-After: no attempt came back within 1 s of the 429 it follows.
  const oks = seen.filter((s) => s.status === 200).map((s) => s.at - started);
  assert.equal(oks.filter((t) => t < 1_000).length, 2);
});

test("send() does not wait past its budget: a Retry-After beyond it is the error, at once", async () => {
  const route = routeWith({ rateLimit: { requests: 1, perMs: 30_000 } });
  const { post } = serverOf(route, {});
  const fetch = async (_url, init) => post(init.body);
  const owner = Account.create();
  await route.send({ n: 1, tag: "b" }, { owner, fetch });
  const started = Date.now();
  await assert.rejects(route.send({ n: 2, tag: "b" }, { owner, fetch, retry: { budgetMs: 5_000 } }), (error) => {
    assert.equal(error.code, 429);
    assert.equal(error.reason, "ERR_RATE_LIMITED");
    assert.equal(error.attempts, 1);
    return true;
  });
  assert.ok(Date.now() - started < 2_000);
});

test("the option is checked when the route is defined: positive integers, errors naming the option", () => {
  for (const [rateLimit, kind, pattern] of [
    [{ requests: 0, perMs: 1000 }, RangeError, /rateLimit\.requests/],
    [{ requests: 1.5, perMs: 1000 }, TypeError, /rateLimit\.requests/],
    [{ requests: 10, perMs: -1 }, RangeError, /rateLimit\.perMs/],
    [{ requests: 10, perMs: "1s" }, TypeError, /rateLimit\.perMs/],
    [{ requests: 10 }, TypeError, /rateLimit\.perMs/],
    [{ requests: 10, perMs: 1000, per: 1 }, TypeError, /rateLimit\.per/],
    [10, TypeError, /'rateLimit'/],
    [null, TypeError, /'rateLimit'/],
  ]) {
    assert.throws(() => routeWith({ rateLimit }), (error) => error instanceof kind && pattern.test(error.message), JSON.stringify(rateLimit));
  }
  assert.throws(() => routeWith({ rateLimt: { requests: 1, perMs: 1 } }), /did you mean 'rateLimit'/);
  routeWith({ rateLimit: { requests: 1, perMs: 1 } });
  routeWith({ rateLimit: () => null });
  assert.equal(REASONS.ERR_RATE_LIMITED.status, 429);
});

test("a function giving a bad limit, or a guard that cannot count, is a 500 (nothing runs), never an unlimited request", async () => {
  const errors = [];
  const onError = (error) => errors.push(error.message);
  const owner = Account.create();
  for (const [rateLimit, replayGuard, pattern] of [
    [() => ({ requests: 0, perMs: 10 }), undefined, /rateLimit\(\)\.requests/],
    [() => 5, undefined, /must return/],
    [{ requests: 1, perMs: 10 }, { claim: async () => true }, /does not count rate limits/],
  ]) {
    const route = routeWith({ rateLimit, onError, ...(replayGuard ? { replayGuard } : {}) });
    let runs = 0;
    const [p] = await bodiesOf(route, owner, 1, String(errors.length));
    const response = await route.handle(new Request("http://h/api/rated", { method: "POST", body: p.body }), worker, () => (runs++, { n: 1 }));
    assert.equal(response.status, 500);
    assert.equal(runs, 0);
    assert.match(errors.at(-1), pattern);
  }
});

test("memory guard: the windows' memory is bounded: a key is forgotten once its window has passed", async () => {
  let t = 1_000_000;
  const guard = new MemoryReplayGuard({ now: () => t });
  const rate = (key) => ({ key, requests: 10, perMs: 1_000 });
  for (let i = 0; i < 50; i++) assert.equal((await guard.begin(`co_zid${i}`, t + 60_000, { rate: rate(`k${i}`) })).state, "first");
  const held = guard.rateBytes;
  assert.ok(held > 0);
  t += 2_000;
  await guard.begin("co_zlast", t + 60_000, { rate: rate("k-last") });
  assert.ok(guard.rateBytes < held / 10, `${guard.rateBytes} of ${held}`);
  // Exact at the window's edge: a request at t counts until t + perMs, not at it.
  const edge = new MemoryReplayGuard({ now: () => t });
  assert.equal((await edge.begin("co_za", t + 60_000, { rate: { key: "e", requests: 1, perMs: 1_000 } })).state, "first");
  t += 999;
  const refused = await edge.begin("co_zb", t + 60_000, { rate: { key: "e", requests: 1, perMs: 1_000 } });
  assert.deepEqual(refused, { state: "limited", retryAfterMs: 1 });
  t += 1;
  assert.equal((await edge.begin("co_zb", t + 60_000, { rate: { key: "e", requests: 1, perMs: 1_000 } })).state, "first");
});

test("redis: one script, one round trip: the id's claim and the window's count (no second command)", async () => {
  let commands = 0;
  const counting = { sendCommand: (args) => (commands++, client.sendCommand(args)) };
  const guard = new RedisReplayGuard({ client: counting, prefix: "rt1:", ratePrefix: "rtr1:" });
  await guard.begin("co_zone", Date.now() + 60_000, { rate: { key: "k", requests: 1, perMs: 10_000 } });
  assert.equal(commands, 1);
  const refused = await guard.begin("co_ztwo", Date.now() + 60_000, { rate: { key: "k", requests: 1, perMs: 10_000 } });
  assert.equal(refused.state, "limited");
  assert.ok(refused.retryAfterMs > 9_000 && refused.retryAfterMs <= 10_000);
  assert.equal(commands, 2);
  assert.equal(await client.exists("rt1:{co_ztwo}"), 0, "the refused id is not claimed");
  assert.equal(await client.zCard("rtr1:{k}"), 1);
  const ttl = await client.pTTL("rtr1:{k}");
  assert.ok(ttl > 9_000 && ttl <= 10_000, `the window's key expires with it: ${ttl}`);
});

test("redis cluster: the window's key lives in its key's slot; a refused first claim is given back", async () => {
  const guard = new RedisReplayGuard({ client: clusterClient, prefix: "ct1:", ratePrefix: "ctr1:" });
  const rate = { key: "signer-x", requests: 2, perMs: 10_000 };
  const states = [];
  for (let i = 0; i < 4; i++) states.push((await guard.begin(`co_zc${i}`, Date.now() + 60_000, { rate })).state);
  assert.deepEqual(states, ["first", "first", "limited", "limited"]);
  assert.equal(await clusterClient.exists("ct1:{co_zc2}"), 0);
  assert.equal(await clusterClient.zCard("ctr1:{signer-x}"), 2);
  // A duplicate of a counted id is not counted again, nor refused.
  assert.equal((await guard.begin("co_zc0", Date.now() + 60_000, { rate })).state, "running");
});

test("postgres: the window is in the same database as the claims, on its clock, and a duplicate never counts", async () => {
  const store = postgresExactlyOnce(db, { table: "rl_pg_direct" });
  const rate = { key: "k1", requests: 2, perMs: 10_000 };
  const run = (id) => store.run(id, { expiresAt: Date.now() + 60_000, keepUntil: Date.now() + 120_000, rate }, async () => ({ status: 200, headers: {}, body: id }));
  assert.equal((await run("co_za")).state, "first");
  assert.equal((await run("co_za")).state, "done");
  assert.equal((await run("co_zb")).state, "first");
  const refused = await run("co_zc");
  assert.equal(refused.state, "limited");
  assert.ok(refused.retryAfterMs > 9_000 && refused.retryAfterMs <= 10_000);
  assert.equal((await db.query("SELECT count(*)::int AS n FROM rl_pg_direct WHERE id = 'co_zc'")).rows[0].n, 0);
  assert.equal((await db.query("SELECT count(*)::int AS n FROM rl_pg_direct_rate WHERE key = 'k1'")).rows[0].n, 2);
  await store.close();
});

test("the 429 answer: status, reason, Retry-After, and what a jazz-tools client reads", async () => {
  const route = routeWith({ rateLimit: { requests: 1, perMs: 5_000 } });
  const { post } = serverOf(route, {});
  const [a, b] = await bodiesOf(route, Account.create(), 2, "h");
  assert.equal((await post(a.body)).status, 200);
  const response = await post(b.body);
  const o = await outcomeOf(response);
  assert.equal(o.status, 429);
  assert.equal(response.headers.get("X-Jazz-Request-Error"), "true");
  assert.equal(o.retryAfter, "5");
  assert.equal(o.json.message, "Too many requests: retry after 5 s");
  assert.equal(o.json.reason, "ERR_RATE_LIMITED");
  assert.ok(o.json.details.retryAfterMs > 4_000 && o.json.details.retryAfterMs <= 5_000);
  await sleep(0);
});

test("README.md's Rate limits block, as written: per-plan limits, the team's shared key, no limit for staff", async () => {
  const { readFileSync } = await import("node:fs");
  const { mkdtemp, rm, symlink, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { execFile } = await import("node:child_process");
  const ROOT = new URL("../../../", import.meta.url).pathname;
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n### Rate limits\n"));
  const block = section.match(/^```js\n([\s\S]*?)^```$/m)?.[1];
  assert.ok(block?.includes("rateLimit:"), "the section's js block");
  const dir = await mkdtemp(join(tmpdir(), "jazzrpc-rate-limit-readme-"));
  try {
    await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
    await writeFile(join(dir, "package.json"), '{ "type": "module", "private": true }\n');
    await writeFile(join(dir, "post-message.js"), block);
    await writeFile(
      join(dir, "main.js"),
      `import { Account } from "jazzrpc";
const worker = Account.create();
process.env.JAZZ_WORKER_ACCOUNT = worker.id;
const { plans, postMessage } = await import("./post-message.js");
const fetchHere = (url, init) => postMessage.handle(new Request(new URL(url, "http://localhost"), init), worker, () => ({ ok: true }));
async function burst(owner, n) {
  const out = await Promise.all(Array.from({ length: n }, (_, i) =>
    postMessage.send({ text: "m" + i }, { owner, fetch: fetchHere, retry: false }).then(() => 200, (e) => e.code + " " + e.reason)));
  return [out.filter((s) => s === 200).length, out.filter((s) => s === "429 ERR_RATE_LIMITED").length];
}
const [pro, bot1, bot2, staff] = [Account.create(), Account.create(), Account.create(), Account.create()];
plans.set(pro.id, "pro").set(bot1.id, "bot").set(bot2.id, "bot").set(staff.id, "staff");
console.log("free " + (await burst(Account.create(), 65)));
console.log("pro " + (await burst(pro, 605)));
console.log("bots " + (await burst(bot1, 600)) + " " + (await burst(bot2, 500)));
console.log("staff " + (await burst(staff, 700)));
`,
    );
    const env = { ...process.env };
    for (const name of ["NODE_PATH", "NODE_OPTIONS", "NODE_TEST_CONTEXT"]) delete env[name];
    const stdout = await new Promise((resolve, reject) =>
      execFile(process.execPath, ["main.js"], { cwd: dir, env, timeout: 30_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out))),
    );
    assert.match(stdout, /^free 60,5$/m);
    assert.match(stdout, /^pro 600,5$/m);
    assert.match(stdout, /^bots 600,0 400,100$/m, "the bots share one key of 1,000");
    assert.match(stdout, /^staff 700,0$/m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the memory window against a naive model: 20,000 random requests over 5 keys, every decision and Retry-After the same", async () => {
  const { SlidingLogs } = await import("../../../js-glue/src/rpc/rate-limit.js");
  const logs = new SlidingLogs();
  const accepted = new Map();
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let t = 1_000;
  for (let i = 0; i < 20_000; i++) {
    t += Math.floor(random() * 40);
    const key = `k${Math.floor(random() * 5)}`;
    const [requests, perMs] = [1 + (key.charCodeAt(1) % 4) * 3, 500 + (key.charCodeAt(1) % 3) * 700];
    const inWindow = (accepted.get(key) ?? []).filter((a) => a + perMs > t);
    const expected = inWindow.length < requests ? 0 : Math.min(...inWindow) + perMs - t;
    const got = logs.take(key, requests, perMs, t);
    assert.equal(got, expected, `request ${i} of ${key} at ${t}`);
    if (got === 0) accepted.set(key, [...inWindow, t]);
  }
});
