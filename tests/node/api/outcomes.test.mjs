// Surely once, the client's side and the id's life (issue 15): every client learns its
// outcome through cut answers and outages; prepared bodies can be delivered again;
// a handler's 503/429 is not stored; answers too large to keep get a definitive
// answer; exactly once with PostgreSQL (PGlite) through handle(). Real node:http
// servers on 127.0.0.1 with toNodeListener.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { z } from "zod";
import { PGlite } from "@electric-sql/pglite";
import { Account, JazzRequestError, defineRequest, postgresExactlyOnce, toNodeListener } from "../../../js-glue/src/entries/node.js";

const worker = Account.create();
const bookRoute = (options) =>
  defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() }, options });

/** A node:http server on 127.0.0.1 serving `listener`; close() stops it. */
async function serve(fetchHandler, port = 0) {
  const server = createServer(toNodeListener(fetchHandler));
  server.keepAliveTimeout = 1;
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    port: server.address().port,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

/** A Response whose body stops after its first half: the connection is cut after the headers. */
function cutAfterHalf(response) {
  return response.text().then((text) => {
    const half = new TextEncoder().encode(text.slice(0, text.length >> 1));
    const body = new ReadableStream({
      pull(controller) {
        controller.enqueue(half);
        controller.error(new Error("cut"));
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  });
}

test("send() retries an answer cut after its headers (a 200 and a jazzrpc error), and gets the stored answer", async () => {
  const route = bookRoute();
  let runs = 0;
  const cut = new Set();
  const server = await serve(async (request) => {
    const copy = request.clone();
    const id = JSON.parse(await copy.text()).id;
    const response = await route.handle(request, worker, async ({ eventId }) => {
      runs++;
      if (eventId === "full") throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
      return { ticketId: `t-${eventId}` };
    });
    if (!cut.has(id)) {
      cut.add(id); // the first answer of each request is cut
      return cutAfterHalf(response);
    }
    return response;
  });
  try {
    const client = Account.create();
    assert.deepEqual(await route.send({ eventId: "a" }, { owner: client, baseUrl: server.base }), { ticketId: "t-a" });
    await assert.rejects(route.send({ eventId: "full" }, { owner: client, baseUrl: server.base }), (error) => {
      assert.equal(error.code, 400);
      assert.equal(error.message, "Event is full");
      assert.equal(error.reason, "ERR_HANDLER");
      assert.equal(error.attempts, 2);
      return true;
    });
    assert.equal(runs, 2, "each request ran its handler once");
  } finally {
    await server.close();
  }
});

test("send() rides out an outage of the server (down 6 s, then up on the same port) with the default retries", async () => {
  const route = bookRoute();
  let runs = 0;
  const handler = (request) => route.handle(request, worker, async ({ eventId }) => (runs++, { ticketId: `t-${eventId}` }));
  let server = await serve(handler);
  const { port, base } = server;
  await server.close(); // down
  const restart = new Promise((resolve) => setTimeout(resolve, 6_000)).then(async () => (server = await serve(handler, port)));
  const started = Date.now();
  const result = await route.send({ eventId: "b" }, { owner: Account.create(), baseUrl: base });
  await restart;
  await server.close();
  assert.deepEqual(result, { ticketId: "t-b" });
  assert.ok(Date.now() - started >= 5_500);
  assert.equal(runs, 1);
});

test("the default retry budget spans a 30 s outage (unreachable server: gives up after 30-46 s, never past the window)", async () => {
  const route = bookRoute();
  const started = Date.now();
  let attempts = 0;
  const fetch = async () => {
    attempts++;
    throw new TypeError("fetch failed");
  };
  await assert.rejects(route.send({ eventId: "c" }, { owner: Account.create(), baseUrl: "http://127.0.0.1:9", fetch }), (error) => {
    assert.equal(error.reason, "ERR_NETWORK");
    assert.equal(error.attempts, attempts);
    assert.match(error.requestId, /^co_z/);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 30_000 && elapsed <= 46_000, `gave up after ${elapsed} ms`);
});

test("prepare() gives plain JSON that deliver() sends as it is: again after a restart, twice with one outcome; errors carry requestId", async () => {
  const route = bookRoute();
  let runs = 0;
  const guardOwner = Account.fromSecret(worker.secret); // the same worker, one memory guard shared by both servers
  const handler = (request) => route.handle(request, guardOwner, async ({ eventId }) => (runs++, { ticketId: `t-${eventId}-${runs}` }));
  const client = Account.create();
  const prepared = await route.prepare({ eventId: "d" }, { owner: client });
  assert.deepEqual(Object.keys(prepared).sort(), ["body", "expiresAt", "id"]);
  const kept = JSON.parse(JSON.stringify(prepared)); // an outbox: localStorage, a table
  // Nothing listens yet: the error names the request.
  await assert.rejects(route.deliver(kept, { baseUrl: "http://127.0.0.1:9", retry: false }), (error) => error.requestId === prepared.id && error.reason === "ERR_NETWORK");
  const server = await serve(handler);
  try {
    const first = await route.deliver(kept, { baseUrl: server.base });
    const again = await route.deliver(kept, { baseUrl: server.base });
    assert.deepEqual(first, { ticketId: "t-d-1" });
    assert.deepEqual(again, first, "the second delivery gets the stored answer");
    assert.equal(runs, 1);
    await assert.rejects(route.deliver({ ...kept, id: "co_zother" }, { baseUrl: server.base }), TypeError);
  } finally {
    await server.close();
  }
});

test("a handler's own 503 or 429 is not stored: the retry runs the handler again", async () => {
  for (const status of [503, 429]) {
    const route = bookRoute({ retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
    let runs = 0;
    const server = await serve((request) =>
      route.handle(request, worker, async ({ eventId }) => {
        runs++;
        if (runs === 1) throw new JazzRequestError("Busy, try again", status);
        return { ticketId: `t-${eventId}` };
      }),
    );
    try {
      assert.deepEqual(await route.send({ eventId: "e" }, { owner: Account.create(), baseUrl: server.base }), { ticketId: "t-e" });
      assert.equal(runs, 2, `${status}: the handler ran again`);
    } finally {
      await server.close();
    }
  }
});

test("an answer over maxStoredAnswerBytes is logged, and its duplicates get a definitive ERR_ANSWER_NOT_STORED (no 409 loop)", async () => {
  const route = defineRequest({ url: "/api/big", workerId: worker.id, request: { n: z.number() }, response: { text: z.string() }, options: { maxStoredAnswerBytes: 1000 } });
  const logged = [];
  let runs = 0;
  const handle = (request) => route.handle(request, worker, async ({ n }) => (runs++, { text: "x".repeat(n) }), { onError: (error, info) => logged.push(info) });
  const { body } = await route.prepare({ n: 5000 }, { owner: Account.create() });
  const post = () => handle(new Request("http://h/api/big", { method: "POST", body }));
  assert.equal((await post()).status, 200);
  const dup = await post();
  assert.equal(dup.status, 500);
  assert.equal(dup.headers.get("Retry-After"), null);
  assert.equal((await dup.json()).reason, "ERR_ANSWER_NOT_STORED");
  assert.equal(runs, 1);
  assert.equal(logged.length, 1);
  assert.equal(logged[0].reason, "ERR_ANSWER_NOT_STORED");
  assert.equal(logged[0].route, "/api/big");
  // The default limit is 1 MiB: a 200 KB answer is stored and replayed.
  const wide = defineRequest({ url: "/api/big", workerId: worker.id, request: { n: z.number() }, response: { text: z.string() } });
  const wideBody = (await wide.prepare({ n: 200_000 }, { owner: Account.create() })).body;
  const again = (r) => wide.handle(new Request("http://h/api/big", { method: "POST", body: r }), worker, async ({ n }) => (runs++, { text: "y".repeat(n) }));
  assert.equal((await again(wideBody)).status, 200);
  const replay = await again(wideBody);
  assert.equal(replay.headers.get("X-Jazz-Replayed"), "true");
  assert.equal(runs, 2);
});

test("postgresExactlyOnce (PGlite) through handle(): the handler's writes through context.tx and the answer commit together", async () => {
  const db = new PGlite();
  await db.exec("CREATE TABLE seats (event text PRIMARY KEY, left_ integer NOT NULL); INSERT INTO seats VALUES ('jazz', 2)");
  const exactlyOnce = postgresExactlyOnce(db);
  const route = bookRoute();
  let runs = 0;
  let failNext = null;
  const handler = async ({ eventId }, madeBy, { tx, id }) => {
    runs++;
    const { rows } = await tx.query("UPDATE seats SET left_ = left_ - 1 WHERE event = $1 AND left_ > 0 RETURNING left_", [eventId]);
    if (failNext === "crash") throw new Error("the handler failed after its write");
    if (failNext === "busy") throw new JazzRequestError("Busy", 503);
    if (rows.length === 0) throw new JazzRequestError("Event is full", 400);
    return { ticketId: `${eventId}-${rows[0].left_}-${id.slice(-4)}` };
  };
  const post = (body) => route.handle(new Request("http://h/api/book", { method: "POST", body }), worker, handler, { exactlyOnce, onError: () => {} });
  const seats = async () => (await db.query("SELECT left_ FROM seats")).rows[0].left_;
  try {
    const a = (await route.prepare({ eventId: "jazz" }, { owner: Account.create() })).body;
    const first = await post(a);
    assert.equal(first.status, 200);
    const dup = await post(a);
    assert.equal(dup.headers.get("X-Jazz-Replayed"), "true");
    assert.equal(await dup.text(), await first.text());
    assert.equal(await seats(), 1);
    // A failing handler rolls back its own write: nothing happened, the retry runs cleanly.
    const b = (await route.prepare({ eventId: "jazz" }, { owner: Account.create() })).body;
    failNext = "crash";
    assert.equal((await post(b)).status, 500);
    assert.equal(await seats(), 1);
    failNext = "busy";
    assert.equal((await post(b)).status, 503);
    assert.equal(await seats(), 1);
    failNext = null;
    assert.equal((await post(b)).status, 200);
    assert.equal(await seats(), 0);
    assert.equal(runs, 4);
  } finally {
    await exactlyOnce.close();
    await db.close();
  }
});

test("outcomes outlive the window: a body past it gets its stored answer (memory and Redis guards, PGlite), never runs; past answerTtlMs it is refused", async () => {
  const { startRedis } = await import("./redis-server.mjs");
  const { createClient } = await import("redis");
  const redis = await startRedis();
  const client = createClient({ url: redis.url });
  await client.connect();
  const db = new PGlite();
  const exactlyOnce = postgresExactlyOnce(db);
  try {
    const time = { t: Date.now() };
    const now = () => time.t;
    const setups = {
      memory: {},
      redis: { replayGuard: new (await import("../../../js-glue/src/entries/node.js")).RedisReplayGuard({ client, prefix: `ttl:${Date.now()}:`, now }) },
      pglite: { exactlyOnce },
    };
    for (const [name, extra] of Object.entries(setups)) {
      time.t = Date.now();
      const route = bookRoute({ now, answerTtlMs: 60 * 60 * 1000 });
      let runs = 0;
      const handle = (body) => route.handle(new Request("http://h/api/book", { method: "POST", body }), worker, async ({ eventId }) => (runs++, { ticketId: `t-${eventId}` }), extra);
      const { body } = await route.prepare({ eventId: name }, { owner: Account.create() });
      const first = await handle(body);
      assert.equal(first.status, 200, name);
      const text = await first.text();
      time.t += 10 * 60 * 1000; // ten minutes later: far past the 60 s window
      const late = await handle(body);
      assert.equal(late.status, 200, `${name}: ${late.status}`);
      assert.equal(late.headers.get("X-Jazz-Replayed"), "true");
      assert.equal(await late.text(), text, `${name}: the same bytes`);
      // An unhandled body as old (signed ten minutes ago) is refused as expired, and does not run.
      const stale = await handle((await bookRoute({ now: () => time.t - 10 * 60 * 1000 }).prepare({ eventId: "stale" }, { owner: Account.create() })).body);
      assert.equal(stale.status, 401, name);
      assert.equal((await stale.json()).reason, "ERR_EXPIRED");
      assert.equal(runs, 1, `${name}: the handler ran once`);
      if (name === "memory") {
        time.t += 2 * 60 * 60 * 1000; // past answerTtlMs
        const gone = await handle(body);
        assert.equal(gone.status, 401, name);
      }
    }
  } finally {
    await exactlyOnce.close();
    await db.close();
    await client.quit();
    await redis.stop();
  }
});
