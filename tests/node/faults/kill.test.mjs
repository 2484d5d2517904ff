// Issue 11, Node with Redis and two processes: the process that runs the handler is
// SIGKILLed at a chosen point of the first request it handles; the client's retries
// of the very same signed body go to the other process (one redis-server, one
// RedisReplayGuard prefix, both on 127.0.0.1). The documented outcome at each point:
//   (a) before the handler, (b) after its side effect and before the answer is
//   stored: the id stays "running" until it expires; every retry gets 409 (never a
//   200, never "already handled"); after the window the body is refused as expired
//   (401); the handler never ran again (effect (a) 0, (b) 1: at most once).
//   (c) after the answer is stored: the retry gets the stored answer (200,
//   X-Jazz-Replayed: true, the same ticket, byte for byte); effect exactly 1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createClient } from "redis";
import { z } from "zod";
import { Account, defineRequest, JazzRequestError } from "../../../js-glue/src/entries/node.js";
import { startRedis } from "../api/redis-server.mjs";

const WINDOW_MS = 3_000; // the route's window: how long an orphaned "running" id lasts
const PREFIX = "faults:kill:";
const PATH = "/api/book-event-ticket";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let redis;
let client;
let worker;
let survivor;
let route;

before(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
  worker = Account.create();
  survivor = await startWorkerProcess({});
  route = defineRequest({
    url: PATH,
    workerId: worker.id,
    request: { eventId: z.string() },
    response: { ticketId: z.string() },
    options: { window: WINDOW_MS },
  });
});

after(async () => {
  await survivor?.stop();
  await client?.quit();
  await redis?.stop();
});

function startWorkerProcess({ killAt }) {
  const child = spawn(process.execPath, [new URL("./kill-worker.mjs", import.meta.url).pathname], {
    env: { ...process.env, WORKER_SECRET: worker.secret, REDIS_URL: redis.url, GUARD_PREFIX: PREFIX, WINDOW_MS: String(WINDOW_MS), KILL_AT: killAt ?? "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("worker process did not start within 20 s")), 20_000);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve({
        child,
        port: Number(line),
        exited,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    });
    exited.then(({ code, signal }) => reject(new Error(`worker process exited with ${code ?? signal} before listening`)));
  });
}

const urlOf = (port) => `http://127.0.0.1:${port}${PATH}`;

