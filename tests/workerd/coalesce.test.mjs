// durableObjectReplayGuard in real workerd (Miniflare): calls from one isolate to one
// shard coalesced into batch RPCs, each caller answered as if alone; the ids the
// isolate claimed answered without a round trip; the object still the authority
// after the isolate is gone; a failing batch fails each of its callers (503) and the
// retries succeed. The guard object counts its calls (tests/workerd/coalesce/worker.js).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Account, defineRequest } from "../../js-glue/src/entries/node.js";
import { bundleWorker, captureBody, countBy, removeDir, startLocal, tempDir } from "./_support.mjs";

const configPath = fileURLToPath(new URL("./coalesce/wrangler.jsonc", import.meta.url));
const outdir = await tempDir("coalesce-bundle");
const persistDir = await tempDir("coalesce-state");
const bundle = await bundleWorker(configPath, outdir);
const worker = Account.create();
const start = () => startLocal({ configPath, bundle, persistDir, bindings: { JAZZ_WORKER_SECRET: worker.secret } });
let local = await start();
after(async () => {
  await local.dispose();
  await removeDir(outdir);
  await removeDir(persistDir);
});

const book = (duplicates = "replay") =>
  defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() }, options: { duplicates } });

const get = async (path) => {
  const response = await fetch(new URL(path, local.url));
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
};
const post = async (name, body, duplicates = "replay") => {
  const response = await fetch(new URL(`/api/book?name=${name}&duplicates=${duplicates}`, local.url), { method: "POST", body });
  return { status: response.status, replayed: response.headers.get("X-Jazz-Replayed") === "true", text: await response.text() };
};
const bodies = async (count, route = book()) => {
  const out = [];
  for (let i = 0; i < count; i++) out.push(await captureBody(route, { eventId: `e${i}` }, local.url));
  return out;
};
const delta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));

test("claims made in one turn go to the object as one RPC, and each caller gets what it would have got alone", async () => {
  const { results, fresh, answer, before, after } = await get("/mix?name=mix&fresh=20");
  // The expired id is refused in the isolate (its expiresAt has passed on the Worker's clock): 5 more operations, not 6.
  assert.deepEqual(delta(before, after), { batch: 1, ops: fresh + 5, begin: 0, claim: 0, complete: 0, release: 0 }, "one batch RPC, no single calls");
  const [freshResults, rest] = [results.slice(0, fresh), results.slice(fresh)];
  assert.ok(freshResults.every((r) => r.value?.state === "first"), JSON.stringify(freshResults));
  const [running, finished, twiceFirst, twiceSecond, expired, invalid] = rest;
  assert.deepEqual(running, { value: { state: "running" } }, "an id the object holds, running");
  assert.deepEqual(finished, { value: { state: "done", answer } }, "an id the object completed: its stored answer");
  assert.deepEqual(twiceFirst, { value: { state: "first" } }, "the same id twice in one batch: the first is first");
  assert.deepEqual(twiceSecond, { value: { state: "running" } }, "… and the second a duplicate");
  assert.deepEqual(expired, { value: { state: "seen" } }, "an id whose expiresAt has passed is refused");
  assert.match(invalid.error ?? "", /id must be a string of 1 to 512 characters/, "the object's checks, per item; the others still ran");
});

test("a batch holds at most 128 operations: 300 claims in one turn are 3 RPCs, every id first", async () => {
  const { first, before, after } = await get("/many?name=many&count=300");
  assert.equal(first, 300);
  assert.deepEqual({ batch: after.batch - before.batch, ops: after.ops - before.ops }, { batch: 3, ops: 300 });
});

test("64 requests at once, one isolate: fewer RPCs than claims and completes, each request answered once", async (t) => {
  const list = await bodies(64);
  const before = await get("/counts?name=http");
  const answers = await Promise.all(list.map((body) => post("http", body)));
  const after = await get("/counts?name=http");
  const d = delta(before, after);
  t.diagnostic(`64 requests: ${d.ops} operations in ${d.batch} batch RPCs; statuses ${[...countBy(answers, (a) => a.status)].map(([s, n]) => `${n} x ${s}`).join(", ")}`);
  assert.ok(answers.every((a) => a.status === 200 && !a.replayed), JSON.stringify(answers.find((a) => a.status !== 200)));
  assert.equal(d.runs, 64, "the handler ran once per request");
  assert.equal(d.ops, 128, "one claim and one complete per request");
  assert.equal(d.begin + d.claim + d.complete + d.release, 0, "no single calls");
  assert.ok(d.batch < d.ops, `${d.batch} batches for ${d.ops} operations`);
});

