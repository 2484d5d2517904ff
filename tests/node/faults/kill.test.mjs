// Issue 11, Node with Redis and two processes: the process that runs the handler is
// SIGKILLed at a chosen point of the first request it handles; the client's retries
// of the very same signed body go to the other process (one redis-server, one
// RedisReplayGuard prefix, both on 127.0.0.1). The documented outcome at each point:
//   (a) before the handler, (b) after its side effect and before the answer is
//   stored: the id stays "running" while its lease (leaseMs) lasts, and retries get
//   409; once the lease lapses, the next copy gets 500 ERR_OUTCOME_UNKNOWN (the guard
//   cannot know whether the effect happened), which send() does not retry and which is
//   stored: every later copy, within the window and past it, gets the same answer. The
//   handler never ran again (effect (a) 0, (b) 1: at most once).
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

const WINDOW_MS = 4_000; // the route's window
const LEASE_MS = 1_200; // how long an orphaned "running" id lasts
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
    env: { ...process.env, WORKER_SECRET: worker.secret, REDIS_URL: redis.url, GUARD_PREFIX: PREFIX, WINDOW_MS: String(WINDOW_MS), LEASE_MS: String(LEASE_MS), KILL_AT: killAt ?? "" },
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
  const text = await client.get(`${PREFIX}{${id}}`);
  return text === null ? null : JSON.parse(text);
};

// (a) and (b): the killed process leaves its claim running until its lease lapses;
// nobody may run the handler again, and every client learns that the outcome is unknown.
for (const [point, killAt, effect] of [
  ["(a) before the handler", "handler", 0],
  ["(b) after the side effect, before the answer is stored", "complete", 1],
]) {
  test(`SIGKILL ${point}: retries get 409 while the lease lasts, then 500 ERR_OUTCOME_UNKNOWN, stored for every later copy; the handler never runs again (effect ${effect})`, { timeout: 60_000 }, async (t) => {
    const eventId = `e-${killAt}`;
    const doomed = await startWorkerProcess({ killAt });
    const { outcome, body, attempts } = await sendWithFailover(doomed, eventId);
    const { signal } = await doomed.exited;
    assert.equal(signal, "SIGKILL", "the doomed process killed itself");
    const { id, createdAt } = JSON.parse(body);
    const expiresAt = createdAt + WINDOW_MS;

    // The client: its connection dropped, then "being handled" while the lease lasted,
    // then the definitive answer: outcome unknown.
    assert.equal(attempts[0].port, doomed.port);
    assert.ok(attempts[0].error, `the first attempt's connection dropped: ${JSON.stringify(attempts[0])}`);
    const last = attempts.at(-1);
    for (const a of attempts.slice(1, -1)) {
      assert.equal(a.port, survivor.port);
      assert.equal(a.status, 409, JSON.stringify(a));
      assert.equal(JSON.parse(a.text).reason, "ERR_BEING_HANDLED");
      assert.equal(a.retryAfter, "1");
    }
    assert.equal(last.status, 500, JSON.stringify(last));
    assert.equal(JSON.parse(last.text).reason, "ERR_OUTCOME_UNKNOWN");
    assert.ok(outcome.error instanceof JazzRequestError, `send() gave up: ${outcome.error ?? JSON.stringify(outcome.value)}`);
    assert.equal(outcome.error.code, 500);
    assert.equal(outcome.error.reason, "ERR_OUTCOME_UNKNOWN");
    assert.equal(outcome.error.requestId, id);
    assert.equal(outcome.error.attempts, attempts.length);
    t.diagnostic(`send() attempts: ${attempts.map((a) => a.error ?? a.status).join(", ")} over ${attempts.at(-1).at - attempts[0].at} ms`);

    // The id is done in Redis, with the outcome-unknown answer.
    const state = await stateOf(id);
    assert.equal(state?.state, "done");
    assert.equal(JSON.parse(state.answer.body).reason, "ERR_OUTCOME_UNKNOWN");

    // Every later copy, in the window and past it: the same stored answer, replayed.
    const copies = [await post(survivor.port, body)];
    await sleep(Math.max(0, expiresAt + 300 - Date.now()));
    copies.push(await post(survivor.port, body));
    for (const r of copies) {
      assert.equal(r.status, 500, r.text);
      assert.equal(r.replayed, "true");
      assert.equal(r.text, state.answer.body);
    }
    assert.deepEqual(await counters(eventId), { runs: 1, bookings: effect }, `effect ${effect}, at most once`);
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
