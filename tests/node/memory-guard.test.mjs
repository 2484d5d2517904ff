// MemoryReplayGuard's cap on stored answers (maxAnswerBytes, default 64 MiB): heap
// growth stays bounded under 6,000 requests' 30 KB answers, the oldest answers are
// dropped first, and a dropped answer's duplicate gets a definitive answer: never a
// second run of the handler, never a 409 loop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { z } from "zod";
import * as lib from "../../js-glue/src/entries/node.js";

const ENTRY = new URL("../../js-glue/src/entries/node.js", import.meta.url).href;
const MiB = 1024 * 1024;
const randomId = () => "co_z" + lib.getCore().base58Encode(crypto.getRandomValues(new Uint8Array(19)));

test("6,000 requests with 30 KB answers through the default MemoryReplayGuard: the heap grows by at most the 64 MiB cap (plus slack), answerBytes stays within it", () => {
  // In a child with --expose-gc, so that heapUsed is measured after full collections.
  const child = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--max-old-space-size=512",
      "--input-type=module",
      "-e",
      `
      const lib = await import(${JSON.stringify(ENTRY)});
      const guard = new lib.MemoryReplayGuard();
      const core = lib.getCore();
      const ids = Array.from({ length: 6000 }, () => "co_z" + core.base58Encode(crypto.getRandomValues(new Uint8Array(19))));
      const expiresAt = Date.now() + 600_000;
      gc(); gc();
      const before = process.memoryUsage().heapUsed;
      for (const [i, id] of ids.entries()) {
        if ((await guard.begin(id, expiresAt)).state !== "first") throw new Error("not first");
        const pad = Buffer.alloc(30_000, 97 + (i % 26)).toString("latin1"); // a fresh 30 KB string each time
        await guard.complete(id, { status: 200, headers: { "Content-Type": "application/json" }, body: '{"type":"success","payload":{"n":' + i + ',"pad":"' + pad + '"}}' }, expiresAt);
      }
      gc(); gc();
      const growth = process.memoryUsage().heapUsed - before;
      const first = await guard.begin(ids[0], expiresAt);
      const last = await guard.begin(ids[5999], expiresAt);
      console.log(JSON.stringify({ growth, answerBytes: guard.answerBytes, bytes: guard.bytes, size: guard.size, first, lastStored: last.answer !== null }));
      `,
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout.trim().split("\n").pop());
  console.log(`heap growth ${(r.growth / MiB).toFixed(1)} MiB, answerBytes ${(r.answerBytes / MiB).toFixed(1)} MiB, bytes ${(r.bytes / MiB).toFixed(1)} MiB, ${r.size} ids`);
  assert.ok(r.answerBytes <= 64 * MiB, `answerBytes ${r.answerBytes} within the 64 MiB cap`);
  assert.ok(r.answerBytes > 60 * MiB, "the cap is used, not avoided");
  assert.ok(r.bytes >= r.answerBytes && r.bytes < 66 * MiB, `bytes ${r.bytes} counts the answers and the ids`);
  assert.equal(r.size, 6000, "every id is still claimed");
  // Held without the cap: 6,000 x 30 KB = 180 MB of strings.
  assert.ok(r.growth < 96 * MiB, `heap grew by ${(r.growth / MiB).toFixed(1)} MiB`);
  assert.deepEqual(r.first, { state: "done", answer: null, reason: "ERR_ANSWER_NOT_STORED" }, "the oldest answer was dropped, its id still done");
  assert.equal(r.lastStored, true, "the newest answer is kept");
});

test("past maxAnswerBytes the oldest answers are dropped first; a dropped answer's duplicate never runs the handler and gets a definitive answer, not 409", async () => {
  const worker = lib.Account.create();
  const guard = new lib.MemoryReplayGuard({ maxAnswerBytes: 200_000 }); // three answers of ~60 KB (estimated) each
  const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { n: z.number() }, response: { ticketId: z.string() } });
  const runs = [];
  const handler = async ({ n }) => (runs.push(n), { ticketId: `${n}-` + "t".repeat(30_000) });
  const owner = lib.Account.create();
  const bodies = [];
  for (let n = 0; n < 6; n++) {
    let body;
    await route.send({ n }, { owner, retry: false, fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))) }).catch(() => {});
    bodies.push(body);
  }
  const post = (body) => route.handle(new Request("http://127.0.0.1/api/book", { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler, { replayGuard: guard });
  const firsts = [];
  for (const body of bodies) {
    const r = await post(body);
    assert.equal(r.status, 200);
    firsts.push(await r.text());
    assert.ok(guard.answerBytes <= 200_000, `answerBytes ${guard.answerBytes}`);
  }
  assert.deepEqual(runs, [0, 1, 2, 3, 4, 5]);
  // The three newest are replayed byte for byte.
  for (const n of [3, 4, 5]) {
    const again = await post(bodies[n]);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
    assert.equal(await again.text(), firsts[n]);
  }
  // The three oldest were dropped: done, never run again, told so definitively, every time.
  for (const n of [0, 1, 2]) {
    assert.deepEqual(await guard.begin(JSON.parse(bodies[n]).id, Date.now() + 60_000), { state: "done", answer: null, reason: "ERR_ANSWER_NOT_STORED" });
    for (let i = 0; i < 3; i++) {
      const dup = await post(bodies[n]);
      assert.notEqual(dup.status, 200);
      assert.notEqual(dup.status, 409, "no retry loop");
      assert.equal(dup.headers.get("Retry-After"), null);
      assert.equal((await dup.json()).reason, "ERR_ANSWER_NOT_STORED");
    }
  }
  assert.deepEqual(runs, [0, 1, 2, 3, 4, 5], "no second run");
});

test("MemoryReplayGuard: maxAnswerBytes is checked; 0 keeps no answer but every id stays done; bytes and answerBytes follow release and expiry", async () => {
  assert.throws(() => new lib.MemoryReplayGuard({ maxAnswerBytes: -1 }), /maxAnswerBytes/);
  assert.throws(() => new lib.MemoryReplayGuard({ maxAnswerBytes: 1.5 }), /maxAnswerBytes/);
  assert.throws(() => new lib.MemoryReplayGuard({ maxAnswerBytes: "64" }), /maxAnswerBytes/);
  assert.equal(new lib.MemoryReplayGuard().maxAnswerBytes, 64 * MiB);
  const answer = { status: 200, headers: {}, body: "x".repeat(1000) };
  const none = new lib.MemoryReplayGuard({ maxAnswerBytes: 0 });
  const id = randomId();
  assert.equal((await none.begin(id, Date.now() + 60_000)).state, "first");
  await none.complete(id, answer, Date.now() + 60_000);
  assert.equal(none.answerBytes, 0);
  assert.deepEqual(await none.begin(id, Date.now() + 60_000), { state: "done", answer: null, reason: "ERR_ANSWER_NOT_STORED" });

  let t = Date.now();
  const guard = new lib.MemoryReplayGuard({ now: () => t });
  const [a, b] = [randomId(), randomId()];
  await guard.begin(a, t + 1_000);
  await guard.complete(a, answer, t + 1_000);
  await guard.begin(b, t + 60_000);
  await guard.complete(b, answer, t + 60_000);
  assert.equal(guard.answerBytes, 2 * (2 * 1000 + 64));
  await guard.release(b);
  assert.equal(guard.answerBytes, 2 * 1000 + 64);
  t += 2_000; // a expires
  assert.equal((await guard.begin(a, t + 1_000)).state, "first", "forgotten after its expiry");
  assert.equal(guard.answerBytes, 0, "its answer with it");
});
