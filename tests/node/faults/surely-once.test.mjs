// Surely once (issue 15), from the outside: CLIENTS clients book seats through send() with
// its default options, through a chaos proxy of our own on 127.0.0.1 (requests dropped,
// answers dropped after the server answered, answers cut after their headers, a backend
// that is down), while the server processes are SIGKILLed and restarted mid-load. Then it
// counts, from the store itself: handler effects per client, seats sold, clients told
// booked or full, clients told "outcome unknown", and clients that never learned.
//   Node + PGlite (one process, restarted over its folder), Node + PostgreSQL (two
//   processes): nothing runs twice, nothing is oversold, every client learns its outcome.
//   Node + Redis (two processes): the same, except that a client whose copy died mid-run
//   may be told ERR_OUTCOME_UNKNOWN (counted, and checked against the store).
//   Workers + exactlyOnce(ctx) (workers-example in workerd, its process group killed and
//   restarted over its persisted storage): nothing twice, every client learns its outcome.
// FAULTS_CLIENTS (default 40; `make faults`: 200) sets the size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, request as httpRequest, Agent } from "node:http";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { createClient } from "redis";
import { PGlite } from "@electric-sql/pglite";
import { Account } from "../../../js-glue/src/entries/node.js";
import { freePort, startRedis } from "../api/redis-server.mjs";
import { startPostgres } from "../postgres/postgres-server.mjs";
import { z } from "zod";
import { defineRequest } from "../../../js-glue/src/entries/node.js";

const CLIENTS = Number(process.env.FAULTS_CLIENTS ?? 40);
const CAPACITY = Math.floor(CLIENTS * 0.75);
const KILLS = Number(process.env.FAULTS_KILLS ?? (CLIENTS >= 200 ? 6 : 2));
const worker = Account.create();
// The route as surely-once-server.mjs defines it.
const defaultRoute = defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });

/** A number in [0, 1) from a seed and a name: the same faults on every run. */
const draw = (seed, name) => createHash("sha256").update(`${seed}:${name}`).digest().readUInt32BE(0) / 2 ** 32;

/**
 * The chaos proxy: each request goes to the next live backend; seeded per exchange, it
 * drops the request (10 %), drops the answer after the server gave it (15 %) or cuts the
 * answer after its headers (10 %). A backend that is down: the client's connection closes.
 */
async function startChaosProxy(backends, seed) {
  const agent = new Agent({ keepAlive: false });
  let n = 0;
  const stats = { requests: 0, droppedRequests: 0, droppedAnswers: 0, cutAnswers: 0, backendDown: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const k = n++;
      stats.requests++;
      const fault = draw(seed, k);
      if (fault < 0.1) {
        stats.droppedRequests++;
        return req.socket.destroy();
      }
      const port = backends[k % backends.length].port;
      const body = Buffer.concat(chunks);
      const upstream = httpRequest({ host: "127.0.0.1", port, method: "POST", path: req.url, agent, headers: { "content-type": "application/json", "content-length": body.length } }, (answer) => {
        const parts = [];
        answer.on("data", (c) => parts.push(c));
        answer.on("error", () => req.socket.destroy());
        answer.on("end", () => {
          const text = Buffer.concat(parts);
          if (fault < 0.25) {
            stats.droppedAnswers++;
            return req.socket.destroy();
          }
          const headers = { "content-type": answer.headers["content-type"] ?? "application/json", "content-length": text.length };
          for (const name of ["x-jazz-request-error", "x-jazz-replayed", "retry-after"]) if (answer.headers[name]) headers[name] = answer.headers[name];
          res.writeHead(answer.statusCode, headers);
          if (fault < 0.35) {
            stats.cutAnswers++;
            res.write(text.subarray(0, text.length >> 1));
            return setImmediate(() => req.socket.destroy());
          }
          res.end(text);
        });
      });
      upstream.on("error", () => {
        stats.backendDown++;
        req.socket.destroy();
      });
      upstream.end(body);
    });
  });
  const port = await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
  return { port, stats, stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

/**
 * A server process of the setup, on a fixed port (restarted on the same one), in a
 * process group of its own so that a kill takes its children (workerd) with it.
 */
function startServer(env, port) {
  const script = env.SETUP === "workerd" ? "./surely-once-workerd.mjs" : "./surely-once-server.mjs";
  const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname], {
    env: { ...process.env, ...env, PORT: String(port), WORKER_SECRET: worker.secret, WORKER_ACCOUNT: worker.id, CAPACITY: String(CAPACITY) },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    exited.then((code) => reject(new Error(`server exited (${code}) before it was ready`)));
  });
  return { child, exited, ready, port };
}

