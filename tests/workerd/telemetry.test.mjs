// OpenTelemetry on Workers (issue 19.3), in real workerd (Miniflare): the Worker of
// tests/workerd/telemetry/ is bundled by wrangler with @opentelemetry/api and the SDK,
// hands the api to jazzrpc with instrument(api), and serves a route on the Durable Object
// guard. Requests signed here (a good one, its copy, a bad signature, a schema failure),
// first in the default configuration (one span a request), then with instrument(api,
// { steps: true }) (a child span per step); the Worker's in-memory span exporter and metric
// reader are read from GET /telemetry.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Account, defineRequest } from "../../js-glue/src/entries/node.js";
import { bundleWorker, removeDir, startLocal, tempDir } from "./_support.mjs";

const worker = Account.create();
const owner = Account.create();
const configPath = fileURLToPath(new URL("./telemetry/wrangler.jsonc", import.meta.url));
const outdir = await tempDir("workerd-telemetry-bundle");
const local = await startLocal({ configPath, bundle: await bundleWorker(configPath, outdir), bindings: { JAZZ_WORKER_SECRET: worker.secret } });
after(async () => {
  await local.dispose();
  await removeDir(outdir);
});

const anything = { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } };
const route = defineRequest({ url: "/api/book", workerId: worker.id, request: anything, response: anything });
const post = (body) => fetch(new URL("/api/book", local.url), { method: "POST", headers: { "Content-Type": "application/json" }, body });

const telemetry = async () => (await fetch(new URL("/telemetry", local.url))).json();

test("workerd: handle() on the Durable Object guard records its span and metric points through instrument(api); its span tree with { steps: true }", async () => {
  const good = await route.prepare({ eventId: "jazz-night" }, { owner });
  const first = await post(good.body);
  assert.equal(first.status, 200, await first.clone().text());
  const firstBody = await first.text();
  const copy = await post(good.body);
  assert.equal(copy.headers.get("x-jazz-replayed"), "true");
  const bad = JSON.parse((await route.prepare({ eventId: "x" }, { owner })).body);
  bad.authToken = bad.authToken.slice(0, -2) + (bad.authToken.at(-2) === "A" ? "B" : "A") + bad.authToken.at(-1);
  assert.equal((await post(JSON.stringify(bad))).status, 401);
  const wrong = await route.prepare({ eventId: 7 }, { owner });
  assert.equal((await post(wrong.body)).status, 400);

  const { spans, metrics } = await telemetry();
  const roots = spans.filter((s) => s.name === "jazzrpc.handle");
  assert.deepEqual(
    roots.map((s) => s.attributes),
    [
      { "jazzrpc.route": "/api/book", "jazzrpc.request_id": good.id, "http.response.status_code": 200, "jazzrpc.replayed": false },
      { "jazzrpc.route": "/api/book", "jazzrpc.request_id": good.id, "http.response.status_code": 200, "jazzrpc.replayed": true },
      { "jazzrpc.route": "/api/book", "http.response.status_code": 401, "jazzrpc.replayed": false, "jazzrpc.reason": "ERR_BAD_SIGNATURE" },
      { "jazzrpc.route": "/api/book", "jazzrpc.request_id": wrong.id, "http.response.status_code": 400, "jazzrpc.replayed": false, "jazzrpc.reason": "ERR_SCHEMA" },
    ],
  );
  assert.ok(roots.every((s) => s.kind === 1 && s.parent === null), "server spans, roots of their traces");
  const childrenOf = (root) => spans.filter((s) => s.parent === root.id).map((s) => s.name);
  for (const root of roots) assert.deepEqual(childrenOf(root), [], "the default configuration: no step span");
  assert.deepEqual(spans.map((s) => s.name), ["jazzrpc.handle", "jazzrpc.handle", "jazzrpc.handle", "jazzrpc.handle"]);
  const count = (name, attributes) => metrics[name]?.find((p) => JSON.stringify(Object.entries(p.attributes).sort()) === JSON.stringify(Object.entries(attributes).sort()))?.value;
  const at = { "jazzrpc.route": "/api/book" };
  assert.equal(count("jazzrpc.server.requests", { ...at, "http.response.status_code": 200, "jazzrpc.replayed": false }), 1);
  assert.equal(count("jazzrpc.server.requests", { ...at, "http.response.status_code": 200, "jazzrpc.replayed": true }), 1);
  assert.equal(count("jazzrpc.server.requests", { ...at, "http.response.status_code": 401, "jazzrpc.replayed": false, "jazzrpc.reason": "ERR_BAD_SIGNATURE" }), 1);
  assert.equal(count("jazzrpc.server.requests", { ...at, "http.response.status_code": 400, "jazzrpc.replayed": false, "jazzrpc.reason": "ERR_SCHEMA" }), 1);
  assert.equal(count("jazzrpc.server.replays", { ...at, "http.response.status_code": 200 }), 1);
  assert.equal(count("jazzrpc.guard.duration", { ...at, "jazzrpc.guard.operation": "claim" }).count, 2);
  assert.equal(count("jazzrpc.guard.duration", { ...at, "jazzrpc.guard.operation": "complete" }).count, 1);
  assert.equal(count("jazzrpc.server.stored_answers", at), 1);
  assert.equal(count("jazzrpc.server.stored_answer.bytes", at), Buffer.byteLength(firstBody));

  // instrument(api, { steps: true }) in the Worker: a child span per step.
  assert.equal((await fetch(new URL("/instrument?steps=1", local.url), { method: "POST" })).status, 204);
  try {
    const next = await route.prepare({ eventId: "steps" }, { owner });
    assert.equal((await post(next.body)).status, 200);
    assert.equal((await post(next.body)).headers.get("x-jazz-replayed"), "true");
    assert.equal((await post(JSON.stringify(bad))).status, 401);
    const after = await telemetry();
    const stepRoots = after.spans.filter((s) => s.name === "jazzrpc.handle");
    assert.equal(stepRoots.length, 3);
    const stepsOf = (root) => after.spans.filter((s) => s.parent === root.id).map((s) => s.name);
    assert.deepEqual(stepsOf(stepRoots[0]), ["jazzrpc.verify", "jazzrpc.guard.claim", "jazzrpc.handler", "jazzrpc.sign", "jazzrpc.guard.complete"]);
    assert.deepEqual(stepsOf(stepRoots[1]), ["jazzrpc.verify", "jazzrpc.guard.claim"]);
    assert.deepEqual(stepsOf(stepRoots[2]), ["jazzrpc.verify"]);
    const guardCount = (operation) => after.metrics["jazzrpc.guard.duration"].find((p) => p.attributes["jazzrpc.guard.operation"] === operation)?.value.count;
    assert.equal(guardCount("claim"), 2 + 2, "cumulative: the two of before, the new one and its copy");
    assert.equal(guardCount("complete"), 1 + 1);
  } finally {
    await fetch(new URL("/instrument?steps=0", local.url), { method: "POST" });
  }
});
