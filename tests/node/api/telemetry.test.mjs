// OpenTelemetry (issue 19.3): with @opentelemetry/api installed and the SDK's providers
// registered, handle() (directly and through toNodeListener on a real node:http server on
// 127.0.0.1) and send() make spans and metric points, read back from the SDK's
// InMemorySpanExporter and a MetricReader. Without a provider nothing is recorded; without
// the package at all (a child process whose jazzrpc cannot resolve it) everything works.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { z } from "zod";
import { Account, JazzRequestError, defineRequest, instrument, toNodeListener } from "../../../js-glue/src/entries/node.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const run = promisify(execFile);

const worker = Account.create();
const owner = Account.create();
const bookRoute = (options) => defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() }, options });

// ---- the SDK, registered by the first test (which first shows that nothing is recorded without it)
const spans = new InMemorySpanExporter();
class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new Reader();
let registered = false;
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
function register() {
  if (registered) return;
  registered = true;
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
}

/** { metric name: { JSON of the point's attributes: value (a counter's sum, or a histogram's { count, sum }) } } */
async function points() {
  const out = {};
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const byAttributes = (out[metric.descriptor.name] ??= {});
      for (const point of metric.dataPoints) {
        const key = JSON.stringify(Object.fromEntries(Object.entries(point.attributes).sort()));
        byAttributes[key] = typeof point.value === "number" ? point.value : { count: point.value.count, sum: point.value.sum };
      }
    }
  }
  return out;
}

/** What changed between two readings: counters as their increase, histograms as { count, sum } added. */
function delta(before, after) {
  const out = {};
  for (const [name, byAttributes] of Object.entries(after)) {
    for (const [key, value] of Object.entries(byAttributes)) {
      const was = before[name]?.[key];
      const d = typeof value === "number" ? value - (was ?? 0) : { count: value.count - (was?.count ?? 0), sum: value.sum - (was?.sum ?? 0) };
      if (typeof d === "number" ? d !== 0 : d.count !== 0) (out[name] ??= {})[key] = d;
    }
  }
  return out;
}
const attrs = (object) => JSON.stringify(Object.fromEntries(Object.entries(object).sort()));

/** The finished spans of one request, by name, with the server span as `root`. */
function treeOf(root) {
  const all = spans.getFinishedSpans();
  const children = all.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
  return { root, children, names: children.map((s) => s.name) };
}
const serverSpans = () => spans.getFinishedSpans().filter((s) => s.name === "jazzrpc.handle");

/** A node:http server on 127.0.0.1 with toNodeListener(route, handler). */
async function listen(listener) {
  const server = createServer(listener);
  server.keepAliveTimeout = 1;
  await new Promise((ok, fail) => server.once("error", fail).listen(0, "127.0.0.1", ok));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((ok) => (server.closeAllConnections(), server.close(ok))),
  };
}
const post = (base, body) => fetch(new URL("/api/book", base), { method: "POST", headers: { "Content-Type": "application/json" }, body });

