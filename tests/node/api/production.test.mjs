// What a production app meets first (issue 16): the handler's context, routes shared
// by a page, a build and a server (workerId as a function), options checked by one
// schema, stable reasons on every error, and log lines that name the route and id.
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { Account, JazzRequestError, defineRequest, toFetchHandler } from "../../../js-glue/src/entries/node.js";
import { jazzrpc } from "../../../js-glue/src/adapters/hono.js";
import { REASONS } from "../../../js-glue/src/rpc/reasons.js";

const worker = Account.create();
const define = (extra = {}) =>
  defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() }, ...extra });
const post = (body, headers = {}) => new Request("http://h/api/book", { method: "POST", body, headers: { "Content-Type": "application/json", ...headers } });

test("the handler gets (value, madeBy, context): the request, the id, and the env and ctx its platform passed", async () => {
  const route = define();
  const seen = [];
  const fetchHandler = toFetchHandler(route, async (value, madeBy, context) => {
    seen.push({ value, madeBy, context });
    return { ticketId: context.env.PREFIX + value.eventId };
  }, { worker });
  const client = Account.create();
  const { id, body } = await route.prepare({ eventId: "e1" }, { owner: client });
  const env = { PREFIX: "t-", DB: { binding: true } };
  const ctx = { waitUntil() {}, passThroughOnException() {} };
  const response = await fetchHandler(post(body, { "X-Trace": "abc" }), env, ctx);
  assert.equal(response.status, 200);
  assert.equal(seen.length, 1);
  const { value, madeBy, context } = seen[0];
  assert.deepEqual(value, { eventId: "e1" });
  assert.equal(madeBy.id, client.id);
  assert.equal(context.id, id);
  assert.equal(context.env, env);
  assert.equal(context.ctx, ctx);
  assert.equal(context.request.headers.get("X-Trace"), "abc");
  assert.ok(Object.isFrozen(context));
  // A Bun or Deno server object passed as the second argument is not an env.
  const bunServer = { requestIP() {}, upgrade() {} };
  const second = await route.prepare({ eventId: "e2" }, { owner: client });
  await toFetchHandler(route, async (_v, _m, c) => (seen.push(c), { ticketId: "x" }), { worker })(post(second.body), bunServer);
  assert.equal(seen.at(-1).env, undefined);
  // Hono: c.env, and c.executionCtx where the platform has one.
  const third = await route.prepare({ eventId: "e3" }, { owner: client });
  const honoHandler = jazzrpc(route, async (_v, _m, c) => (seen.push(c), { ticketId: "h" }), { worker });
  const executionCtx = { waitUntil() {} };
  await honoHandler({ req: { raw: post(third.body) }, env: { A: 1 }, executionCtx });
  assert.deepEqual(seen.at(-1).env, { A: 1 });
  assert.equal(seen.at(-1).ctx, executionCtx);
  // Two-argument handlers keep working.
  const fourth = await route.prepare({ eventId: "e4" }, { owner: client });
  assert.equal((await route.handle(post(fourth.body), worker, async ({ eventId }) => ({ ticketId: eventId }))).status, 200);
});

test("workerId may be a function, called when first needed: a route file with no secret loads anywhere", async () => {
  let calls = 0;
  let id;
  const route = defineRequest({ url: "/api/book", workerId: () => (calls++, id), request: { eventId: z.string() }, response: { ticketId: z.string() } });
  assert.equal(calls, 0, "not called at definition");
  assert.equal(route.path, "/api/book");
  await assert.rejects(route.send({ eventId: "x" }, { owner: Account.create(), baseUrl: "http://127.0.0.1:9" }), (error) => {
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /'workerId'/);
    assert.match(error.message, /JAZZ_WORKER_ACCOUNT/);
    return true;
  });
  id = worker.id;
  const { body } = await route.prepare({ eventId: "x" }, { owner: Account.create() });
  assert.equal((await route.handle(post(body), worker, async () => ({ ticketId: "t" }))).status, 200);
  assert.equal(route.workerId, worker.id);
});

