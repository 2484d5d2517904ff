// RedisReplayGuard with each Redis client people use, against Debian's redis-server
// started here on 127.0.0.1: node-redis (createClient, sendCommand(args)) and ioredis
// (new Redis(), call(...args); its own sendCommand takes a Command object). Each client:
// the guard scenarios through handle(), and claim, duplicate, complete, replay, release
// and the scripts (loaded again after SCRIPT FLUSH) called directly.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import Redis from "ioredis";
import { z } from "zod";
import * as v from "valibot";
import * as lib from "../../../js-glue/src/entries/node.js";
import { guardScenarios } from "../../scenarios/api.mjs";
import { startRedis } from "./redis-server.mjs";

let redis;
const clients = {};
before(async () => {
  redis = await startRedis();
  clients["node-redis"] = createClient({ url: redis.url });
  await clients["node-redis"].connect();
  clients.ioredis = new Redis(redis.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1 });
  await clients.ioredis.connect();
});
after(async () => {
  await clients["node-redis"]?.quit();
  await clients.ioredis?.quit();
  await redis?.stop();
});

const ctx = { lib, z, v };
const randomId = () => "co_z" + lib.getCore().base58Encode(crypto.getRandomValues(new Uint8Array(19)));
const answer = { status: 200, headers: { "Content-Type": "application/json" }, body: '{"type":"success","payload":{"ok":true}}' };
let n = 0;

for (const kind of ["node-redis", "ioredis"]) {
  // skewMs 0: the scenarios' ids expire with their window, as their clock says.
  const makeGuard = (now, options = {}) => new lib.RedisReplayGuard({ client: clients[kind], prefix: `${kind}${++n}:`, now, skewMs: 0, ...options });

  for (const s of guardScenarios) {
    test(`RedisReplayGuard with ${kind}: ${s.name}`, () => s.fn(ctx, (now) => makeGuard(now)));
  }

  test(`RedisReplayGuard with ${kind}: claim, duplicate, complete, replay and release, each against the server`, async () => {
    const guard = makeGuard(Date.now);
    const id = randomId();
    const expiresAt = Date.now() + 60_000;
    assert.deepEqual(await guard.begin(id, expiresAt), { state: "first" });
    assert.deepEqual(await guard.begin(id, expiresAt), { state: "running" });
    assert.equal(await guard.claim(id, expiresAt), false);
    assert.equal(await guard.complete(id, answer, expiresAt), true);
    assert.deepEqual(await guard.begin(id, expiresAt), { state: "done", answer });
    assert.deepEqual(await guard.begin(id, expiresAt), { state: "done", answer }, "replayed again");
    assert.equal(await guard.release(id), true);
    assert.equal(await guard.release(id), false, "nothing left to release");
    assert.equal(await guard.claim(id, expiresAt), true, "released: claimable again");
    // An answer not stored (null): done, and never claimable again while it lives.
    assert.equal(await guard.complete(id, null, expiresAt), true);
    assert.deepEqual(await guard.begin(id, expiresAt), { state: "done", answer: null });
    assert.equal(await guard.complete(randomId(), answer, expiresAt), false, "complete() of an id never claimed stores nothing");
  });

  test(`RedisReplayGuard with ${kind}: the scripts work again after SCRIPT FLUSH (EVALSHA falls back to EVAL)`, async () => {
    const guard = makeGuard(Date.now);
    const expiresAt = Date.now() + 60_000;
    for (let round = 0; round < 3; round++) {
      await clients["node-redis"].sendCommand(["SCRIPT", "FLUSH"]);
      const id = randomId();
      assert.deepEqual(await guard.begin(id, expiresAt), { state: "first" });
      await clients["node-redis"].sendCommand(["SCRIPT", "FLUSH"]);
      assert.deepEqual(await guard.begin(id, expiresAt), { state: "running" });
      assert.equal(await guard.complete(id, answer, expiresAt), true);
      assert.deepEqual(await guard.begin(id, expiresAt), { state: "done", answer });
    }
  });

  test(`RedisReplayGuard with ${kind}: a body sent through handle() 20 times at once runs once, then replays`, async () => {
    const worker = lib.Account.create();
    worker.replayGuard = makeGuard(Date.now);
    const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
    let runs = 0;
    const handler = async ({ eventId }) => ({ ticketId: `${eventId}-${++runs}` });
    let body;
    await route.send({ eventId: "e1" }, { owner: lib.Account.create(), fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))) }).catch(() => {});
    const post = () => route.handle(new Request("http://127.0.0.1/api/book", { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);
    const statuses = (await Promise.all(Array.from({ length: 20 }, post))).map((r) => r.status);
    assert.equal(runs, 1, `statuses: ${statuses}`);
    assert.ok(statuses.every((s) => s === 200 || s === 409), `statuses: ${statuses}`);
    const again = await post();
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
    assert.equal(runs, 1);
  });
}

test("RedisReplayGuard: an object that is no Redis client is refused at construction, naming the supported clients", () => {
  assert.throws(() => new lib.RedisReplayGuard({ client: {} }), /node-redis v4\+.*ioredis/);
  assert.throws(() => new lib.RedisReplayGuard({}), /client/);
});