/** Processes on fixed ports; kill(i) SIGKILLs one and starts it again after a short outage. */
async function startServers(count, env) {
  const servers = [];
  for (let i = 0; i < count; i++) {
    const server = startServer(env, await freePort());
    await server.ready;
    servers.push(server);
  }
  return {
    servers,
    async kill(i, outageMs) {
      const old = servers[i];
      killGroup(old.child);
      await old.exited;
      await new Promise((resolve) => setTimeout(resolve, outageMs));
      const fresh = startServer(env, old.port);
      servers[i] = fresh;
      await fresh.ready;
    },
    async stop() {
      for (const s of servers) killGroup(s.child);
      await Promise.all(servers.map((s) => s.exited));
    },
  };
}

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

/** The load: CLIENTS concurrent send()s with default options, and KILLS kills spread over it. */
async function runLoad(t, { processes, env, seed, route = defaultRoute }) {
  const group = await startServers(processes, env);
  const proxy = await startChaosProxy(group.servers, seed);
  const accounts = Array.from({ length: CLIENTS }, () => Account.create());
  const started = Date.now();
  let loadDone = false;
  let kills = 0;
  const killer = (async () => {
    for (let k = 0; k < KILLS && !loadDone; k++, kills++) {
      // Each outage is short (0.5-2.5 s, plus the restart), and the servers are up for
      // 1.5-3 s between two of them: every outage ends well within send()'s retry budget.
      await new Promise((resolve) => setTimeout(resolve, 1_500 + draw(seed, `kill-wait-${k}`) * 1_500));
      await group.kill(k % processes, 500 + draw(seed, `outage-${k}`) * 2000);
    }
  })();
  const outcomes = await Promise.all(
    accounts.map((owner, i) =>
      new Promise((resolve) => setTimeout(resolve, (i % 20) * 25))
        .then(() => route.send({ eventId: "concert" }, { owner, baseUrl: `http://127.0.0.1:${proxy.port}` }))
        .then((value) => ({ i, account: owner.id, value }), (error) => ({ i, account: owner.id, error })),
    ),
  );
  loadDone = true;
  await killer;
  await proxy.stop();
  await group.stop();
  t.diagnostic(`${CLIENTS} clients, ${CAPACITY} seats, ${kills} kills while they booked, ${processes} process(es), ${Date.now() - started} ms; proxy ${JSON.stringify(proxy.stats)}`);
  assert.ok(kills >= 1, "at least one server was killed while clients booked");
  return outcomes;
}

/** Sorts the clients' outcomes and checks them against the store's own record of bookings. */
function tally(t, outcomes, bookingsByAccount) {
  const booked = outcomes.filter((o) => o.value);
  const full = outcomes.filter((o) => o.error?.code === 400 && o.error.message === "Event is full");
  const unknown = outcomes.filter((o) => o.error?.reason === "ERR_OUTCOME_UNKNOWN");
  const neverLearned = outcomes.filter((o) => o.error && !full.includes(o) && !unknown.includes(o));
  let effects = 0;
  for (const count of bookingsByAccount.values()) effects += count;
  const duplicates = [...bookingsByAccount.values()].filter((count) => count > 1).length;
  t.diagnostic(`booked ${booked.length}, full ${full.length}, outcome unknown ${unknown.length}, never learned ${neverLearned.length}; effects ${effects}, duplicates ${duplicates}`);
  for (const o of neverLearned.slice(0, 5)) t.diagnostic(`never learned: client ${o.i}: ${o.error?.code} ${o.error?.reason} ${o.error?.message}`);
  assert.equal(duplicates, 0, "no client booked twice");
  assert.ok(effects <= CAPACITY, `oversold: ${effects} bookings for ${CAPACITY} seats`);
  for (const o of booked) assert.equal(bookingsByAccount.get(o.account), 1, `client ${o.i} was told booked: its booking exists`);
  for (const o of full) assert.equal(bookingsByAccount.get(o.account) ?? 0, 0, `client ${o.i} was told full: no booking`);
  assert.equal(booked.length + full.length + unknown.length + neverLearned.length, CLIENTS);
  return { booked, full, unknown, neverLearned, effects };
}

const SEATS_SQL = `CREATE TABLE IF NOT EXISTS seats (event text PRIMARY KEY, left_ integer NOT NULL);
  CREATE TABLE IF NOT EXISTS tickets (account text NOT NULL, seat integer NOT NULL);
  INSERT INTO seats VALUES ('concert', ${CAPACITY}) ON CONFLICT DO NOTHING;`;

async function bookingsIn(query) {
  const { rows } = await query("SELECT account, count(*)::int AS n FROM tickets GROUP BY account");
  return new Map(rows.map((r) => [r.account, r.n]));
}

let postgres;
let redis;
before(async () => {
  postgres = await startPostgres();
  redis = await startRedis();
});
after(async () => {
  await postgres?.stop();
  await redis?.stop();
});

