// The API scenarios, written once and run by node:test (tests/node/api/) and by
// deno test (tests/deno/): one glue, every runtime.
//
// ctx: { lib: the jazzrpc runtime entry (already initialised), z: zod, v: valibot,
//        guards: { name: () => guard }[] to run the guard scenarios against }

import assert from "node:assert/strict";

const T0 = 1_700_000_000_000;

/** A clock the test moves by hand: time is always passed in. */
function clock(start = T0) {
  const c = { t: start, now: () => c.t };
  return c;
}

function setup(ctx, { guard, routeOptions = {}, handlerImpl } = {}) {
  const { lib, z } = ctx;
  const time = clock();
  const worker = lib.Account.create();
  worker.replayGuard = guard ?? new lib.MemoryReplayGuard({ now: time.now });
  const client = lib.Account.create();
  const route = lib.experimental_defineRequest({
    url: "/api/book-event-ticket",
    workerId: worker.id,
    request: { schema: { eventId: z.string().min(1), seats: z.number().int().positive().optional() } },
    response: { schema: { ticketId: z.string() } },
    options: { now: time.now, ...routeOptions },
  });
  const calls = [];
  const handler =
    handlerImpl ??
    (async ({ eventId }, madeBy) => {
      calls.push({ eventId, madeBy });
      return { ticketId: `ticket-${eventId}-${calls.length}` };
    });
  const errors = [];
  const handle = (request, opts = {}) => route.handle(request, worker, handler, { onError: (e) => errors.push(e), ...opts });
  // send() through handle() in-process: a fetch that never touches the network.
  const fetch = async (url, init) => handle(new Request(new URL(String(url), "http://127.0.0.1"), init));
  return { lib, time, worker, client, route, calls, errors, handle, fetch };
}

const post = (body, headers = {}) =>
  new Request("http://127.0.0.1/api/book-event-ticket", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });

/** A body as send() would make it, captured instead of sent. */
async function captureBody(s, values = { eventId: "e1" }, route = s.route, owner = s.client) {
  let body;
  await route
    .send(values, {
      owner,
      fetch: async (_url, init) => {
        body = init.body;
        throw new Error("captured");
      },
    })
    .catch(() => {});
  assert.ok(body, "send() produced a body");
  return body;
}

async function expectError(response, status, message) {
  assert.equal(response.status, status);
  assert.equal(response.headers.get("X-Jazz-Request-Error"), "true");
  assert.equal(response.headers.get("Content-Type"), "application/json");
  const body = await response.json();
  assert.equal(body.code, status);
  if (message) assert.equal(body.message, message);
  return body;
}

