// jazzrpc/cloudflare in real workerd (Miniflare): the shared API scenarios, the
// replay guard's sweep, and how ids spread over shards.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bundleWorker, removeDir, startLocal, tempDir } from "./_support.mjs";

const configPath = fileURLToPath(new URL("./wrangler.jsonc", import.meta.url));
const outdir = await tempDir("workerd-test-bundle");
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

// ---- the shared API scenarios, inside workerd -----------------------------------
const names = await get("/scenarios");
names.api.forEach((name, i) => {
  test(`workerd: ${name}`, async () => {
    const result = await get(`/scenario?suite=api&i=${i}`);
    assert.ok(result.ok, result.error);
  });
});
for (const guard of ["memory", "durable"]) {
  names.guard.forEach((name, i) => {
    test(`workerd, ${guard === "memory" ? "MemoryReplayGuard" : "durableObjectReplayGuard"}: ${name}`, async () => {
      const result = await get(`/scenario?suite=guard&i=${i}&guard=${guard}`);
      assert.ok(result.ok, result.error);
    });
  });
}

// ---- exactly once inside the object that owns the state ---------------------------------
test("exactlyOnce: an exception inside the transaction rolls back the booking and the claim; the retry books once", async () => {
  const { attempts, info } = await get("/exactly-once?fail=in-transaction");
  assert.deepEqual(attempts[0], { status: 500, replayed: false, body: { message: "Internal server error", code: 500, reason: "ERR_INTERNAL" } });
  assert.equal(attempts[1].status, 200);
  assert.equal(attempts[1].replayed, false, "the retry ran the handler cleanly");
  assert.equal(attempts[2].replayed, true);
  assert.deepEqual(attempts[2].body, attempts[1].body);
  assert.equal(info.seats.length, 1, "one booking: the failed attempt left nothing");
  assert.equal(info.requests.stored, 1);
});

test("exactlyOnce: an object reset after the commit loses the answer; the retry gets it from storage, no second booking", async () => {
  const { attempts, info } = await get("/exactly-once?fail=after-commit");
  assert.ok(attempts[0].lost, JSON.stringify(attempts[0]));
  assert.equal(attempts[1].status, 200);
  assert.equal(attempts[1].replayed, true, "answered from storage");
  assert.deepEqual(attempts[2].body, attempts[1].body);
  assert.equal(info.seats.length, 1);
});

test("exactlyOnce: an object reset before its writes were durable loses them all; the retry books once", async () => {
  const { attempts, info } = await get("/exactly-once?fail=before-durable");
  assert.ok(attempts[0].lost, JSON.stringify(attempts[0]));
  assert.equal(attempts[1].status, 200);
  assert.equal(attempts[1].replayed, false, "nothing was kept: the retry ran the handler");
  assert.equal(attempts[2].replayed, true);
  assert.equal(info.seats.length, 1);
  assert.equal(info.requests.stored, 1);
});

test("exactlyOnce: an async handler is refused (500) and leaves nothing behind", async () => {
  const { attempts, info } = await get("/exactly-once?fail=none&mode=async");
  assert.ok(attempts.every((a) => a.status === 500), JSON.stringify(attempts));
  assert.equal(info.seats.length, 0);
  assert.equal(info.requests.stored, 0);
});

// ---- the guard object's storage ---------------------------------------------------
for (const fail of ["alarm", "insert"]) {
  test(`the guard object's ${fail === "alarm" ? "setAlarm" : "INSERT"} fails during a claim: 503, nothing stays claimed, the retry of the same body gets 200 and the handler runs once`, async () => {
    const result = await get(`/guard-failure?fail=${fail}`);
    assert.deepEqual(result.statuses, [503, 200, 200], JSON.stringify(result));
    assert.deepEqual(result.replayed, [false, false, true], "the third gets the stored answer");
    assert.equal(result.runs, 1);
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0], new RegExp(`injected ${fail} failure`));
    assert.equal(result.stats.stored, 1);
    assert.equal(result.stats.inMemory, 1);
  });
}

test("after the window, the alarm leaves no expired id in the guard object's storage", async (t) => {
  // skewMs 0: each row is kept until its expiresAt only (the margin has a test of its own, durable-guard.test.mjs).
  const claimed = await get("/claim-many?name=sweep&shards=1&count=50&ttl=3000&skewMs=0");
  assert.deepEqual(claimed, { first: 50, replaysAccepted: 0 });
  const [before] = await get("/shard-stats?name=sweep&shards=1");
  assert.equal(before.stored, 50);
  assert.equal(before.inMemory, 50);
  assert.ok(before.nextSweepAt > Date.now(), "a sweep is scheduled");
  let stats = before;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    [stats] = await get("/shard-stats?name=sweep&shards=1");
    if (stats.stored === 0) break;
  }
  t.diagnostic(`stored before the sweep: ${before.stored}; after: ${stats.stored} (expired rows left: ${stats.expiredStored})`);
  assert.equal(stats.stored, 0);
  assert.equal(stats.expiredStored, 0);
  assert.equal(stats.nextSweepAt, null, "nothing left to sweep");
});

test("with 8 shards, 10,000 ids leave no shard above twice its even share", async (t) => {
  let first = 0;
  for (let batch = 0; batch < 10; batch++) {
    const result = await get("/claim-many?name=spread&shards=8&count=1000&ttl=60000");
    assert.equal(result.replaysAccepted, 0);
    first += result.first;
  }
  assert.equal(first, 10_000);
  const stats = await get("/shard-stats?name=spread&shards=8");
  const counts = stats.map((s) => s.stored);
  const even = 10_000 / 8;
  t.diagnostic(`ids per shard: ${counts.join(", ")}; max ${Math.max(...counts)}, even share ${even}`);
  assert.equal(counts.reduce((a, b) => a + b, 0), 10_000);
  assert.ok(Math.max(...counts) <= 2 * even, `a shard holds ${Math.max(...counts)} > ${2 * even}`);
  assert.deepEqual(stats.map((s) => s.inMemory), counts, "memory and storage agree");
});