test("Node + PGlite, one process killed and restarted over its folder: nothing twice, nothing oversold, every client learns its outcome", { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "jazzrpc-surely-pglite-"));
  try {
    const setup = await PGlite.create(dir);
    await setup.exec(SEATS_SQL);
    await setup.close();
    const outcomes = await runLoad(t, { processes: 1, env: { SETUP: "pglite", DATA_DIR: dir }, seed: 1 });
    const db = await PGlite.create(dir);
    const result = tally(t, outcomes, await bookingsIn((q) => db.query(q)));
    await db.close();
    assert.equal(result.unknown.length, 0, "a transactional setup never answers outcome unknown");
    assert.equal(result.neverLearned.length, 0, "every client learned its outcome");
    assert.equal(result.booked.length, result.effects);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Node + PostgreSQL, two processes, each killed and restarted: nothing twice, nothing oversold, every client learns its outcome", { timeout: 240_000 }, async (t) => {
  const database = `surely_${Date.now()}`;
  const admin = new pg.Client({ connectionString: postgres.connectionString });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = postgres.connectionString.replace(/\/[^/]*$/, `/${database}`);
  const pool = new pg.Pool({ connectionString: url });
  try {
    await pool.query(SEATS_SQL);
    const outcomes = await runLoad(t, { processes: 2, env: { SETUP: "postgres", DATABASE_URL: url }, seed: 2 });
    const result = tally(t, outcomes, await bookingsIn((q) => pool.query(q)));
    assert.equal(result.unknown.length, 0, "a transactional setup never answers outcome unknown");
    assert.equal(result.neverLearned.length, 0, "every client learned its outcome");
    assert.equal(result.booked.length, result.effects);
  } finally {
    await pool.end();
  }
});

test("Node + Redis, two processes, each killed and restarted: nothing twice, nothing oversold; clients not told booked or full were told ERR_OUTCOME_UNKNOWN", { timeout: 240_000 }, async (t) => {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    await client.flushAll();
    const outcomes = await runLoad(t, { processes: 2, env: { SETUP: "redis", REDIS_URL: redis.url }, seed: 3 });
    const list = await client.lRange("bookings:concert", 0, -1);
    const bookings = new Map();
    for (const account of list) bookings.set(account, (bookings.get(account) ?? 0) + 1);
    const result = tally(t, outcomes, bookings);
    assert.equal(result.neverLearned.length, 0, "every client learned its outcome, or that it is unknown");
    for (const o of result.unknown) assert.ok((bookings.get(o.account) ?? 0) <= 1, `client ${o.i}: at most once`);
  } finally {
    await client.quit();
  }
});

test("Workers + exactlyOnce(ctx), workerd killed (its process group) and restarted over its storage: nothing twice, nothing oversold, every client learns its outcome", { timeout: 300_000 }, async (t) => {
  const { bundleWorker, EXAMPLE_CONFIG } = await import("../../../workers-example/scripts/local.mjs");
  const { defineBookEventTicket } = await import("../../../workers-example/src/bookEventTicket.js");
  const bundleDir = mkdtempSync(join(tmpdir(), "jazzrpc-surely-bundle-"));
  const persistDir = mkdtempSync(join(tmpdir(), "jazzrpc-surely-do-"));
  try {
    const bundle = await bundleWorker(EXAMPLE_CONFIG, bundleDir);
    const env = { SETUP: "workerd", PERSIST_DIR: persistDir, BUNDLE_DIR: bundle.outdir, SCRIPT_PATH: bundle.scriptPath };
    const outcomes = await runLoad(t, { processes: 1, env, seed: 4, route: defineBookEventTicket(worker.id) });
    // The store's own count: the event object's reservations, read after a last restart.
    const group = await startServers(1, env);
    let info;
    try {
      info = await (await fetch(`http://127.0.0.1:${group.servers[0].port}/api/events/concert`)).json();
    } finally {
      await group.stop();
    }
    const booked = outcomes.filter((o) => o.value);
    const full = outcomes.filter((o) => o.error?.code === 400 && o.error.message === "Event is full");
    const neverLearned = outcomes.filter((o) => o.error && !full.includes(o));
    t.diagnostic(`booked ${booked.length}, full ${full.length}, never learned ${neverLearned.length}; reservations ${info.booked}`);
    for (const o of neverLearned.slice(0, 5)) t.diagnostic(`never learned: client ${o.i}: ${o.error?.code} ${o.error?.reason} ${o.error?.message}`);
    assert.equal(neverLearned.length, 0, "every client learned its outcome");
    assert.equal(info.booked, booked.length, "one reservation per client told booked: nothing twice, nothing lost");
    assert.ok(info.booked <= CAPACITY, "not oversold");
    assert.equal(new Set(booked.map((o) => o.value.ticketId)).size, booked.length, "distinct tickets");
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(persistDir, { recursive: true, force: true });
  }
});
