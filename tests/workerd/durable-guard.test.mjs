// The Durable Object guard's new id life (issue 15) and its skew margin (issue 17.2),
// in real workerd (Miniflare): leases that lapse into a stored ERR_OUTCOME_UNKNOWN
// answer, renew(), a late complete() over a lapsed answer, answers kept until
// keepUntil and given by lookup(), sweeps past keepUntil (bounded, idempotent), a
// 1 MiB answer split over chunk rows and given back byte for byte, exactlyOnce's
// answers kept past the window, and ids held until expiresAt + skewMs on the object's
// own clock. The cases run in tests/workerd/durable/worker.js; this file asserts.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bundleWorker, removeDir, startLocal, tempDir } from "./_support.mjs";

const configPath = fileURLToPath(new URL("./durable/wrangler.jsonc", import.meta.url));
const outdir = await tempDir("durable-guard-bundle");
const local = await startLocal({ configPath, bundle: await bundleWorker(configPath, outdir) });
after(async () => {
  await local.dispose();
  await removeDir(outdir);
});

const get = async (path) => {
  const response = await fetch(new URL(path, local.url));
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("a claim whose lease lapses: the next copy gets 'lapsed' (the lapsed answer stored), later copies that answer; a late complete() overwrites it", async () => {
  const r = await get("/lease?name=lease&leaseMs=300");
  assert.deepEqual(r.claims, [{ state: "first" }, { state: "first" }, { state: "first" }]);
  assert.deepEqual(r.beforeLapse, [{ state: "running" }, { state: "running" }], "inside the lease: running");
  const [first, ...later] = r.copies;
  assert.deepEqual(first, [{ value: { state: "lapsed" } }, { value: { state: "lapsed" } }], "claimed here and claimed by another isolate alike");
  for (const pair of later) assert.deepEqual(pair, [{ value: { state: "done", answer: r.lapsedAnswer } }, { value: { state: "done", answer: r.lapsedAnswer } }]);
  assert.deepEqual(r.unleasedCopy, { value: { state: "running" } }, "a claim made without leaseMs never lapses");
  assert.equal(r.statsLapsed.lapsed, 2);
  assert.equal(r.completed, true);
  assert.deepEqual(r.afterComplete, [{ value: { state: "done", answer: r.real } }, { state: "done", answer: r.real }], "the real answer, here and at the object");
});

test("renew() every leaseMs/3 keeps a slow handler's claim running past its lease; without renewals it lapses", async () => {
  const r = await get("/renew?name=renew&leaseMs=300");
  assert.deepEqual(r.claim, { state: "first" });
  assert.ok(r.renewed.length >= 6, JSON.stringify(r.renewed));
  assert.ok(r.renewed.every((x) => x.value === true), JSON.stringify(r.renewed));
  assert.deepEqual(r.whileRenewed, [{ value: { state: "running" } }, { state: "running" }], "after 3 leases' time: still running");
  assert.deepEqual(r.afterwards, { value: { state: "lapsed" } });
  assert.deepEqual(r.renewDone, { value: false }, "renewing a done id does nothing");
});

test("keepUntil keeps an answer past expiresAt: lookup() gives it, a copy accepted by a slower Worker gets it, and an expired body is still refused", async () => {
  const r = await get("/keep?name=keep");
  assert.deepEqual(r.lookupKept, { state: "done", answer: r.answer });
  assert.deepEqual(r.lookupKeptThroughGuard, { state: "done", answer: r.answer });
  assert.deepEqual(r.lookupPlain, { state: "seen" }, "no keepUntil: gone with its window");
  assert.deepEqual(r.lookupTtl, { state: "done", answer: r.answer }, "answerTtlMs: kept that long from its complete(), on the object's clock");
  assert.deepEqual(r.lookupNever, { state: "seen" });
  assert.deepEqual(r.copyOfKept, { value: { state: "done", answer: r.answer } });
  assert.deepEqual(r.expiredHere, { state: "seen" }, "begin() never claims an expired body");
});

test("the alarm sweeps rows past keepUntil (and their chunks), keeps the others, and a repeated alarm deletes nothing more", async (t) => {
  const r = await get("/sweep?name=sweep&kept=20&short=30&keepMs=2500");
  assert.equal(r.stats.stored, 50);
  assert.ok(r.stats.chunks >= 4, `a 200 KB answer in chunk rows: ${r.stats.chunks}`);
  let stats;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    stats = await get("/stats?name=sweep");
    if (stats.stored === 20) break;
  }
  t.diagnostic(`after the windows: ${JSON.stringify(stats)}`);
  assert.equal(stats.stored, 20, "the rows without keepUntil are swept; the kept ones stay");
  assert.ok(stats.chunks >= 4);
  assert.equal((await get(`/lookup?name=sweep&id=${r.kept[0]}`)).state, "done");
  assert.equal((await get(`/lookup?name=sweep&id=${r.short[0]}`)).state, "seen");
  const twice = await get("/alarm?name=sweep&times=2");
  assert.deepEqual(twice.map((s) => s.stored), [20, 20], "an early or repeated alarm deletes nothing that is kept");
  await sleep(Math.max(0, r.keepUntil - Date.now()) + 200);
  for (let i = 0; i < 30 && stats.stored > 0; i++) {
    await sleep(100);
    stats = await get("/stats?name=sweep");
  }
  assert.deepEqual({ stored: stats.stored, chunks: stats.chunks, answerBytes: stats.answerBytes, nextSweepAt: stats.nextSweepAt }, { stored: 0, chunks: 0, answerBytes: 0, nextSweepAt: null });
  assert.deepEqual((await get("/alarm?name=sweep&times=2")).map((s) => s.stored), [0, 0]);
});