async function post(port, body) {
  const r = await fetch(urlOf(port), { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return { status: r.status, replayed: r.headers.get("X-Jazz-Replayed"), retryAfter: r.headers.get("Retry-After"), text: await r.text() };
}

/**
 * send() from a new client whose first attempt goes to the doomed process and every
 * retry to the survivor (as a load balancer would fail over). Returns the outcome,
 * the captured body and each attempt as the client saw it.
 */
async function sendWithFailover(doomed, eventId) {
  const attempts = [];
  let body;
  const failoverFetch = async (_url, init) => {
    body ??= init.body;
    assert.equal(init.body, body, "every retry is the very same signed body");
    const port = attempts.length === 0 ? doomed.port : survivor.port;
    const seen = { port, at: Date.now() };
    attempts.push(seen);
    try {
      const response = await fetch(urlOf(port), init);
      seen.status = response.status;
      seen.replayed = response.headers.get("X-Jazz-Replayed");
      seen.retryAfter = response.headers.get("Retry-After");
      seen.text = await response.clone().text();
      return response;
    } catch (error) {
      seen.error = String(error?.cause?.code ?? error?.cause?.message ?? error);
      throw error;
    }
  };
  const outcome = await route
    .send({ eventId }, { owner: Account.create(), fetch: failoverFetch, baseUrl: "http://127.0.0.1", retry: { attempts: 10, baseDelayMs: 50, maxDelayMs: 300 } })
    .then((value) => ({ value }), (error) => ({ error }));
  return { outcome, body, attempts };
}

async function counters(eventId) {
  const [runs, bookings] = await Promise.all([client.get(`runs:${eventId}`), client.get(`bookings:${eventId}`)]);
  return { runs: Number(runs ?? 0), bookings: Number(bookings ?? 0) };
}

const stateOf = async (id) => {
  const text = await client.get(PREFIX + id);
  return text === null ? null : JSON.parse(text);
};

// (a) and (b): the killed process leaves its claim running; nobody may run the
// handler again, and the body dies with its window.
for (const [point, killAt, effect] of [
  ["(a) before the handler", "handler", 0],
  ["(b) after the side effect, before the answer is stored", "complete", 1],
]) {
  test(`SIGKILL ${point}: retries on the other process get 409 until the window ends, then 401 expired; the handler never runs again (effect ${effect})`, { timeout: 60_000 }, async (t) => {
    const eventId = `e-${killAt}`;
    const doomed = await startWorkerProcess({ killAt });
    const { outcome, body, attempts } = await sendWithFailover(doomed, eventId);
    const { signal } = await doomed.exited;
    assert.equal(signal, "SIGKILL", "the doomed process killed itself");
    const { id, createdAt } = JSON.parse(body);
    const expiresAt = createdAt + WINDOW_MS;

    // The client: its connection dropped, then every retry was told "being handled".
    assert.equal(attempts[0].port, doomed.port);
    assert.ok(attempts[0].error, `the first attempt's connection dropped: ${JSON.stringify(attempts[0])}`);
    assert.ok(attempts.length >= 2, "send() retried");
    for (const a of attempts.slice(1)) {
      assert.equal(a.port, survivor.port);
      assert.equal(a.status, 409, JSON.stringify(a));
      assert.equal(a.text, '{"message":"Request is being handled, retry","code":409}');
      assert.equal(a.retryAfter, "1");
      assert.equal(a.replayed, null);
    }
    assert.ok(outcome.error instanceof JazzRequestError, `send() gave up: ${outcome.error ?? JSON.stringify(outcome.value)}`);
    assert.equal(outcome.error.code, 409);
    assert.equal(outcome.error.message, "Request is being handled, retry");
    assert.equal(outcome.error.attempts, attempts.length);
    t.diagnostic(`send() attempts: ${attempts.map((a) => a.error ?? a.status).join(", ")} over ${attempts.at(-1).at - attempts[0].at} ms`);

    // The id stays running in Redis: the claim of the dead process.
    assert.equal((await stateOf(id))?.state, "running");

    // The same body, again and again, until just before the window ends: 409 only.
    const polled = [];
    while (Date.now() < expiresAt - 500) {
      polled.push(await post(survivor.port, body));
      await sleep(200);
    }
    assert.ok(polled.length >= 1);
    for (const r of polled) {
      assert.equal(r.status, 409, r.text);
      assert.equal(r.text, '{"message":"Request is being handled, retry","code":409}');
      assert.equal(r.retryAfter, "1");
    }
    assert.deepEqual(await counters(eventId), { runs: 1, bookings: effect }, "the handler ran once (in the killed process)");

    // After the window: the body is refused as expired, the id is forgotten, and the
    // handler still did not run again.
    await sleep(Math.max(0, expiresAt + 300 - Date.now()));
    const late = await post(survivor.port, body);
    assert.equal(late.status, 401, late.text);
    assert.equal(JSON.parse(late.text).message, "Authentication token is expired");
    assert.equal(await stateOf(id), null, "the running claim expired with the window");
    assert.deepEqual(await counters(eventId), { runs: 1, bookings: effect }, `effect ${effect}, at most once`);
    t.diagnostic(`${polled.length} polls answered 409; after expiry 401; runs 1, bookings ${effect}`);
  });
}

// (c): the answer was stored before the process died; the retry gets it.
test("SIGKILL (c) after the answer is stored: the retry on the other process gets the stored answer (200, X-Jazz-Replayed, the same ticket), effect exactly 1", { timeout: 60_000 }, async (t) => {
  const eventId = "e-stored";
  const doomed = await startWorkerProcess({ killAt: "stored" });
  const { outcome, body, attempts } = await sendWithFailover(doomed, eventId);
  const { signal } = await doomed.exited;
  assert.equal(signal, "SIGKILL", "the doomed process killed itself");
  const { id } = JSON.parse(body);

  assert.ok(attempts[0].error, `the first attempt's connection dropped: ${JSON.stringify(attempts[0])}`);
  assert.equal(attempts.length, 2, `one retry: ${JSON.stringify(attempts)}`);
  const retry = attempts[1];
  assert.equal(retry.port, survivor.port);
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.replayed, "true");
  assert.ok(!outcome.error, `send() resolved: ${outcome.error}`);
  assert.deepEqual(outcome.value, { ticketId: `${eventId}-seat-1` }, "the ticket the killed process booked");

  // Byte for byte the answer the killed process stored.
  const state = await stateOf(id);
  assert.equal(state?.state, "done");
  assert.equal(state.answer.status, 200);
  assert.equal(retry.text, state.answer.body);

  // Every further copy of the body: the same bytes, replayed.
  for (let i = 0; i < 3; i++) {
    const again = await post(survivor.port, body);
    assert.deepEqual(again, { status: 200, replayed: "true", retryAfter: null, text: retry.text });
  }
  assert.deepEqual(await counters(eventId), { runs: 1, bookings: 1 }, "effect exactly once");
  t.diagnostic(`send() attempts: ${attempts.map((a) => a.error ?? `${a.status}${a.replayed ? " replayed" : ""}`).join(", ")}`);
});
