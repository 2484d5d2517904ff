// RedisReplayGuard against Debian's redis-server, started here on 127.0.0.1:
// the guard scenarios in-process, then one body sent to two Node processes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createClient } from "redis";
import { z } from "zod";
import * as v from "valibot";
import * as lib from "../../../js-glue/src/entries/node.js";
import { guardScenarios } from "../../scenarios/api.mjs";
import { startRedis } from "./redis-server.mjs";

let redis;
let client;
before(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
});
after(async () => {
  await client?.quit();
  await redis?.stop();
});

const ctx = { lib, z, v };
let n = 0;
for (const s of guardScenarios) {
  test(`RedisReplayGuard: ${s.name}`, () =>
    s.fn(ctx, (now) => new lib.RedisReplayGuard({ client, prefix: `t${++n}:`, now, skewMs: 0 })));
}

test("RedisReplayGuard: an id expires with its window", async () => {
  const guard = new lib.RedisReplayGuard({ client, prefix: "ttl:", skewMs: 0 });
  assert.equal(await guard.claim("co_zTtl", Date.now() + 150), true);
  assert.equal(await guard.claim("co_zTtl", Date.now() + 150), false);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await guard.claim("co_zTtl", Date.now() + 150), true);
});

function startWorkerProcess(secret) {
  const child = spawn(process.execPath, [new URL("./redis-worker.mjs", import.meta.url).pathname], {
    env: { ...process.env, WORKER_SECRET: secret, REDIS_URL: redis.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", (line) => resolve({ child, port: Number(line) }));
    child.once("exit", (code) => reject(new Error(`worker process exited with ${code}`)));
  });
}

test("RedisReplayGuard: one body sent concurrently to two Node processes runs the handler once, and both replay its answer", async () => {
  const worker = lib.Account.create();
  const [a, b] = await Promise.all([startWorkerProcess(worker.secret), startWorkerProcess(worker.secret)]);
  try {
    const route = lib.defineRequest({
      url: "/api/book-event-ticket",
      workerId: worker.id,
      request: { eventId: z.string() },
      response: { ticketId: z.string() },
    });
    let body;
    await route
      .send({ eventId: "e1" }, { owner: lib.Account.create(), fetch: async (_u, init) => { body = init.body; throw new Error("captured"); } })
      .catch(() => {});
    const send = (port) =>
      fetch(`http://127.0.0.1:${port}/api/book-event-ticket`, { method: "POST", headers: { "Content-Type": "application/json" }, body }).then(async (r) => ({
        status: r.status,
        replayed: r.headers.get("X-Jazz-Replayed") === "true",
        text: await r.text(),
      }));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i % 2 ? a.port : b.port)));
    const fresh = results.filter((r) => r.status === 200 && !r.replayed);
    assert.equal(fresh.length, 1, `statuses: ${results.map((r) => r.status).join(",")}`);
    // The others: told to retry while it ran (409), or given its answer, byte for byte.
    for (const r of results) {
      if (r === fresh[0]) continue;
      if (r.status === 200) assert.equal(r.text, fresh[0].text);
      else assert.equal(r.status, 409, r.text);
    }
    const after = await send(a.port);
    assert.deepEqual(after, { status: 200, replayed: true, text: fresh[0].text }, "once done, every process replays the answer");
  } finally {
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
  }
});