export const scenarios = [
  {
    name: "round trip: send() through handle() gives the handler's typed values back",
    async fn(ctx) {
      const s = setup(ctx);
      const result = await s.route.send({ eventId: "e1" }, { owner: s.client, fetch: s.fetch });
      assert.deepEqual(result, { ticketId: "ticket-e1-1" });
      assert.equal(s.calls.length, 1);
      assert.equal(s.calls[0].madeBy.id, s.client.id);
      assert.equal(s.calls[0].madeBy.signerID, s.client.signerID);
    },
  },
  {
    name: "valibot schemas and bare shapes work too",
    async fn(ctx) {
      const { lib, v } = ctx;
      const time = clock();
      const worker = lib.Account.create();
      worker.replayGuard = new lib.MemoryReplayGuard({ now: time.now });
      const route = lib.defineRequest({
        url: "/api/echo",
        workerId: worker.id,
        request: { text: v.pipe(v.string(), v.maxLength(10)) },
        response: { schema: { echoed: v.string() } },
        options: { now: time.now },
      });
      const fetch = async (url, init) =>
        route.handle(new Request(new URL(String(url), "http://h"), init), worker, async ({ text }) => ({ echoed: text + "!" }));
      const client = lib.Account.create();
      assert.deepEqual(await route.send({ text: "hi" }, { owner: client, fetch }), { echoed: "hi!" });
      await assert.rejects(route.send({ text: "far too long for it" }, { owner: client, fetch }), (e) => {
        assert.ok(lib.isJazzRequestError(e));
        assert.equal(e.code, 400);
        assert.equal(e.details.issues[0].path[0], "text");
        return true;
      });
    },
  },
  {
    name: "an invalid value fails in send() without any network call",
    async fn(ctx) {
      const s = setup(ctx);
      let fetched = 0;
      await assert.rejects(
        s.route.send({ eventId: 42 }, { owner: s.client, fetch: async () => (fetched++, new Response("{}")) }),
        (e) => e.code === 400 && e.message === "Request payload is not valid" && e.details.issues.length > 0,
      );
      assert.equal(fetched, 0);
    },
  },
  {
    name: "a duplicate of a handled body gets the stored answer, byte for byte, with X-Jazz-Replayed; the handler ran once",
    async fn(ctx) {
      const s = setup(ctx);
      const body = await captureBody(s);
      const first = await s.handle(post(body));
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("X-Jazz-Replayed"), null);
      const firstText = await first.text();
      const again = await s.handle(post(body));
      assert.equal(again.status, 200);
      assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
      assert.equal(await again.text(), firstText);
      assert.equal(s.calls.length, 1);
      // send() of the same values signs a new request: a second booking, by design.
      // duplicates: "reject" answers as jazz-tools does.
      const r = setup(ctx, { routeOptions: { duplicates: "reject" } });
      const rejectBody = await captureBody(r);
      assert.equal((await r.handle(post(rejectBody))).status, 200);
      await expectError(await r.handle(post(rejectBody)), 400, "Request payload is already handled");
      assert.equal(r.calls.length, 1);
    },
  },
  {
    name: "JazzRequestError from the handler: its code, message and details, as jazz-tools answers",
    async fn(ctx) {
      const s = setup(ctx, {
        handlerImpl: async () => {
          throw new ctx.lib.JazzRequestError("Event is full", 400, { seatsLeft: 0 });
        },
      });
      const body = await expectError(await s.handle(post(await captureBody(s))), 400, "Event is full");
      assert.deepEqual(body.details, { seatsLeft: 0 });
      await assert.rejects(s.route.send({ eventId: "e2" }, { owner: s.client, fetch: s.fetch }), (e) => {
        assert.ok(e instanceof ctx.lib.JazzRequestError);
        assert.equal(e.message, "Event is full");
        assert.equal(e.code, 400);
        assert.deepEqual(e.details, { seatsLeft: 0 });
        return true;
      });
    },
  },
  {
    name: "any other exception: 500 with a generic message, reported to onError, nothing leaked",
    async fn(ctx) {
      const s = setup(ctx, {
        handlerImpl: async () => {
          throw new Error("db password is hunter2");
        },
      });
      const response = await s.handle(post(await captureBody(s)));
      const text = await response.clone().text();
      await expectError(response, 500, "Internal server error");
      assert.ok(!text.includes("hunter2"));
      assert.equal(s.errors.length, 1);
      assert.match(s.errors[0].message, /hunter2/);
    },
  },
  {
    name: "bad bodies: not JSON, wrong shape, too large (declared and streamed), wrong method",
    async fn(ctx) {
      const s = setup(ctx, { routeOptions: { maxBodyBytes: 4096 } });
      await expectError(await s.handle(post("{not json")), 400);
      await expectError(await s.handle(post("")), 400);
      await expectError(await s.handle(post("[1,2]")), 400, "Request payload is not valid");
      await expectError(await s.handle(post('{"contentPieces":[],"id":"co_z1","createdAt":1}')), 400);
      await expectError(await s.handle(post("x".repeat(5000))), 413);
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("y".repeat(1000)));
          controller.close();
        },
      });
      await expectError(await s.handle(new Request("http://h/api/book-event-ticket", { method: "POST", body: stream, duplex: "half" })), 413);
      await expectError(await s.handle(new Request("http://h/api/book-event-ticket", { method: "GET" })), 405);
      assert.equal(s.calls.length, 0);
    },
  },
  {
    name: "schema failure: 400 with the issues in details, after the signature checks",
    async fn(ctx) {
      const { lib, z } = ctx;
      const s = setup(ctx);
      // A client whose schema is looser than the server's signs a value the server refuses.
      const loose = lib.defineRequest({
        url: s.route.url,
        workerId: s.worker.id,
        request: { eventId: z.string() },
        response: { ticketId: z.string() },
        options: { now: s.time.now },
      });
      const body = await captureBody(s, { eventId: "" }, loose);
      const answer = await expectError(await s.handle(post(body)), 400, "Request payload is not valid");
      assert.equal(answer.details.issues[0].path[0], "eventId");
      assert.equal(s.calls.length, 0);
    },
  },
  {
    name: "tampered, re-signed, moved, expired and future-dated bodies are refused",
    async fn(ctx) {
      const { lib } = ctx;
      const s = setup(ctx);
      const body = await captureBody(s);
      const parsed = JSON.parse(body);
      const core = lib.getCore();
      const tamper = (change) => JSON.stringify(change(structuredClone(parsed)));

      await expectError(await s.handle(post(tamper((b) => ((b.contentPieces[0].value.eventId = "e9"), b)))), 401, "Invalid signature");
      await expectError(await s.handle(post(tamper((b) => ((b.createdAt += 1), b)))), 401, "Invalid signature");
      await expectError(await s.handle(post(tamper((b) => ((b.id = b.id.slice(0, -1) + (b.id.endsWith("a") ? "b" : "a")), b)))), 401);
      await expectError(await s.handle(post(tamper((b) => ((b.authToken = b.authToken.slice(0, -2) + "11"), b)))), 401, "Invalid signature");
      await expectError(await s.handle(post(tamper((b) => ((b.signerID = lib.Account.create().signerID), b)))), 401, "Invalid signature");

      // Re-signed with an unrelated key and a fresh createdAt: the id no longer matches.
      const thief = lib.Account.create();
      const resigned = core.signEnvelope({ contentPieces: parsed.contentPieces, id: parsed.id, createdAt: s.time.now() + 1 }, thief.secret);
      await expectError(await s.handle(post(resigned)), 401, "Invalid signature");

      // Moved to another route, or to another worker.
      const other = lib.defineRequest({ url: "/api/cancel-ticket", workerId: s.worker.id, request: s.route.requestSchema, response: s.route.responseSchema, options: { now: s.time.now } });
      await expectError(await s.handle(post(await captureBody(s, { eventId: "e1" }, other))), 400, "Request is signed for another route");
      const otherWorker = lib.Account.create();
      const elsewhere = lib.defineRequest({ url: s.route.url, workerId: otherWorker.id, request: s.route.requestSchema, response: s.route.responseSchema, options: { now: s.time.now } });
      await expectError(await s.handle(post(await captureBody(s, { eventId: "e1" }, elsewhere))), 400, "Request is signed for another worker");

      // Expired: 60 s by default; future-dated beyond the 10 s skew.
      const fresh = await captureBody(s, { eventId: "e2" });
      s.time.t += 60_001;
      await expectError(await s.handle(post(fresh)), 401, "Authentication token is expired");
      s.time.t -= 60_001 + 10_001;
      await expectError(await s.handle(post(fresh)), 401, "Request is dated in the future");
      s.time.t += 10_001;
      assert.equal(s.calls.length, 0);
      assert.equal((await s.handle(post(fresh))).status, 200);
    },
  },
  {
    name: "window and skew are options",
    async fn(ctx) {
      const s = setup(ctx, { routeOptions: { window: 5_000, skew: 0 } });
      const body = await captureBody(s);
      s.time.t += 5_001;
      await expectError(await s.handle(post(body)), 401, "Authentication token is expired");
      s.time.t -= 5_002;
      await expectError(await s.handle(post(body)), 401, "Request is dated in the future");
    },
  },
  {
    name: "a guard that fails or does not answer: 503 and the handler does not run",
    async fn(ctx) {
      const s = setup(ctx, { guard: { claim: async () => { throw new Error("redis down"); } } });
      await expectError(await s.handle(post(await captureBody(s))), 503);
      const slow = setup(ctx, { guard: { claim: () => new Promise(() => {}) }, routeOptions: { guardTimeoutMs: 50 } });
      await expectError(await slow.handle(post(await captureBody(slow))), 503);
      assert.equal(s.calls.length + slow.calls.length, 0);
      assert.equal(s.errors.length, 1);
    },
  },
  {
    name: "send(): network failure, plain HTTP errors, and forged responses are JazzRequestErrors",
    async fn(ctx) {
      const { lib } = ctx;
      const s = setup(ctx);
      await assert.rejects(
        s.route.send({ eventId: "e1" }, { owner: s.client, retry: false, fetch: async () => { throw new TypeError("fetch failed"); } }),
        (e) => lib.isJazzRequestError(e) && e.code === 503 && e.cause instanceof TypeError && e.reason === "ERR_NETWORK",
      );
      await assert.rejects(
        s.route.send({ eventId: "e1" }, { owner: s.client, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 }, fetch: async () => new Response("bad gateway", { status: 502 }) }),
        (e) => e.code === 502 && e.message === "Request failed" && e.attempts === 2,
      );
      // A response signed by someone other than the worker.
      const impostor = lib.Account.create();
      const forged = async (url, init) => {
        const response = await s.fetch(url, init);
        const { payload } = await response.json();
        const resigned = lib.getCore().signEnvelope({ contentPieces: payload.contentPieces, id: payload.id, createdAt: payload.createdAt }, impostor.secret);
        return new Response(`{"type":"success","payload":${resigned}}`, { headers: { "Content-Type": "application/json" } });
      };
      await assert.rejects(s.route.send({ eventId: "e1" }, { owner: s.client, fetch: forged }), (e) => e.code === 502);
      // A genuine response, but to another request.
      let stored;
      const record = async (url, init) => {
        const response = await s.fetch(url, init);
        stored = await response.text();
        return new Response(stored, { headers: { "Content-Type": "application/json" } });
      };
      await s.route.send({ eventId: "e1" }, { owner: s.client, fetch: record });
      await assert.rejects(
        s.route.send({ eventId: "e2" }, { owner: s.client, fetch: async () => new Response(stored, { headers: { "Content-Type": "application/json" } }) }),
        (e) => e.code === 502 && /another request/i.test(e.message),
      );
    },
  },
  {
    name: "JazzRequestError: toJSON, and isJazzRequestError on plain JSON shapes",
    async fn(ctx) {
      const { lib } = ctx;
      const e = new lib.JazzRequestError("Event is full", 400, { seatsLeft: 0 });
      assert.deepEqual(e.toJSON(), { message: "Event is full", code: 400, details: { seatsLeft: 0 } });
      assert.ok(lib.isJazzRequestError(e));
      assert.ok(lib.isJazzRequestError({ message: "Event is full", code: 400 }));
      assert.ok(lib.isJazzRequestError(JSON.parse(JSON.stringify(e))));
      assert.ok(!lib.isJazzRequestError(new Error("x")));
      assert.ok(!lib.isJazzRequestError(null));
      assert.ok(!lib.isJazzRequestError({ message: "x", code: "E" }));
    },
  },
  {
    name: "accounts and startWorker",
    async fn(ctx) {
      const { lib } = ctx;
      const a = lib.Account.create();
      const b = lib.Account.fromSecret(a.secret);
      assert.equal(a.id, b.id);
      assert.equal(lib.Account.idOfSigner(a.signerID), a.id);
      assert.ok(!JSON.stringify(a).includes(a.secret));
      const { worker } = await lib.startWorker({ accountID: a.id, accountSecret: a.secret });
      assert.equal(worker.id, a.id);
      assert.equal(typeof worker.replayGuard.claim, "function");
      await assert.rejects(lib.startWorker({ accountID: lib.Account.create().id, accountSecret: a.secret }), /not to/);
    },
  },
  {
    name: "auth tokens: generateAuthToken and authenticateRequest, with jazz-tools' semantics",
    async fn(ctx) {
      const { lib } = ctx;
      const time = clock();
      const account = lib.Account.create();
      const token = lib.generateAuthToken(account, { now: time.now });
      const parts = token.split("~");
      assert.equal(parts.length, 3);
      assert.equal(parts[1], account.id);
      const withToken = (t) => new Request("http://h/", { headers: { Authorization: `Jazz ${t}` } });
      const ok = await lib.authenticateRequest(withToken(token), { now: time.now });
      assert.equal(ok.account.id, account.id);
      assert.deepEqual(await lib.authenticateRequest(new Request("http://h/"), { now: time.now }), {});
      time.t += 60_001;
      assert.equal((await lib.authenticateRequest(withToken(token), { now: time.now })).error.message, "Token expired");
      time.t -= 60_001;
      const other = lib.Account.create();
      const forged = [parts[0], other.id, parts[2]].join("~");
      assert.equal((await lib.authenticateRequest(withToken(forged), { now: time.now })).error.message, "Invalid signature");
      assert.equal((await lib.authenticateRequest(withToken("garbage"), { now: time.now })).error.message, "Invalid token");
      const custom = await lib.authenticateRequest(new Request("http://h/?t=" + encodeURIComponent(token)), {
        now: time.now,
        getToken: (r) => new URL(r.url).searchParams.get("t"),
      });
      assert.equal(custom.account.id, account.id);
    },
  },
  {
    name: "handle() answers every value a handler can throw or return, and never rejects",
    async fn(ctx) {
      const { lib } = ctx;
      const cyclic = {};
      cyclic.self = cyclic;
      const hostile = new Proxy({}, {
        get() { throw new Error("get trap"); },
        has() { throw new Error("has trap"); },
        getPrototypeOf() { throw new Error("getPrototypeOf trap"); },
        ownKeys() { throw new Error("ownKeys trap"); },
      });
      const throwingMessage = { code: 400, get message() { throw new Error("message getter"); } };
      const throwingToJSON = { toJSON() { throw new Error("toJSON"); } };
      const thrown = [
        [undefined, 500], [null, 500], [0, 500], ["a string", 500], [Symbol("s"), 500], [10n, 500], [hostile, 500],
        [throwingMessage, 500], [new Error("plain"), 500], [Object.freeze(Object.create(null)), 500], [() => {}, 500],
        [new lib.JazzRequestError("Event is full", 400, { big: 1n }), 500],
        [new lib.JazzRequestError("Event is full", 400, cyclic), 500],
        [new lib.JazzRequestError("Event is full", 400, throwingToJSON), 500],
        [{ message: "Event is full", code: 400, details: { seats: 10n } }, 500],
        [{ message: "Event is full", code: 409 }, 409],
        [new lib.JazzRequestError("odd code", 99), 500, "odd code"], // a code that is no HTTP error status: 500, its message kept
        [new lib.JazzRequestError("Event is full", 400, { seatsLeft: 0 }), 400],
      ];
      const returned = [10n, cyclic, hostile, Symbol("r"), { ticketId: 1n }, { get ticketId() { throw new Error("getter"); } }];
      const cases = [
        ...thrown.map(([value, status, message]) => ({ status, message, handler: async () => { throw value; } })),
        ...thrown.slice(0, 6).map(([value]) => ({ status: 500, handler: () => { throw value; } })), // synchronous throws
        ...returned.map((value) => ({ status: 500, handler: async () => value })),
        { status: 500, handler: () => ({ then: (_, reject) => reject(hostile) }) },
      ];
      const rejections = [];
      const onRejection = (reason) => rejections.push(reason);
      globalThis.process?.on?.("unhandledRejection", onRejection);
      try {
        for (const [i, c] of cases.entries()) {
          const s = setup(ctx, { handlerImpl: c.handler });
          const response = await s.handle(post(await captureBody(s)));
          assert.ok(response instanceof Response, `case ${i}: a Response`);
          const text = await response.text();
          assert.equal(response.status, c.status, `case ${i}: ${text}`);
          assert.equal(response.headers.get("X-Jazz-Request-Error"), "true", `case ${i}`);
          const body = JSON.parse(text);
          if (c.status === 500 && !c.message) {
            assert.deepEqual(body, { message: "Internal server error", code: 500, reason: "ERR_INTERNAL" }, `case ${i}`);
            assert.equal(s.errors.length, 1, `case ${i}: told to onError once`);
          }
          if (c.message) assert.equal(body.message, c.message);
        }
        // No onError at all, and an onError that throws: still a Response.
        const s = setup(ctx, { handlerImpl: async () => { throw hostile; } });
        const quiet = console.error;
        let logged = 0;
        console.error = () => { logged++; };
        try {
          assert.equal((await s.route.handle(post(await captureBody(s)), s.worker, async () => { throw hostile; })).status, 500);
        } finally {
          console.error = quiet;
        }
        assert.equal(logged, 1, "logged through console.error when there is no onError");
        const t = setup(ctx, { handlerImpl: async () => { throw new Error("x"); } });
        const r = await t.handle(post(await captureBody(t)), { onError: () => { throw hostile; } });
        assert.equal(r.status, 500);
        await new Promise((resolve) => setTimeout(resolve, 10));
      } finally {
        globalThis.process?.off?.("unhandledRejection", onRejection);
      }
      assert.deepEqual(rejections, []);
    },
  },
  {
    name: "a body that trickles in is answered 408 after bodyTimeoutMs, and the handler does not run",
    async fn(ctx) {
      const s = setup(ctx, { routeOptions: { bodyTimeoutMs: 200 } });
      const body = new TextEncoder().encode(await captureBody(s));
      let timer;
      let cancelled = false;
      const stream = new ReadableStream({
        start(controller) {
          let i = 0;
          timer = setInterval(() => {
            if (i < body.length) controller.enqueue(body.subarray(i, ++i));
            else controller.close();
          }, 20);
        },
        cancel() {
          cancelled = true;
          clearInterval(timer);
        },
      });
      const started = Date.now();
      const response = await s.handle(new Request("http://h/api/book-event-ticket", { method: "POST", body: stream, duplex: "half" }));
      clearInterval(timer);
      await expectError(response, 408, "Request body timed out");
      assert.ok(Date.now() - started < 5_000);
      assert.ok(cancelled, "the body's stream is cancelled");
      assert.equal(s.calls.length, 0);
      // The same body in one piece is then handled: nothing was claimed.
      assert.equal((await s.handle(post(new TextDecoder().decode(body)))).status, 200);
    },
  },
  {
    name: "options are checked when the route is defined",
    async fn(ctx) {
      const { lib, z } = ctx;
      const worker = lib.Account.create();
      const define = (options) =>
        lib.defineRequest({ url: "/x", workerId: worker.id, request: { a: z.string() }, response: { b: z.string() }, options });
      for (const [options, kind] of [
        [{ guardTimeoutMs: Infinity }, RangeError],
        [{ guardTimeoutMs: 2 ** 31 }, RangeError],
        [{ guardTimeoutMs: 0 }, RangeError],
        [{ bodyTimeoutMs: -1 }, RangeError],
        [{ bodyTimeoutMs: "10s" }, TypeError],
        [{ maxBodyBytes: -5 }, RangeError],
        [{ maxBodyBytes: 1.5 }, TypeError],
        [{ maxDepth: 5000 }, RangeError],
        [{ window: NaN }, TypeError],
        [{ skew: -1 }, RangeError],
        [{ now: 5 }, TypeError],
        [{ onError: "log" }, TypeError],
        [{ replayGuard: {} }, TypeError],
      ]) {
        assert.throws(() => define(options), kind, JSON.stringify(options, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
      }
      define({ guardTimeoutMs: 2 ** 31 - 1, bodyTimeoutMs: 1, maxDepth: 1024, skew: 0 });
      // Per-call options that cannot hold: handle() still answers, 500, and says why.
      const s = setup(ctx);
      const errors = [];
      const response = await s.route.handle(post(await captureBody(s)), s.worker, async () => ({ ticketId: "t" }), { guardTimeoutMs: Infinity, onError: (e) => errors.push(e) });
      assert.equal(response.status, 500);
      assert.equal(s.calls.length, 0);
    },
  },
  {
    name: "a relative route url with no page and no baseUrl is a TypeError that says so, before any network",
    async fn(ctx) {
      if (typeof globalThis.location?.href === "string") return; // a page resolves it
      const s = setup(ctx);
      const realFetch = globalThis.fetch;
      let fetched = 0;
      globalThis.fetch = async () => (fetched++, new Response("{}"));
      try {
        await assert.rejects(s.route.send({ eventId: "e1" }, { owner: s.client }), (e) => e instanceof TypeError && /baseUrl/.test(e.message));
      } finally {
        globalThis.fetch = realFetch;
      }
      assert.equal(fetched, 0);
    },
  },
  {
    name: "send() retries the very same body on a network failure, 409, 408, 429, 502, 503 and 504, and the handler runs once",
    async fn(ctx) {
      const s = setup(ctx);
      const bodies = [];
      const failures = [
        () => { throw new TypeError("fetch failed"); },
        () => new Response("{}", { status: 503 }),
        () => new Response('{"message":"Request is being handled, retry","code":409}', { status: 409, headers: { "X-Jazz-Request-Error": "true", "Retry-After": "0" } }),
        () => new Response("", { status: 408 }),
        () => new Response("", { status: 429 }),
        () => new Response("", { status: 502 }),
        () => new Response("", { status: 504 }),
      ];
      let i = 0;
      const flaky = async (url, init) => {
        bodies.push(init.body);
        if (i < failures.length) return failures[i++]();
        return s.fetch(url, init);
      };
      const result = await s.route.send({ eventId: "e1" }, { owner: s.client, fetch: flaky, retry: { attempts: 10, baseDelayMs: 1, maxDelayMs: 5 } });
      assert.deepEqual(result, { ticketId: "ticket-e1-1" });
      assert.equal(bodies.length, failures.length + 1);
      assert.ok(bodies.every((b) => b === bodies[0]), "every attempt sends the same signed body");
      assert.equal(s.calls.length, 1);
    },
  },
  {
    name: "send() does not retry an answer (400, 401, 404, 500), gives up after its attempts with the last cause, honours Retry-After, retry: false and an AbortSignal",
    async fn(ctx) {
      const s = setup(ctx);
      for (const status of [400, 401, 404, 500]) {
        let calls = 0;
        const answer = async () => (calls++, new Response(JSON.stringify({ message: "no", code: status }), { status, headers: { "X-Jazz-Request-Error": "true" } }));
        await assert.rejects(s.route.send({ eventId: "e1" }, { owner: s.client, fetch: answer }), (e) => e.code === status && e.attempts === 1);
        assert.equal(calls, 1, `${status} is not retried`);
      }
      let calls = 0;
      const down = async () => {
        calls++;
        throw new TypeError(`fetch failed ${calls}`);
      };
      await assert.rejects(s.route.send({ eventId: "e1" }, { owner: s.client, fetch: down, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }), (e) => {
        assert.ok(ctx.lib.isJazzRequestError(e));
        assert.equal(e.code, 503);
        assert.equal(e.attempts, 3);
        assert.equal(e.cause.message, "fetch failed 3", "the last cause");
        return true;
      });
      calls = 0;
      await assert.rejects(s.route.send({ eventId: "e1" }, { owner: s.client, fetch: down, retry: false }), (e) => e.attempts === 1);
      assert.equal(calls, 1);
      // Retry-After: 0.2 s is waited for, even when the backoff would be shorter.
      const times = [];
      const busyOnce = async (url, init) => {
        times.push(Date.now());
        if (times.length === 1) return new Response("{}", { status: 409, headers: { "Retry-After": "0.2" } });
        return s.fetch(url, init);
      };
      await s.route.send({ eventId: "e2" }, { owner: s.client, fetch: busyOnce, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
      assert.ok(times[1] - times[0] >= 190, `waited ${times[1] - times[0]} ms`);
      // An AbortSignal stops the waiting at once.
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(new Error("user gave up")), 50);
      await assert.rejects(
        s.route.send({ eventId: "e3" }, { owner: s.client, fetch: down, signal: controller.signal, retry: { attempts: 50, baseDelayMs: 10_000, maxDelayMs: 10_000 } }),
        /user gave up/,
      );
      assert.ok(Date.now() - started < 5_000);
    },
  },
  {
    name: "send() stops retrying before the body leaves its window",
    async fn(ctx) {
      const s = setup(ctx, { routeOptions: { window: 3_000 } });
      let calls = 0;
      const down = async () => {
        calls++;
        s.time.t += 1_500; // each attempt takes 1.5 s of the body's 3 s window
        throw new TypeError("fetch failed");
      };
      // The first attempt ends 1.5 s in; the second would still arrive in time; after it, 3 s in, none is sent.
      await assert.rejects(s.route.send({ eventId: "e1" }, { owner: s.client, fetch: down, retry: { attempts: 10, baseDelayMs: 1, maxDelayMs: 1 } }), (e) => e.attempts === 2);
      assert.equal(calls, 2);
    },
  },
  {
    name: "verify(request) checks a request as handle() would, claims nothing and runs nothing",
    async fn(ctx) {
      const s = setup(ctx);
      const body = await captureBody(s);
      const checked = await s.route.verify(post(body));
      assert.equal(checked.ok, true);
      assert.deepEqual(checked.value, { eventId: "e1" });
      assert.equal(checked.madeBy.id, s.client.id);
      assert.equal(checked.id, JSON.parse(body).id);
      assert.equal((await s.route.verify(post(body))).ok, true, "nothing was claimed");
      const tampered = await s.route.verify(post(body.replace('"e1"', '"e2"')));
      assert.equal(tampered.ok, false);
      await expectError(tampered.response, 401, "Invalid signature");
      await expectError((await s.route.verify(post("{"))).response, 400);
      assert.equal(s.calls.length, 0);
      assert.equal((await s.handle(post(body))).status, 200, "then handle() takes it");
    },
  },
];

/** Scenarios every replay guard must pass; `makeGuard(now)` builds a fresh one. */
export const guardScenarios = [
  {
    name: "a duplicate after completion gets the same bytes; \"reject\" keeps the old answer",
    async fn(ctx, makeGuard) {
      const time = clock(Date.now());
      const s = setup(ctx, { guard: await makeGuard(time.now) });
      s.time.t = time.t;
      const body = await captureBody(s);
      const first = await s.handle(post(body));
      assert.equal(first.status, 200);
      const text = await first.text();
      for (let i = 0; i < 3; i++) {
        const again = await s.handle(post(body));
        assert.equal(again.status, 200);
        assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
        assert.equal(await again.text(), text);
      }
      assert.equal(s.calls.length, 1);
      const r = setup(ctx, { guard: await makeGuard(time.now), routeOptions: { duplicates: "reject" } });
      r.time.t = time.t;
      const rejectBody = await captureBody(r);
      assert.equal((await r.handle(post(rejectBody))).status, 200);
      await expectError(await r.handle(post(rejectBody)), 400, "Request payload is already handled");
      assert.equal(r.calls.length, 1);
    },
  },
  {
    name: "50 concurrent copies of one body run the handler once: 200 once, 409 with Retry-After for the copies that arrive while it runs, then the replayed 200",
    async fn(ctx, makeGuard) {
      const time = clock(Date.now());
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      const s = setup(ctx, {
        guard: await makeGuard(time.now),
        handlerImpl: async ({ eventId }) => {
          s.calls.push(eventId);
          await gate; // still running while the copies arrive
          return { ticketId: `ticket-${eventId}` };
        },
      });
      s.time.t = time.t;
      const body = await captureBody(s);
      let settled = 0;
      const pending = Array.from({ length: 50 }, () => s.handle(post(body)).finally(() => settled++));
      // The first copy's handler waits at the gate until every other copy has its answer.
      for (const deadline = Date.now() + 20_000; settled < 49 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
      release();
      const responses = await Promise.all(pending);
      const fresh = responses.filter((r) => r.status === 200 && r.headers.get("X-Jazz-Replayed") === null);
      const busy = responses.filter((r) => r.status === 409);
      const replayed = responses.filter((r) => r.status === 200 && r.headers.get("X-Jazz-Replayed") === "true");
      assert.equal(fresh.length, 1);
      assert.equal(busy.length, 49, `copies that arrived while it ran were told to retry: ${responses.map((r) => r.status).join(",")}`);
      assert.equal(replayed.length, 0);
      for (const r of busy) {
        assert.equal(r.headers.get("Retry-After"), "1");
        assert.deepEqual(await r.json(), { message: "Request is being handled, retry", code: 409, reason: "ERR_BEING_HANDLED" });
      }
      assert.equal(s.calls.length, 1);
      const after = await s.handle(post(body));
      assert.equal(after.headers.get("X-Jazz-Replayed"), "true");
      assert.equal(await after.text(), await fresh[0].text());
    },
  },
  {
    name: "a stored error replays like a success; an answer over maxStoredAnswerBytes is not stored: its duplicates get a definitive ERR_ANSWER_NOT_STORED, never a 409 loop",
    async fn(ctx, makeGuard) {
      const time = clock(Date.now());
      const s = setup(ctx, {
        guard: await makeGuard(time.now),
        handlerImpl: async ({ eventId }) => {
          s.calls.push(eventId);
          throw new ctx.lib.JazzRequestError("Event is full", 400, { seatsLeft: 0 });
        },
      });
      s.time.t = time.t;
      const body = await captureBody(s);
      await expectError(await s.handle(post(body)), 400, "Event is full");
      const again = await s.handle(post(body));
      assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
      assert.deepEqual(await expectError(again, 400, "Event is full"), { message: "Event is full", code: 400, details: { seatsLeft: 0 }, reason: "ERR_HANDLER" });
      assert.equal(s.calls.length, 1);
      const big = setup(ctx, { guard: await makeGuard(time.now), routeOptions: { maxStoredAnswerBytes: 10 } });
      big.time.t = time.t;
      const bigBody = await captureBody(big);
      assert.equal((await big.handle(post(bigBody))).status, 200);
      for (let i = 0; i < 2; i++) {
        const dup = await big.handle(post(bigBody));
        assert.equal(dup.status, 500);
        assert.equal(dup.headers.get("Retry-After"), null);
        assert.equal((await dup.json()).reason, "ERR_ANSWER_NOT_STORED");
      }
      assert.equal(big.calls.length, 1);
    },
  },
  {
    name: "expiry ends an id's life: the guard forgets it and its answer",
    async fn(ctx, makeGuard) {
      const time = clock(Date.now());
      const guard = await makeGuard(time.now);
      const id = "co_z" + ctx.lib.getCore().base58Encode(crypto.getRandomValues(new Uint8Array(19)));
      const answer = { status: 200, headers: { "Content-Type": "application/json" }, body: '{"ok":true}' };
      assert.equal((await guard.begin(id, time.t + 200)).state, "first");
      assert.equal((await guard.begin(id, time.t + 200)).state, "running");
      await guard.complete(id, answer, time.t + 200);
      assert.deepEqual(await guard.begin(id, time.t + 200), { state: "done", answer });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      time.t = Date.now();
      assert.equal((await guard.begin(id, time.t + 200)).state, "first", "forgotten after its expiry");
    },
  },
  {
    name: "a claim that lands after guardTimeoutMs is released: 503, then the retry of the same body gets 200, the handler ran once",
    async fn(ctx, makeGuard) {
      const time = clock(Date.now());
      const real = await makeGuard(time.now);
      let delayed = 0;
      const late = {
        claim: async (id, expiresAt) => {
          if (delayed++ === 0) await new Promise((resolve) => setTimeout(resolve, 150));
          return real.claim(id, expiresAt);
        },
        release: (id) => real.release(id),
      };
      const s = setup(ctx, { guard: late, routeOptions: { guardTimeoutMs: 30 } });
      s.time.t = time.t;
      const body = await captureBody(s);
      await expectError(await s.handle(post(body)), 503, "Replay guard unavailable, try again");
      await new Promise((resolve) => setTimeout(resolve, 400)); // the late claim lands, then is released
      assert.equal((await s.handle(post(body))).status, 200);
      await expectError(await s.handle(post(body)), 400, "Request payload is already handled");
      assert.equal(s.calls.length, 1);
    },
  },
  {
    name: "release() forgets a claim; an id whose expiresAt has passed is refused",
    async fn(ctx, makeGuard) {
      const time = clock(Date.now());
      const guard = await makeGuard(time.now);
      const id = "co_z" + ctx.lib.getCore().base58Encode(crypto.getRandomValues(new Uint8Array(19)));
      const expiresAt = time.t + 60_000;
      assert.equal(await guard.claim(id, expiresAt), true);
      assert.equal(await guard.claim(id, expiresAt), false);
      await guard.release(id);
      assert.equal(await guard.claim(id, expiresAt), true);
      assert.equal(await guard.claim(id, expiresAt), false);
      assert.equal(await guard.claim(id + "x", time.t - 1), false, "expired: refused");
      assert.equal(await guard.claim(id + "x", time.t + 60_000), true, "and not stored");
    },
  },
];