test("a sweep deletes at most 500 rows per run, and runs again at once while more are due", async () => {
  const r = await get("/sweep?name=slow-bounded&kept=0&short=1200&keepMs=0&ttl=3000");
  assert.equal(r.stats.stored, 1200);
  await sleep(Math.max(0, r.keepUntil + 3_000 - Date.now()) + 200); // past every expiresAt; this object's own alarm comes an hour later
  const runs = await get("/alarm?name=slow-bounded&times=3");
  assert.deepEqual(runs.map((s) => s.stored), [700, 200, 0]);
});

test("a 1 MiB answer is stored over chunk rows and given back byte for byte, to a copy, a lookup and 20 lookups at once", async (t) => {
  const r = await get(`/big?name=big&bytes=${1 << 20}`);
  t.diagnostic(`answer: ${r.stored.utf8} bytes of UTF-8, ${r.stats.chunks} chunk rows, ${r.stats.answerBytes} stored bytes`);
  assert.ok(r.stored.utf8 >= (1 << 20) - 64 && r.stored.utf8 <= 1 << 20, String(r.stored.utf8));
  assert.equal(r.completed, true);
  for (const got of [r.copy, r.viaStub, ...r.many]) assert.deepEqual(got, { state: "done", status: r.stored.status, headers: r.stored.headers, length: r.stored.length, sha: r.stored.sha });
  assert.ok(r.stats.chunks >= 16, String(r.stats.chunks));
});

test("40 answers of 1 MiB completed in one turn and begun again in one turn: the batches stay within 8 MiB of answers each way, every answer whole", async () => {
  const r = await get("/big-many?name=big-many&count=40");
  assert.deepEqual(r.completed, Array(40).fill(true), JSON.stringify(r.completed.filter((c) => c !== true).slice(0, 2)));
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.same, Array(40).fill(true));
  // The bodies are mostly 1-3 byte characters: 8 MiB of (estimated, 3 bytes per character) answers is about 2.7 M characters, plus one answer.
  const limit = (8 << 20) / 3 + (1 << 20);
  assert.ok(r.sizes.maxRequestChars <= limit, `a batch carried ${r.sizes.maxRequestChars} characters of answers to the object`);
  assert.ok(r.sizes.maxReplyChars <= (8 << 20) + (1 << 20), `a batch gave back ${r.sizes.maxReplyChars} characters of answers`);
  assert.ok(r.sizes.maxRequestChars >= 1 << 19, "the test sent large answers");
});