test("a steady load for longer than a request sends for (CHAIN_MS, 2 s): the request that sends hands over to a waiting one, every request answered once", async (t) => {
  const route = book();
  // The first batches take 300 ms each: calls queue up behind them all along, so the
  // request that sends them keeps sending past 2 s, then hands over. A hand-over that
  // went nowhere would leave every caller waiting, and the route would answer 503.
  await get(`/plan?name=steady&steps=${Array(20).fill("slow").join(",")}`);
  const before = await get("/counts?name=steady");
  const started = Date.now();
  const answers = [];
  const lane = async (l) => {
    // new bodies for 4 s, 16 at a time: past the first hand-over of the request that sends
    for (let i = 0; Date.now() - started < 4_000; i++) {
      const body = await captureBody(route, { eventId: `steady-${l}-${i}` }, local.url);
      const t0 = performance.now();
      answers.push({ ...(await post("steady", body)), ms: performance.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, l) => lane(l)));
  const seconds = (Date.now() - started) / 1000;
  const d = delta(before, await get("/counts?name=steady"));
  const slowest = Math.max(...answers.map((a) => a.ms));
  t.diagnostic(`${answers.length} requests in ${seconds.toFixed(1)} s, ${d.ops} operations in ${d.batch} batch RPCs; the slowest took ${slowest.toFixed(0)} ms`);
  assert.ok(answers.every((a) => a.status === 200 && !a.replayed), JSON.stringify(answers.find((a) => a.status !== 200)));
  assert.equal(d.runs, answers.length, "the handler ran once per request");
  assert.equal(d.ops, 2 * answers.length);
  assert.ok(answers.length >= 100, `only ${answers.length} requests in ${seconds} s`);
});

test("a duplicate of an id this isolate is running is 409 without an RPC; of one it completed, the stored bytes without an RPC; with duplicates \"reject\", 400 without an RPC", async () => {
  const r = await get("/local?name=local");
  const [c0, c1, c2, c3, c4, c5, c6, c7] = r.counts;
  assert.equal(r.whileRunning.status, 409);
  assert.deepEqual(JSON.parse(r.whileRunning.text), { message: "Request is being handled, retry", code: 409, reason: "ERR_BEING_HANDLED" });
  assert.equal(c1.batch, c0.batch, "409 answered in the isolate");
  assert.equal(r.fresh.status, 200);
  assert.equal(c2.batch - c1.batch, 1, "the complete");
  for (const replay of r.replays) {
    assert.equal(replay.status, 200);
    assert.equal(replay.replayed, true);
    assert.equal(replay.text, r.fresh.text, "the stored answer, byte for byte");
  }
  assert.equal(c3.batch, c2.batch, "three duplicates, no RPC");
  assert.equal(r.r1.status, 200);
  assert.equal(c4.batch - c3.batch, 1, "the reject route's claim (it stores no answer)");
  assert.equal(r.r2.status, 400);
  assert.deepEqual(JSON.parse(r.r2.text), { message: "Request payload is already handled", code: 400, reason: "ERR_ALREADY_HANDLED" });
  assert.equal(c5.batch, c4.batch, "refused in the isolate");
  assert.equal(c6.batch - c5.batch, 1, "release() goes to the object");
  assert.equal(r.r3.status, 200, "released: the object takes it again");
  assert.equal(c7.batch - c6.batch, 1, "after release() the isolate asks the object again");
  assert.equal(r.runs, 3);
});

test("a claim whose batch lands after guardTimeoutMs: 503, the late claim is released, the retry gets 200 and the handler runs once", async () => {
  const r = await get("/late?name=late");
  assert.equal(r.first, 503);
  const d = delta(r.counts[0], r.counts[1]);
  assert.equal(d.ops, 2, "the claim, then its release");
  assert.equal(r.retry.status, 200);
  assert.equal(r.retry.replayed, false);
  assert.equal(r.runs, 1);
});

test("the isolate keeps at most 10,000 ids, the oldest dropped first, each until its expiresAt; what it forgot, the object answers", async () => {
  const r = await get("/cap?name=cap&count=10001");
  const [c0, c1, c2, c3, c4] = r.counts;
  assert.equal(r.oldest, "running", "the object still holds the oldest id");
  assert.equal(c1.batch - c0.batch, 1, "the oldest id was dropped from the isolate: a round trip");
  assert.equal(r.newest, "running");
  assert.equal(c2.batch, c1.batch, "the newest id is known to the isolate: no round trip");
  assert.equal(r.claimed, "first");
  assert.equal(r.again, "first", "with skewMs 0, an id whose expiresAt passed is forgotten, by the isolate and the object");
  assert.equal(c4.batch - c3.batch, 1);
});

for (const [what, label] of [
  ["fail", "the batch RPC throws"],
  ["insert3", "the third INSERT of the batch throws (the first two are rolled back)"],
]) {
  test(`${label}: every caller of that batch gets 503, and each body's retry gets 200, the handler once per body`, async () => {
    const r = await get(`/fail?name=fail-${what}&what=${what}&count=8`);
    assert.deepEqual(r.failed, Array(8).fill(503), JSON.stringify(r));
    assert.deepEqual(r.busyStates, ["first", "first"]);
    assert.deepEqual(delta(r.counts[0], r.counts[1]).batch, 3, "two slow batches, then the eight claims as one");
    assert.equal(r.errors.length, 8);
    assert.ok(r.errors.every((e) => /injected/.test(e)), JSON.stringify(r.errors));
    assert.ok(r.retried.every((a) => a.status === 200 && !a.replayed), JSON.stringify(r.retried));
    assert.ok(r.again.every((a, i) => a.status === 200 && a.replayed && a.text === r.retried[i].text));
    assert.equal(r.runs, 8);
    assert.equal(r.stats.stored, 10, "one row per body and per busy claim, none left by the failed batch");
    assert.equal(r.stats.inMemory, 10);
  });
}

test("a batch that fails while requests arrive over HTTP: its callers, each in its own request, get 503, the others 200; every retry succeeds", async (t) => {
  const list = await bodies(32);
  // Two slow batches take the first claims; the claims that queue behind them leave
  // together, from many requests, in the batch that fails.
  await get("/plan?name=http-fail&steps=slow,slow,fail");
  const first = await Promise.all(list.map((body) => post("http-fail", body)));
  const statuses = countBy(first, (a) => a.status);
  t.diagnostic(`with the first batch failing: ${[...statuses].map(([s, n]) => `${n} x ${s}`).join(", ")}`);
  assert.ok(first.every((a) => a.status === 200 || a.status === 503), JSON.stringify(first.find((a) => a.status !== 200 && a.status !== 503)));
  assert.ok((statuses.get(503) ?? 0) >= 2, "the failed batch's callers, several requests");
  const retried = await Promise.all(list.map((body, i) => (first[i].status === 503 ? post("http-fail", body) : first[i])));
  assert.ok(retried.every((a) => a.status === 200), JSON.stringify(retried.find((a) => a.status !== 200)));
  const { runs } = await get("/counts?name=http-fail");
  assert.equal(runs, 32, "the handler ran once per body");
});

test("after a restart (a new isolate, the object's memory gone), the object still answers a duplicate from its storage", async (t) => {
  const [body] = await bodies(1);
  const [rejectBody] = await bodies(1, book("reject"));
  const first = await post("restart", body);
  const firstReject = await post("restart", rejectBody, "reject");
  assert.equal(first.status, 200);
  assert.equal(firstReject.status, 200);
  const before = await get("/counts?name=restart");
  const again = await post("restart", body);
  assert.equal(again.replayed, true);
  assert.equal((await get("/counts?name=restart")).batch, before.batch, "before the restart: answered by the isolate");

  await local.dispose(); // workerd stops: the isolate's ids and the object's memory are gone
  local = await start(); // a new workerd over the same storage
  const replay = await post("restart", body);
  const refused = await post("restart", rejectBody, "reject");
  const counts = await get("/counts?name=restart");
  t.diagnostic(`after the restart: ${replay.status}${replay.replayed ? " replayed" : ""}, reject route ${refused.status}; the new object got ${counts.batch} batch RPCs`);
  assert.equal(replay.status, 200);
  assert.equal(replay.replayed, true);
  assert.equal(replay.text, first.text, "the stored answer, as first given");
  assert.equal(refused.status, 400);
  assert.equal(counts.batch, 2, "both duplicates went to the object");
  assert.equal(counts.runs, 0, "the handler did not run again");
});

test("with no_handle_cross_request_promise_resolution, no request carries another's calls: 64 requests at once all answered; one request's calls of one turn still go together", async (t) => {
  const config = fileURLToPath(new URL("./coalesce/wrangler.no-cross-request.jsonc", import.meta.url));
  const dir = await tempDir("coalesce-no-cross-bundle");
  const other = await startLocal({ configPath: config, bundle: await bundleWorker(config, dir), bindings: { JAZZ_WORKER_SECRET: worker.secret } });
  try {
    const at = (path) => new URL(path, other.url);
    const list = await bodies(64);
    const answers = await Promise.all(
      list.map(async (body) => {
        const response = await fetch(at("/api/book?name=per-request"), { method: "POST", body });
        return { status: response.status, text: await response.text() };
      }),
    );
    const counts = await (await fetch(at("/counts?name=per-request"))).json();
    t.diagnostic(`per request: ${counts.ops} operations in ${counts.batch} batch RPCs; statuses ${[...countBy(answers, (a) => a.status)].map(([s, n]) => `${n} x ${s}`).join(", ")}`);
    assert.ok(answers.every((a) => a.status === 200), JSON.stringify(answers.find((a) => a.status !== 200)));
    assert.equal(counts.runs, 64);
    assert.deepEqual({ batch: counts.batch, ops: counts.ops }, { batch: 128, ops: 128 }, "each request's claim and complete, each from its own request");
    const mix = await (await fetch(at("/mix?name=per-request-mix&fresh=20"))).json();
    assert.equal(mix.after.batch - mix.before.batch, 1, "the calls of one turn of one request: one batch");
    assert.deepEqual(mix.results.slice(20, 24).map((r) => r.value?.state), ["running", "done", "first", "running"]);
  } finally {
    await other.dispose();
    await removeDir(dir);
  }
});
