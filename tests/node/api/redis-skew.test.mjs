// Two route servers whose clocks are 5 s apart share one RedisReplayGuard store (a real
// redis-server started here on 127.0.0.1): a body sent to both, at every moment of its
// window as either server sees it, runs its handler once. The servers' clocks are their
// routes' (and guards') `now` options, moved by the test, so the 13 s the window spans
// across both clocks pass in about two seconds; Redis keeps its own clock.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createClient } from "redis";
import Redis from "ioredis";
import { z } from "zod";
import * as lib from "../../../js-glue/src/entries/node.js";
import { startRedis } from "./redis-server.mjs";

let redis;
let nodeRedis;
let ioredis;
before(async () => {
  redis = await startRedis();
  nodeRedis = createClient({ url: redis.url });
  await nodeRedis.connect();
  ioredis = new Redis(redis.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1 });
  await ioredis.connect();
});
after(async () => {
  await nodeRedis?.quit();
  await ioredis?.quit();
  await redis?.stop();
});

const WINDOW = 8_000;

/** One server: node:http, a route with its own clock, a RedisReplayGuard over its own client. */
async function startServer(worker, client, now, runs) {
  const route = lib.defineRequest({
    url: "/api/book",
    workerId: worker.id,
    request: { eventId: z.string() },
    response: { ticketId: z.string() },
    options: { now, window: WINDOW, answerTtlMs: 0 }, // answers not kept past the window: a late body is refused, as the test checks
  });
  const guard = new lib.RedisReplayGuard({ client, now, prefix: "skew:" });
  const errors = [];
  const handler = async ({ eventId }) => {
    runs.set(eventId, (runs.get(eventId) ?? 0) + 1);
    return { ticketId: `${eventId}-${runs.get(eventId)}` };
  };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
    const response = await route.handle(request, worker, handler, { replayGuard: guard, onError: (e) => errors.push(e) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { route, errors, url: `http://127.0.0.1:${server.address().port}/api/book`, close: () => new Promise((r) => server.close(r)) };
}

async function capture(route, eventId) {
  let body;
  await route.send({ eventId }, { owner: lib.Account.create(), retry: false, fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))) }).catch(() => {});
  assert.ok(body);
  return body;
}

const send = (url, body) =>
  fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body }).then(async (r) => ({
    status: r.status,
    replayed: r.headers.get("X-Jazz-Replayed") === "true",
    text: await r.text(),
  }));

test("two servers 5 s apart, one Redis: a body sent to both over its whole window runs once, and so does one first sent in the last moment of the earlier clock's window", async () => {
  const worker = lib.Account.create();
  const base = Date.now();
  let elapsed = 0; // ms of the servers' time since base, moved by the test
  const runs = new Map();
  const a = await startServer(worker, nodeRedis, () => base + elapsed, runs); // node-redis
  const b = await startServer(worker, ioredis, () => base + elapsed - 5_000, runs); // ioredis, 5 s behind
  try {
    const whole = await capture(a.route, "whole"); // created at base on A's clock: expiresAt = base + 8 s
    const late = await capture(a.route, "late");
    const answers = { whole: new Set(), late: new Set() };
    const statuses = [];
    // Until B's clock passes expiresAt (elapsed 13 s), in steps of 250 ms of server time
    // and 20 ms of real time: "late" is first sent when A has 250 ms of its window left.
    for (elapsed = 0; elapsed <= 13_500; elapsed += 250) {
      const bodies = elapsed >= WINDOW - 250 ? ["whole", "late"] : ["whole"];
      for (const name of bodies) {
        const body = name === "whole" ? whole : late;
        for (const [server, clockOffset] of [[a, 0], [b, -5_000]]) {
          const r = await send(server.url, body);
          statuses.push(`${name}@${elapsed}${server === a ? "A" : "B"}:${r.status}`);
          if (elapsed + clockOffset > WINDOW) {
            assert.equal(r.status, 401, `${name} at ${elapsed} ms on ${server === a ? "A" : "B"}: past its window there`);
            assert.equal(JSON.parse(r.text).message, "Authentication token is expired");
          } else {
            assert.equal(r.status, 200, `${name} at ${elapsed} ms on ${server === a ? "A" : "B"}: ${r.text}`);
            answers[name].add(r.text);
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(runs.get("whole"), 1, statuses.join(" "));
    assert.equal(runs.get("late"), 1, statuses.join(" "));
    assert.equal(answers.whole.size, 1, "every server gave the one answer");
    assert.equal(answers.late.size, 1, "every server gave the one answer");
    assert.deepEqual([...a.errors, ...b.errors], []);
    // Held on Redis's clock until expiresAt + skewMs (10 s by default), whatever the servers say.
    const ttl = await nodeRedis.sendCommand(["PEXPIRETIME", `skew:{${JSON.parse(whole).id}}`]);
    assert.ok(Math.abs(Number(ttl) - (base + WINDOW + 10_000)) <= 1, `PEXPIRETIME ${ttl}, expected ${base + WINDOW + 10_000}`);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a server whose clock is more than skewMs behind Redis's claims nothing: 503 with the reason told to onError, and the handler never runs", async () => {
  const worker = lib.Account.create();
  const now = () => Date.now() - 30_000; // its bodies' expiresAt + 10 s has passed on Redis's clock
  const runs = new Map();
  const server = await startServer(worker, nodeRedis, now, runs);
  try {
    const body = await capture(server.route, "behind");
    const r = await send(server.url, body);
    assert.equal(r.status, 503, r.text);
    assert.equal(runs.size, 0);
    assert.match(String(server.errors[0]?.message), /more than skewMs behind Redis's/);
    assert.equal(await nodeRedis.sendCommand(["EXISTS", `skew:{${JSON.parse(body).id}}`]), 0, "nothing written");
  } finally {
    await server.close();
  }
});