test("workerId is checked: empty, not an account id, a signer id: a TypeError at definition that says what is wrong", () => {
  const base = { url: "/api/book", request: { eventId: z.string() }, response: { ticketId: z.string() } };
  assert.throws(() => defineRequest({ ...base }), /option 'workerId' is missing.*JAZZ_WORKER_ACCOUNT/);
  assert.throws(() => defineRequest({ ...base, workerId: "" }), /option 'workerId' is missing/);
  assert.throws(() => defineRequest({ ...base, workerId: "abc" }), /must be an account id/);
  assert.throws(() => defineRequest({ ...base, workerId: worker.signerID }), /signer id.*Account\.idOfSigner/);
});

test("options are checked by one schema: unknown keys name the nearest known one, counts must be positive, owner before any network", async () => {
  assert.throws(() => define({ options: { windw: 5000 } }), (e) => e instanceof TypeError && /'windw'.*did you mean 'window'/.test(e.message));
  assert.throws(() => define({ workerld: worker.id }), (e) => e instanceof TypeError && /unknown defineRequest key 'workerld'/.test(e.message));
  const route = define();
  let fetched = 0;
  const fetch = async () => (fetched++, new Response("{}"));
  await assert.rejects(route.send({ eventId: "x" }, { owner: Account.create(), fetch, retry: { attempts: -1 } }), RangeError);
  await assert.rejects(route.send({ eventId: "x" }, { owner: Account.create(), fetch, retry: { atempts: 2 } }), /did you mean 'attempts'/);
  await assert.rejects(route.send({ eventId: "x" }, { owner: Account.create(), fetch, baseURL: "http://h" }), /did you mean 'baseUrl'/);
  await assert.rejects(route.send({ eventId: "x" }, { fetch }), (e) => e instanceof TypeError && /needs \{ owner \}/.test(e.message));
  await assert.rejects(route.send({ eventId: "x" }), TypeError);
  assert.equal(fetched, 0);
  assert.throws(() => toFetchHandler(route, () => ({}), { wroker: worker }), /did you mean 'worker'/);
  // replayGuard may be (env) => guard (a Durable Object binding): made per request, not refused.
  const { MemoryReplayGuard } = await import("../../../js-glue/src/entries/node.js");
  const guard = new MemoryReplayGuard();
  const byEnv = toFetchHandler(route, async () => ({ ticketId: "g" }), { worker, replayGuard: (env) => env.GUARD });
  const { body: guarded } = await route.prepare({ eventId: "g" }, { owner: Account.create() });
  assert.equal((await byEnv(post(guarded), { GUARD: guard })).status, 200);
  assert.equal(guard.size, 1, "the guard the env gave was used");
  assert.throws(() => toFetchHandler(route, () => ({}), { worker, replayGuard: 5 }), /replayGuard/);
  const response = await route.handle(post("{}"), worker, () => ({}), { duplicate: "reject" });
  assert.equal(response.status, 500, "a wrong per-call option is the server's bug: 500, not a client error");
});