test("the route end to end: a handler's answer of 1 MiB is stored by the Durable Object guard and replayed byte for byte", async () => {
  const r = await get(`/big-route?name=big-route&bytes=${(1 << 20) - 4096}`);
  assert.equal(r.first.status, 200, r.first.head);
  assert.equal(r.runs, 1);
  for (const again of r.again) assert.deepEqual(again, { ...r.first, replayed: true });
  assert.ok(r.stats.chunks >= 16, String(r.stats.chunks));
});

test("through handle(): a dead claim's copies get 500 ERR_OUTCOME_UNKNOWN (stored, replayed, never run); a slow handler's renewed claim stays 409; past the window, the stored answer or 401", async () => {
  const r = await get("/route-life?name=route-life");
  const [lapsed, again] = r.deadCopies;
  assert.equal(lapsed.status, 500, JSON.stringify(lapsed));
  assert.equal(lapsed.json.reason, "ERR_OUTCOME_UNKNOWN");
  assert.equal(again.status, 500);
  assert.equal(again.replayed, true, "the lapsed answer, stored for every later copy");
  assert.deepEqual(again.json, lapsed.json);
  assert.equal(r.deadRuns, 0, "the handler never ran for the dead claim");
  assert.equal(r.whileSlow.status, 409, `after 4 leases' time, the renewed claim still runs: ${JSON.stringify(r.whileSlow)}`);
  assert.equal(r.slowAnswer.status, 200);
  assert.deepEqual(r.afterSlow, { ...r.slowAnswer, replayed: true });
  assert.deepEqual(r.pastWindow[0], { ...r.slowAnswer, replayed: true }, "past its window: the stored answer");
  assert.equal(r.pastWindow[1].status, 401, JSON.stringify(r.pastWindow[1]));
  assert.equal(r.runs, 1);
});

test("idempotency keys over the Durable Object guard: the same key and values in one isolate get the first answer (its fingerprint kept by the isolate's cache); other values, 422", async () => {
  const r = await get("/idempotency?name=idempotency");
  const [first, second, other] = r.answers;
  assert.equal(first.status, 200);
  assert.equal(second.status, 200, JSON.stringify(second));
  assert.equal(second.replayed, true);
  assert.deepEqual(second.json.payload.contentPieces[0].value, first.json.payload.contentPieces[0].value, "the first request's ticket");
  assert.equal(other.status, 422, JSON.stringify(other));
  assert.equal(r.runs, 1);
});

test("ids are held until expiresAt + skewMs on the object's clock: a Worker 5 s behind is answered as the object knows, one past the margin is refused", async () => {
  const r = await get("/skew?name=skew");
  assert.deepEqual(r.fresh, { value: { state: "first" } }, "a body its Worker still accepts, 1 s past expiresAt on the object's clock, is claimed");
  assert.deepEqual(r.copy, { value: { state: "done", answer: r.answer } }, "a copy 1 s past expiresAt on the object's clock: the stored answer, never a second run");
  assert.match(r.beyond.error ?? "", /expiresAt \+ skewMs .* has passed on the object's clock/);
});

test("exactlyOnce keeps an answer until keepUntil, past its window: lookup() gives it, a copy gets it; swept after keepUntil", async () => {
  const r = await get("/once-keep?name=once-keep");
  assert.deepEqual(r.claims, [{ state: "first" }, { state: "first" }]);
  assert.deepEqual(r.atTwoHours.kept, { state: "done", answer: r.answer });
  assert.deepEqual(r.atTwoHours.plain, { state: "seen" }, "no keepUntil: swept with its window");
  assert.deepEqual(r.atTwoHours.copy, { state: "seen" }, "an expired body is never claimed");
  assert.equal(r.atTwoHours.stats.stored, 2, "the kept row and the new claim");
  assert.deepEqual(r.afterDay.kept, { state: "seen" });
  assert.equal(r.afterDay.stats.stored, 1, "only the newest claim is left");
});

test("exactlyOnce through handle(): a body 2 h past its window gets its stored answer (X-Jazz-Replayed), never run again; one never handled is refused as expired", async () => {
  const r = await get("/once-route?name=once-route");
  assert.equal(r.first.status, 200);
  assert.deepEqual(r.later, { ...r.first, replayed: true, runs: 1 });
  assert.equal(r.never.status, 401, JSON.stringify(r.never));
  assert.equal(r.never.runs, 1);
});