test("@opentelemetry/api loaded but no provider registered: nothing is recorded; a provider registered later is used from the next request", async () => {
  const route = bookRoute();
  const handler = ({ eventId }) => ({ ticketId: `t-${eventId}` });
  let seenSpan;
  for (const eventId of ["a", "b"]) {
    const prepared = await route.prepare({ eventId }, { owner });
    const response = await route.handle(new Request("http://localhost/api/book", { method: "POST", body: prepared.body }), worker, () => {
      seenSpan = api.trace.getActiveSpan();
      return handler({ eventId });
    });
    assert.equal(response.status, 200);
  }
  assert.equal(seenSpan, undefined, "no span around the handler");
  register();
  assert.deepEqual(spans.getFinishedSpans(), [], "nothing was recorded before a provider was registered");
  assert.deepEqual(Object.keys(await points()).filter((name) => name.startsWith("jazzrpc.")), [], "no instrument was even created");

  const prepared = await route.prepare({ eventId: "c" }, { owner });
  const response = await route.handle(new Request("http://localhost/api/book", { method: "POST", body: prepared.body }), worker, handler);
  assert.equal(response.status, 200);
  assert.equal(serverSpans().length, 1, "the provider registered since is used");
  assert.equal((await points())["jazzrpc.server.requests"]?.[attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": 200, "jazzrpc.replayed": false })], 1);
});

/** fn() with instrument(api, { steps: true }), then the default configuration again. */
async function withSteps(fn) {
  instrument(api, { steps: true });
  try {
    return await fn();
  } finally {
    instrument(api);
  }
}

test("handle(), the default configuration: one server span and no step span; the handler's own spans nest under jazzrpc.handle; guard latency of the claim and the complete", async () => {
  register();
  spans.reset();
  const before = await points();
  const route = bookRoute();
  const prepared = await route.prepare({ eventId: "jazz-night" }, { owner });
  const response = await route.handle(new Request("http://localhost/api/book", { method: "POST", body: prepared.body }), worker, ({ eventId }) =>
    api.trace.getTracer("app").startActiveSpan("app.book", (span) => {
      span.end();
      return { ticketId: `${eventId}-1` };
    }),
  );
  assert.equal(response.status, 200);
  const body = await response.text();
  const [root] = serverSpans();
  assert.equal(serverSpans().length, 1);
  assert.equal(root.kind, api.SpanKind.SERVER);
  assert.equal(root.parentSpanContext, undefined);
  assert.deepEqual(root.attributes, {
    "jazzrpc.route": "/api/book",
    "jazzrpc.request_id": prepared.id,
    "http.response.status_code": 200,
    "jazzrpc.replayed": false,
  });
  const appSpan = spans.getFinishedSpans().find((s) => s.name === "app.book");
  assert.equal(appSpan.parentSpanContext?.spanId, root.spanContext().spanId, "the handler runs in jazzrpc.handle's context");
  assert.deepEqual(spans.getFinishedSpans().map((s) => s.name).sort(), ["app.book", "jazzrpc.handle"], "no jazzrpc step span without steps: true");

  const d = delta(before, await points());
  assert.equal(d["jazzrpc.server.requests"][attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": 200, "jazzrpc.replayed": false })], 1);
  const guard = d["jazzrpc.guard.duration"];
  assert.deepEqual(Object.keys(guard).sort(), ["claim", "complete"].map((operation) => attrs({ "jazzrpc.route": "/api/book", "jazzrpc.guard.operation": operation })).sort(), "the guard's times, without steps too");
  for (const point of Object.values(guard)) assert.ok(point.count === 1 && point.sum >= 0 && point.sum < 5, `a guard's time in seconds: ${point.sum}`);
  assert.deepEqual(d["jazzrpc.server.stored_answers"], { [attrs({ "jazzrpc.route": "/api/book" })]: 1 });
  assert.deepEqual(d["jazzrpc.server.stored_answer.bytes"], { [attrs({ "jazzrpc.route": "/api/book" })]: Buffer.byteLength(body) });
});

test("handle() with instrument(api, { steps: true }): children verify, guard.claim, handler, sign, guard.complete; the handler's own spans nest under jazzrpc.handler", async () => {
  register();
  spans.reset();
  const before = await points();
  const route = bookRoute();
  const prepared = await route.prepare({ eventId: "jazz-night" }, { owner });
  const response = await withSteps(() =>
    route.handle(new Request("http://localhost/api/book", { method: "POST", body: prepared.body }), worker, ({ eventId }) =>
      api.trace.getTracer("app").startActiveSpan("app.book", (span) => {
        span.end();
        return { ticketId: `${eventId}-1` };
      }),
    ),
  );
  assert.equal(response.status, 200);
  const body = await response.text();
  const [root] = serverSpans();
  assert.equal(root.kind, api.SpanKind.SERVER);
  assert.equal(root.parentSpanContext, undefined);
  assert.deepEqual(root.attributes, {
    "jazzrpc.route": "/api/book",
    "jazzrpc.request_id": prepared.id,
    "http.response.status_code": 200,
    "jazzrpc.replayed": false,
  });
  const { names, children } = treeOf(root);
  assert.deepEqual(names, ["jazzrpc.verify", "jazzrpc.guard.claim", "jazzrpc.handler", "jazzrpc.sign", "jazzrpc.guard.complete"]);
  for (const child of children) assert.equal(child.spanContext().traceId, root.spanContext().traceId);
  const handlerSpan = children.find((s) => s.name === "jazzrpc.handler");
  const appSpan = spans.getFinishedSpans().find((s) => s.name === "app.book");
  assert.equal(appSpan.parentSpanContext?.spanId, handlerSpan.spanContext().spanId, "the handler runs in its span's context");

  const d = delta(before, await points());
  assert.equal(d["jazzrpc.server.requests"][attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": 200, "jazzrpc.replayed": false })], 1);
  const guard = d["jazzrpc.guard.duration"];
  assert.equal(guard[attrs({ "jazzrpc.route": "/api/book", "jazzrpc.guard.operation": "claim" })].count, 1);
  assert.equal(guard[attrs({ "jazzrpc.route": "/api/book", "jazzrpc.guard.operation": "complete" })].count, 1);
  for (const point of Object.values(guard)) assert.ok(point.sum >= 0 && point.sum < 5, `a guard's time in seconds: ${point.sum}`);
  assert.deepEqual(d["jazzrpc.server.stored_answer.bytes"], { [attrs({ "jazzrpc.route": "/api/book" })]: Buffer.byteLength(body) });

  // And back to the default: the next request has no step span.
  spans.reset();
  const next = await route.prepare({ eventId: "after" }, { owner });
  assert.equal((await route.handle(new Request("http://localhost/api/book", { method: "POST", body: next.body }), worker, () => ({ ticketId: "x" }))).status, 200);
  assert.deepEqual(spans.getFinishedSpans().map((s) => s.name), ["jazzrpc.handle"]);
});

test("toNodeListener over node:http: a good request, a bad signature, a replay from storage, a 409, a schema failure, a 429 ERR_RATE_LIMITED; send() with one span per attempt", async () => {
  register();
  spans.reset();
  const before = await points();
  const route = bookRoute({ retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 200, budgetMs: 10_000 } });
  let release;
  const gate = new Promise((ok) => (release = ok));
  let runs = 0;
  const server = await listen(
    toNodeListener(route, async ({ eventId }) => {
      runs++;
      if (eventId === "slow") await gate;
      if (eventId === "busy") throw new JazzRequestError("Too many bookings, retry later", 429, undefined, { reason: "ERR_RATE_LIMITED" });
      return { ticketId: `${eventId}-1` };
    }, { worker }),
  );
  try {
    // A good request, then its copy: answered from storage.
    const good = await route.prepare({ eventId: "good" }, { owner });
    const first = await post(server.base, good.body);
    assert.equal(first.status, 200);
    const firstBody = await first.text();
    const copy = await post(server.base, good.body);
    assert.equal(copy.status, 200);
    assert.equal(copy.headers.get("x-jazz-replayed"), "true");
    assert.equal(await copy.text(), firstBody);

    // A bad signature: the last character of the signature changed.
    const bad = JSON.parse((await route.prepare({ eventId: "bad" }, { owner })).body);
    bad.authToken = bad.authToken.slice(0, -2) + (bad.authToken.at(-2) === "A" ? "B" : "A") + bad.authToken.at(-1);
    const refused = await post(server.base, JSON.stringify(bad));
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).reason, "ERR_BAD_SIGNATURE");

    // A schema failure: signed, but eventId is a number.
    const wrongRoute = defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.number() }, response: { ticketId: z.string() } });
    const wrong = await wrongRoute.prepare({ eventId: 7 }, { owner });
    const schema = await post(server.base, wrong.body);
    assert.equal(schema.status, 400);
    assert.equal((await schema.json()).reason, "ERR_SCHEMA");

    // A 409: a copy arrives while the first runs; then send() of the same body polls
    // through a 409 and gets the stored answer: two attempts.
    const slow = await route.prepare({ eventId: "slow" }, { owner });
    const running = post(server.base, slow.body);
    while (runs < 2) await new Promise((ok) => setTimeout(ok, 5)); // the good one ran, now the slow one runs
    const busy = await post(server.base, slow.body);
    assert.equal(busy.status, 409);
    assert.equal((await busy.json()).reason, "ERR_BEING_HANDLED");
    spans.reset(); // from here: the send() alone, and the first slow request's server span
    const delivered = route.deliver(slow, { baseUrl: server.base });
    await new Promise((ok) => setTimeout(ok, 100)); // its first attempt got a 409
    release();
    assert.equal((await running).status, 200);
    assert.deepEqual(await delivered, { ticketId: "slow-1" });

    const sendSpan = spans.getFinishedSpans().find((s) => s.name === "jazzrpc.send");
    assert.equal(sendSpan.kind, api.SpanKind.CLIENT);
    assert.deepEqual(sendSpan.attributes, { "jazzrpc.route": "/api/book", "jazzrpc.request_id": slow.id, "jazzrpc.attempts": 2, "http.response.status_code": 200 });
    const attempts = spans.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === sendSpan.spanContext().spanId);
    assert.deepEqual(
      attempts.map((s) => s.attributes),
      [
        { "jazzrpc.attempt": 1, "http.response.status_code": 409, "jazzrpc.reason": "ERR_BEING_HANDLED", "jazzrpc.retried": true },
        { "jazzrpc.attempt": 2, "http.response.status_code": 200 },
      ],
    );
    assert.ok(attempts.every((s) => s.name === "jazzrpc.attempt" && s.kind === api.SpanKind.CLIENT));

    // A handler's own 429 ERR_RATE_LIMITED: counted as rate limited.
    const limited = await route.prepare({ eventId: "busy" }, { owner });
    const answer = await post(server.base, limited.body);
    assert.equal(answer.status, 429);
  } finally {
    release();
    await server.close();
  }

  // The spans of every request, by what it was answered.
  const byStatus = (status) => serverSpans().filter((s) => s.attributes["http.response.status_code"] === status);
  const [limitedSpan] = byStatus(429);
  assert.equal(limitedSpan.attributes["jazzrpc.reason"], "ERR_RATE_LIMITED");
  const replayedSpans = serverSpans().filter((s) => s.attributes["jazzrpc.replayed"] === true);
  assert.equal(replayedSpans.length, 1, "send()'s second attempt was answered from storage");
  assert.deepEqual(treeOf(replayedSpans[0]).names, [], "the default configuration: no step span");

  const d = delta(before, await points());
  const requests = d["jazzrpc.server.requests"];
  const key = (status, replayed, reason) => attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": status, "jazzrpc.replayed": replayed, ...(reason ? { "jazzrpc.reason": reason } : {}) });
  assert.deepEqual(requests, {
    [key(200, false)]: 2, // good, slow
    [key(200, true)]: 2, // the copy of good, send()'s second attempt
    [key(401, false, "ERR_BAD_SIGNATURE")]: 1,
    [key(400, false, "ERR_SCHEMA")]: 1,
    [key(409, false, "ERR_BEING_HANDLED")]: 2, // the copy posted by hand, send()'s first attempt
    [key(429, false, "ERR_RATE_LIMITED")]: 1,
  });
  assert.deepEqual(d["jazzrpc.server.replays"], { [attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": 200 })]: 2 });
  assert.deepEqual(d["jazzrpc.server.conflicts"], { [attrs({ "jazzrpc.route": "/api/book" })]: 2 });
  assert.deepEqual(d["jazzrpc.server.rate_limited"], { [attrs({ "jazzrpc.route": "/api/book" })]: 1 });
  assert.deepEqual(d["jazzrpc.server.stored_answers"], { [attrs({ "jazzrpc.route": "/api/book" })]: 2 }, "good and slow; a 429 is not stored");
  assert.ok(d["jazzrpc.server.stored_answer.bytes"][attrs({ "jazzrpc.route": "/api/book" })] > 0);
  assert.deepEqual(d["jazzrpc.client.requests"], { [attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": 200 })]: 1 });
  assert.deepEqual(d["jazzrpc.client.attempts"], { [attrs({ "jazzrpc.route": "/api/book" })]: 2 });
});

test("steps: true, the span of a refused request: a bad signature has an erring verify span and no guard span; a schema failure ERR_SCHEMA on a span whose verify checked out", () => withSteps(async () => {
  register();
  spans.reset();
  const route = bookRoute();
  const bad = JSON.parse((await route.prepare({ eventId: "x" }, { owner })).body);
  bad.authToken = bad.authToken.slice(0, -2) + (bad.authToken.at(-2) === "A" ? "B" : "A") + bad.authToken.at(-1);
  const refused = await route.handle(new Request("http://localhost/api/book", { method: "POST", body: JSON.stringify(bad) }), worker, () => ({ ticketId: "never" }));
  assert.equal(refused.status, 401);
  const [root] = serverSpans();
  assert.deepEqual(root.attributes, { "jazzrpc.route": "/api/book", "http.response.status_code": 401, "jazzrpc.replayed": false, "jazzrpc.reason": "ERR_BAD_SIGNATURE" });
  const { children } = treeOf(root);
  assert.deepEqual(children.map((s) => [s.name, s.status.code, s.attributes["jazzrpc.reason"]]), [["jazzrpc.verify", api.SpanStatusCode.ERROR, "ERR_BAD_SIGNATURE"]]);

  spans.reset();
  const wrong = await defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.number() }, response: {} }).prepare({ eventId: 1 }, { owner });
  const schema = await route.handle(new Request("http://localhost/api/book", { method: "POST", body: wrong.body }), worker, () => ({ ticketId: "never" }));
  assert.equal(schema.status, 400);
  const [schemaRoot] = serverSpans();
  assert.equal(schemaRoot.attributes["jazzrpc.request_id"], wrong.id, "the id is known once the signature checks out");
  assert.equal(schemaRoot.attributes["jazzrpc.reason"], "ERR_SCHEMA");
  assert.deepEqual(treeOf(schemaRoot).children.map((s) => [s.name, s.status.code]), [["jazzrpc.verify", api.SpanStatusCode.UNSET]], "the signature checked out; nothing ran");
}));

test("instrument() takes the @opentelemetry/api module and refuses anything else; its options are checked", () => {
  assert.throws(() => instrument({}), TypeError);
  assert.throws(() => instrument({ trace: {} }), /import \* as api from "@opentelemetry\/api"/);
  assert.throws(() => instrument(api, { steps: "yes" }), /steps is true or false/);
  assert.throws(() => instrument(api, true), /options is an object/);
  assert.equal(instrument(api, { steps: false }), api);
  assert.equal(instrument(api), api);
});

// The program a child process runs from a temp dir holding a copy of jazzrpc: handle() and
// send(), a provider registered when the SDK is there. Prints one JSON line.
const CHILD = `
import { Account, defineRequest } from "jazzrpc";
const anything = { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } };
let otel = null;
try {
  otel = await import("@opentelemetry/api");
} catch {}
let exporter;
if (otel) {
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  exporter = new InMemorySpanExporter();
  otel.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
}
const worker = Account.create();
const owner = Account.create();
const route = defineRequest({ url: "/api/echo", workerId: worker.id, request: anything, response: anything });
const fetchHere = (url, init) => route.handle(new Request(new URL(url, "http://localhost"), init), worker, (value) => ({ echoed: value.n }));
const answers = [];
for (let n = 1; n <= 2; n++) answers.push(await route.send({ n }, { owner, fetch: fetchHere }));
console.log(JSON.stringify({ otel: Boolean(otel), answers, spans: exporter ? exporter.getFinishedSpans().map((s) => s.name).sort() : null }));
`;

test("a child process whose jazzrpc cannot resolve @opentelemetry/api: handle() and send() work and record nothing; with it resolvable, the same program records spans", async () => {
  const dir = await mkdtemp(join(tmpdir(), "jazzrpc-telemetry-"));
  try {
    const without = join(dir, "without");
    const withApi = join(dir, "with");
    for (const project of [without, withApi]) {
      // A copy, not a link: a link's real path would resolve the repository's node_modules.
      const jazzrpc = join(project, "node_modules/jazzrpc");
      await mkdir(jazzrpc, { recursive: true });
      for (const part of ["src", "dist", "package.json"]) await cp(join(ROOT, "js-glue", part), join(jazzrpc, part), { recursive: true });
      await writeFile(join(project, "package.json"), '{ "type": "module", "private": true }\n');
      await writeFile(join(project, "main.js"), CHILD);
    }
    await symlink(join(ROOT, "node_modules/@opentelemetry"), join(withApi, "node_modules/@opentelemetry"));
    const env = { ...process.env };
    for (const name of ["NODE_PATH", "NODE_OPTIONS", "NODE_TEST_CONTEXT"]) delete env[name];
    const runIn = async (cwd) => JSON.parse((await run(process.execPath, ["main.js"], { cwd, env, timeout: 20_000 })).stdout);

    const plain = await runIn(without);
    assert.deepEqual(plain, { otel: false, answers: [{ echoed: 1 }, { echoed: 2 }], spans: null });

    const traced = await runIn(withApi);
    assert.equal(traced.otel, true);
    assert.deepEqual(traced.answers, [{ echoed: 1 }, { echoed: 2 }]);
    const names = traced.spans.filter((name) => name === "jazzrpc.handle" || name === "jazzrpc.send");
    assert.deepEqual(names, ["jazzrpc.handle", "jazzrpc.handle", "jazzrpc.send", "jazzrpc.send"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("send() injects the trace context into each POST's headers when a propagator is registered: the attempt's span is the parent", async () => {
  register();
  const { W3CTraceContextPropagator } = await import("@opentelemetry/core");
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    spans.reset();
    const route = bookRoute();
    const seen = [];
    const fetchHere = (url, init) => {
      seen.push(init.headers.traceparent);
      return route.handle(new Request(new URL(url, "http://localhost"), init), worker, ({ eventId }) => ({ ticketId: eventId }));
    };
    assert.deepEqual(await route.send({ eventId: "e" }, { owner, fetch: fetchHere }), { ticketId: "e" });
    const attempt = spans.getFinishedSpans().find((s) => s.name === "jazzrpc.attempt");
    assert.equal(seen.length, 1);
    assert.equal(seen[0], `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`);
  } finally {
    api.propagation.disable();
  }
});

test("README.md's Telemetry block, as written, registers the SDK: a send() through handle() prints jazzrpc's default spans (no step span) and metrics", async () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Telemetry\n"));
  const block = section.match(/^```js\n([\s\S]*?)^```$/m)?.[1];
  assert.ok(block?.includes("instrument(api)"), "the section's js block");
  const dir = await mkdtemp(join(tmpdir(), "jazzrpc-telemetry-readme-"));
  try {
    await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"));
    await writeFile(join(dir, "package.json"), '{ "type": "module", "private": true }\n');
    await writeFile(join(dir, "telemetry.js"), block);
    await writeFile(
      join(dir, "main.js"),
      `import { meterProvider, tracerProvider } from "./telemetry.js";
import { Account, defineRequest } from "jazzrpc";
const anything = { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } };
const worker = Account.create();
const owner = Account.create();
const route = defineRequest({ url: "/api/echo", workerId: worker.id, request: anything, response: anything });
const fetchHere = (url, init) => route.handle(new Request(new URL(url, "http://localhost"), init), worker, (value) => value);
console.log("answer " + JSON.stringify(await route.send({ n: 1 }, { owner, fetch: fetchHere })));
await tracerProvider.forceFlush();
await meterProvider.forceFlush();
process.exit(0);
`,
    );
    const env = { ...process.env };
    for (const name of ["NODE_PATH", "NODE_OPTIONS", "NODE_TEST_CONTEXT"]) delete env[name];
    const { stdout } = await run(process.execPath, ["main.js"], { cwd: dir, env, timeout: 20_000 });
    assert.match(stdout, /^answer \{"n":1\}$/m);
    for (const name of ["jazzrpc.handle", "jazzrpc.send", "jazzrpc.attempt"]) {
      assert.match(stdout, new RegExp(`name: '${name.replaceAll(".", "\\.")}'`), `the console exporter printed ${name}`);
    }
    for (const name of ["jazzrpc.verify", "jazzrpc.guard.claim", "jazzrpc.handler", "jazzrpc.sign", "jazzrpc.guard.complete"]) {
      assert.doesNotMatch(stdout, new RegExp(`name: '${name.replaceAll(".", "\\.")}'`), `the block's default configuration: no ${name}`);
    }
    assert.match(stdout, /name: 'jazzrpc\.server\.requests'/);
    assert.match(stdout, /name: 'jazzrpc\.guard\.duration'/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("steps: true, a route's rateLimit: the request over the limit is a 429 ERR_RATE_LIMITED span and a jazzrpc.server.rate_limited point, never a handler span", () => withSteps(async () => {
  register();
  spans.reset();
  const before = await points();
  const route = bookRoute({ rateLimit: { requests: 1, perMs: 60_000 } });
  const handle = async (eventId) => {
    const prepared = await route.prepare({ eventId }, { owner });
    return route.handle(new Request("http://localhost/api/book", { method: "POST", body: prepared.body }), worker, () => ({ ticketId: eventId }));
  };
  assert.equal((await handle("first")).status, 200);
  const limited = await handle("second");
  assert.equal(limited.status, 429);
  assert.equal((await limited.json()).reason, "ERR_RATE_LIMITED");
  const [, root] = serverSpans();
  assert.equal(root.attributes["http.response.status_code"], 429);
  assert.equal(root.attributes["jazzrpc.reason"], "ERR_RATE_LIMITED");
  assert.deepEqual(treeOf(root).names, ["jazzrpc.verify", "jazzrpc.guard.claim"]);
  const d = delta(before, await points());
  assert.deepEqual(d["jazzrpc.server.rate_limited"], { [attrs({ "jazzrpc.route": "/api/book" })]: 1 });
  assert.equal(d["jazzrpc.server.requests"][attrs({ "jazzrpc.route": "/api/book", "http.response.status_code": 429, "jazzrpc.replayed": false, "jazzrpc.reason": "ERR_RATE_LIMITED" })], 1);
}));

test("a tracer provider whose spans throw never turns an answer into a failure: handle() and send() answer as without it", async () => {
  register();
  const broken = () => {
    throw new Error("a broken tracer");
  };
  api.trace.disable();
  api.trace.setGlobalTracerProvider({ getTracer: () => ({ startSpan: broken, startActiveSpan: broken }) });
  try {
    const route = bookRoute();
    const fetchHere = (url, init) => route.handle(new Request(new URL(url, "http://localhost"), init), worker, ({ eventId }) => ({ ticketId: eventId }));
    assert.deepEqual(await route.send({ eventId: "still" }, { owner, fetch: fetchHere }), { ticketId: "still" });
    const bad = JSON.parse((await route.prepare({ eventId: "x" }, { owner })).body);
    bad.authToken = bad.authToken.slice(0, -2) + (bad.authToken.at(-2) === "A" ? "B" : "A") + bad.authToken.at(-1);
    const refused = await route.handle(new Request("http://localhost/api/book", { method: "POST", body: JSON.stringify(bad) }), worker, () => ({ ticketId: "never" }));
    assert.equal(refused.status, 401);
  } finally {
    api.trace.disable();
    api.trace.setGlobalTracerProvider(tracerProvider);
  }
});