test("every error send() and verify() produce has a stable reason from the documented set", async () => {
  const times = { t: Date.now() };
  const route = define({ options: { now: () => times.t } });
  const server = toFetchHandler(route, async ({ eventId }) => {
    if (eventId === "full") throw new JazzRequestError("Event is full", 400);
    if (eventId === "own") throw new JazzRequestError("Sold out today", 409, undefined, { reason: "SOLD_OUT" });
    return { ticketId: eventId };
  }, { worker, onError: () => {} });
  const fetch = async (_url, init) => server(post(init.body));
  const reasonOf = async (promise) => promise.then(() => "ok", (e) => e.reason);
  const client = Account.create();
  assert.equal(await reasonOf(route.send({ eventId: "full" }, { owner: client, fetch })), "ERR_HANDLER");
  assert.equal(await reasonOf(route.send({ eventId: "own" }, { owner: client, fetch, retry: false })), "SOLD_OUT");
  assert.equal(await reasonOf(route.send({ eventId: 3 }, { owner: client, fetch })), "ERR_SCHEMA");
  // Bodies the server refuses, each with its reason, through verify():
  const { body } = await route.prepare({ eventId: "x" }, { owner: client });
  const reasonOfBody = async (text, at = times.t) => {
    const verifyRoute = define({ options: { now: () => at } });
    const verdict = await verifyRoute.verify(post(text));
    if (verdict.ok) return verdict.expired ? "ok, past its window" : "ok";
    return (await verdict.response.json()).reason;
  };
  assert.equal(await reasonOfBody(body), "ok");
  // Past its window: verify() lets it through (handle() answers it from a stored answer);
  // handle() with no stored answer refuses it as expired; past answerTtlMs verify() does too.
  assert.equal(await reasonOfBody(body, times.t + 120_000), "ok, past its window");
  const late = define({ options: { now: () => times.t + 120_000 } });
  const refused = await late.handle(post(body), worker, async () => ({ ticketId: "never" }));
  assert.equal((await refused.json()).reason, "ERR_EXPIRED");
  assert.equal(await reasonOfBody(body, times.t + 25 * 60 * 60 * 1000), "ERR_EXPIRED");
  assert.equal(await reasonOfBody(body, times.t - 60_000), "ERR_FUTURE");
  assert.equal(await reasonOfBody(body.replace('"eventId":"x"', '"eventId":"y"')), "ERR_BAD_SIGNATURE");
  assert.equal(await reasonOfBody("not json"), "ERR_NOT_JSON");
  assert.equal(await reasonOfBody("{}"), "ERR_MALFORMED");
  const other = defineRequest({ url: "/api/other", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
  assert.equal(await reasonOfBody((await other.prepare({ eventId: "x" }, { owner: client })).body), "ERR_WRONG_ROUTE");
  const wrongMethod = await route.verify(new Request("http://h/api/book"));
  assert.equal((await wrongMethod.response.json()).reason, "ERR_METHOD");
  for (const reason of ["ERR_HANDLER", "ERR_SCHEMA", "ERR_EXPIRED", "ERR_FUTURE", "ERR_BAD_SIGNATURE", "ERR_NOT_JSON", "ERR_MALFORMED", "ERR_WRONG_ROUTE", "ERR_METHOD"]) {
    assert.ok(REASONS[reason], `${reason} is documented`);
  }
});

test("a failure is logged as one line with route, request id, status and reason, then the cause; onError gets the same fields", async () => {
  const route = define();
  const lines = [];
  const original = console.error;
  console.error = (...args) => lines.push(args.map(String).join(" "));
  let body;
  try {
    body = (await route.prepare({ eventId: "x" }, { owner: Account.create() })).body;
    await route.handle(post(body), worker, async () => ({ ticketId: 42 }));
  } finally {
    console.error = original;
  }
  const { id } = JSON.parse(body);
  assert.equal(lines.length, 1);
  assert.match(lines[0], new RegExp(`^jazzrpc: /api/book request ${id}: 500 ERR_INTERNAL:`));
  assert.match(lines[0], /does not match the response schema/);
  assert.match(lines[0], /issues: \[\{"path":\["ticketId"\]/, "schema issues printed in full");
  const told = [];
  const second = (await route.prepare({ eventId: "y" }, { owner: Account.create() })).body;
  await route.handle(post(second), worker, async () => {
    throw new Error("boom");
  }, { onError: (error, info) => told.push({ error, info }) });
  assert.equal(told.length, 1);
  assert.equal(told[0].error.message, "boom");
  assert.deepEqual(told[0].info, { route: "/api/book", requestId: JSON.parse(second).id, status: 500, reason: "ERR_INTERNAL" });
});

test("the README's table of reasons is the code's: every reason in REASONS, and no other", async () => {
  const { readFile } = await import("node:fs/promises");
  const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### Errors and their reasons"), readme.indexOf("### Auth tokens"));
  const documented = [...section.matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), Object.keys(REASONS).sort());
});
