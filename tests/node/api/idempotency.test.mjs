// Idempotency keys chosen by the caller (issue 15.3): the key travels inside the signed
// request; the server claims it per worker, route and signer. The same key and values run
// the handler once and every request gets its answer, even a body signed minutes later; the
// same key with other values is refused 422. Memory guard, Redis guard, PGlite store.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { createClient } from "redis";
import { PGlite } from "@electric-sql/pglite";
import { Account, RedisReplayGuard, defineRequest, postgresExactlyOnce } from "../../../js-glue/src/entries/node.js";
import { startRedis } from "./redis-server.mjs";

const worker = Account.create();
let redis;
let client;
let db;
before(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
  db = new PGlite();
});
after(async () => {
  await client?.quit();
  await redis?.stop();
  await db?.close();
});

const setups = () => ({
  memory: {},
  redis: { replayGuard: new RedisReplayGuard({ client, prefix: `idem:${Math.random()}:` }) },
  pglite: { exactlyOnce: postgresExactlyOnce(db, { table: `idem_${Math.floor(Math.random() * 1e9)}` }) },
});

for (const name of ["memory", "redis", "pglite"]) {
  test(`${name}: one key, the same values: the handler runs once, and a body signed minutes later gets the answer, signed for it`, async () => {
    const time = { t: Date.now() };
    const route = defineRequest({ url: "/api/pay", workerId: worker.id, request: { amount: z.number() }, response: { paymentId: z.string() }, options: { now: () => time.t } });
    const options = setups()[name];
    let runs = 0;
    const fetch = async (_url, init) =>
      route.handle(new Request("http://h/api/pay", { method: "POST", body: init.body }), worker, async ({ amount }, _m, { id }) => (runs++, { paymentId: `p-${amount}-${id.slice(-5)}` }), options);
    const payer = Account.create();
    const first = await route.send({ amount: 42 }, { owner: payer, fetch, idempotencyKey: "order-7" });
    time.t += 5 * 60 * 1000; // a new body, five minutes later: a new request id, the same key
    const second = await route.send({ amount: 42 }, { owner: payer, fetch, idempotencyKey: "order-7" });
    assert.deepEqual(second, first);
    assert.equal(runs, 1);
    // Other values under the same key: 422, and nothing runs.
    await assert.rejects(route.send({ amount: 43 }, { owner: payer, fetch, idempotencyKey: "order-7" }), (error) => {
      assert.equal(error.code, 422);
      assert.equal(error.message, "Idempotency key reused with different values");
      assert.equal(error.reason, "ERR_IDEMPOTENCY_KEY_REUSED");
      return true;
    });
    // The key is the signer's: another payer's "order-7" is its own request.
    await route.send({ amount: 42 }, { owner: Account.create(), fetch, idempotencyKey: "order-7" });
    // Without a key, each send is a request of its own.
    await route.send({ amount: 42 }, { owner: payer, fetch });
    assert.equal(runs, 3);
    await options.exactlyOnce?.close();
  });
}

test("two bodies with one key at once: one runs; the other is told 409 and polls until it gets the answer", async () => {
  const route = defineRequest({ url: "/api/pay", workerId: worker.id, request: { amount: z.number() }, response: { paymentId: z.string() } });
  let runs = 0;
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const fetch = async (_url, init) =>
    route.handle(new Request("http://h/api/pay", { method: "POST", body: init.body }), worker, async ({ amount }) => {
      runs++;
      await gate;
      return { paymentId: `p-${amount}` };
    });
  const payer = Account.create();
  const a = route.send({ amount: 1 }, { owner: payer, fetch, idempotencyKey: "k" });
  const b = route.send({ amount: 1 }, { owner: payer, fetch, idempotencyKey: "k" });
  setTimeout(release, 1_500);
  assert.deepEqual(await Promise.all([a, b]), [{ paymentId: "p-1" }, { paymentId: "p-1" }]);
  assert.equal(runs, 1);
});

test("a key is checked before anything is signed: not a string, empty, over 255 characters, control characters", async () => {
  const route = defineRequest({ url: "/api/pay", workerId: worker.id, request: { amount: z.number() }, response: { paymentId: z.string() } });
  for (const idempotencyKey of [42, "", "x".repeat(256), "a\nb"]) {
    await assert.rejects(route.prepare({ amount: 1 }, { owner: Account.create(), idempotencyKey }), TypeError);
  }
  const prepared = await route.prepare({ amount: 1 }, { owner: Account.create(), idempotencyKey: "x".repeat(255) });
  assert.match(prepared.body, /"nonce":"idem_x{255}"/);
});
