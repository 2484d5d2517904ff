// The wasm replay set through the JS API: createReplaySet() ->
// { claim(id, expiresAt, now) -> boolean, count, bytes, free() }.
// README: ids are kept in buckets of their expiry second, so an id is held at
// least until its expiresAt and dropped within a second after it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { core } from "./_support.mjs";

const T0 = 1_764_000_000_000; // a multiple of 1000
const W = 60_000;
const BUCKET = 1000; // the README's expiry granularity

function withSet(fn) {
  const set = core.createReplaySet();
  try {
    return fn(set);
  } finally {
    set.free();
  }
}

test("first claim true, later claims false while the id is live", () => {
  withSet((set) => {
    assert.equal(set.count, 0);
    assert.equal(set.claim("co_zA", T0 + W, T0), true, "first");
    assert.equal(set.claim("co_zA", T0 + W, T0), false, "second, same instant");
    assert.equal(set.claim("co_zA", T0 + W, T0 + 30_000), false, "later, within the window");
    // a renewed copy (new createdAt, so a later expiresAt) of a live id is still refused
    assert.equal(set.claim("co_zA", T0 + W + 59_000, T0 + 59_000), false, "renewed copy");
    // exactly at expiresAt the envelope is still valid (expired only when expiresAt < now), so the id is held
    assert.equal(set.claim("co_zA", T0 + 2 * W, T0 + W), false, "at expiresAt");
    assert.equal(set.claim("co_zB", T0 + W, T0), true, "another id");
    assert.equal(set.count, 2);
  });
});

test("after expiry the id is dropped, and a new claim of it is true again", () => {
  withSet((set) => {
    const E = T0 + W; // on a bucket boundary
    assert.equal(set.claim("co_zA", E, T0), true);
    assert.equal(set.claim("co_zA", E + W, E + 1), true, "now > expiresAt: dropped, claimable again");
    assert.equal(set.claim("co_zA", E + W, E + 2), false, "and held again");
    // an expiresAt off the bucket boundary: dropped at the latest one bucket later
    const F = T0 + 12_345;
    assert.equal(set.claim("co_zF", F, T0), true);
    assert.equal(set.claim("co_zF", F + W, F), false, "at expiresAt, still held");
    assert.equal(set.claim("co_zF", F + W, F + BUCKET + 1), true, "a bucket after expiresAt, dropped");
  });
});

test("an expiresAt already passed is refused and not stored; expiresAt == now is still valid", () => {
  withSet((set) => {
    assert.equal(set.claim("co_zOld", T0 - 1, T0), false);
    assert.equal(set.count, 0);
    assert.equal(set.claim("co_zOld", T0 + W, T0), true, "a valid claim afterwards is the first");
    // The envelope accepts a request at now == createdAt + window; the set agrees.
    assert.equal(set.claim("co_zEdge", T0, T0), true, "expiresAt == now");
    assert.equal(set.claim("co_zEdge", T0, T0), false);
    assert.equal(set.count, 2);
  });
});

test("count and bytes follow the live ids", () => {
  withSet((set) => {
    const empty = set.bytes;
    assert.equal(typeof empty, "number");
    assert.ok(empty >= 0);
    for (const id of ["co_z1", "co_z2", "co_z3"]) assert.equal(set.claim(id, T0 + 1000, T0), true);
    assert.equal(set.count, 3);
    assert.equal(set.claim("co_z2", T0 + 1000, T0 + 1), false);
    assert.equal(set.count, 3, "a refused claim stores nothing");
    // 5000 more, then let all of them expire
    for (let i = 0; i < 5000; i++) assert.equal(set.claim(`co_zMany${i}`, T0 + 2000, T0 + 10), true);
    assert.equal(set.count, 5003);
    const full = set.bytes;
    assert.ok(full > empty, `bytes grow: ${empty} -> ${full}`);
    assert.equal(set.claim("co_zLate", T0 + 10_000, T0 + 2001), true);
    assert.equal(set.count, 1, "all earlier ids dropped once expired");
    assert.ok(set.bytes < full, `bytes shrink after expiry: ${full} -> ${set.bytes}`);
  });
});

test("sets are independent", () => {
  const a = core.createReplaySet(), b = core.createReplaySet();
  try {
    assert.equal(a.claim("co_zX", T0 + W, T0), true);
    assert.equal(b.claim("co_zX", T0 + W, T0), true);
    assert.equal(a.claim("co_zX", T0 + W, T0), false);
    assert.equal(a.count, 1);
    assert.equal(b.count, 1);
  } finally {
    a.free();
    b.free();
  }
});

test("100k distinct ids over three windows: count stays within one window's worth", (t) => {
  withSet((set) => {
    const N = 100_000, SPAN = 3 * W;
    const perWindow = Math.ceil((N * W) / SPAN); // ids that arrive within one window
    const bound = Math.ceil((N * (W + 2 * BUCKET)) / SPAN); // plus the expiry granularity, with a bucket to spare
    let maxCount = 0, refusedDistinct = 0;
    for (let i = 0; i < N; i++) {
      const now = T0 + Math.floor((i * SPAN) / N);
      if (!set.claim(`co_zWin${i}`, now + W, now)) refusedDistinct++;
      const c = set.count;
      if (c > maxCount) maxCount = c;
    }
    const end = T0 + SPAN;
    t.diagnostic(`100k ids over 3 windows: max live ${maxCount} (one window = ${perWindow}, bound ${bound}), final ${set.count}, ${set.bytes} bytes`);
    assert.equal(refusedDistinct, 0, "every distinct id is a first claim");
    assert.ok(maxCount <= bound, `max live ${maxCount} > ${bound}`);
    assert.ok(set.count >= perWindow - 2, `the last window's ids are live: ${set.count}`);
    // the most recent window's ids are still refused; the first window's were dropped
    for (let i = N - 1; i >= N - 5000; i--) assert.equal(set.claim(`co_zWin${i}`, end + W, end), false, `recent ${i}`);
    for (let i = 0; i < 1000; i++) assert.equal(set.claim(`co_zWin${i}`, end + W, end), true, `old ${i}`);
  });
});

test("100k live ids: every one refused on replay, <= 64 bytes per live id", (t) => {
  withSet((set) => {
    const N = 100_000;
    for (let i = 0; i < N; i++) assert.equal(set.claim(`co_zLive${i}`, T0 + 10 * W, T0), true);
    assert.equal(set.count, N);
    const perId = set.bytes / set.count;
    t.diagnostic(`100k live ids: ${set.bytes} bytes, ${perId.toFixed(1)} bytes per id`);
    assert.ok(perId <= 64, `${perId} bytes per live id`);
    let replayed = 0;
    for (let i = 0; i < N; i += 7) { assert.equal(set.claim(`co_zLive${i}`, T0 + 10 * W, T0 + 1), false); replayed++; }
    assert.equal(set.count, N);
    t.diagnostic(`${replayed} replays refused`);
  });
});

test("ids of any length and script: short ones go through the scratch block, long ones through a block of their own", () => {
  withSet((set) => {
    // 16 KiB of scratch holds an id of up to 5,461 UTF-16 units (3 bytes each at most)
    const ids = ["co_zShort", "é".repeat(5461), "x".repeat(5462), "😀".repeat(3000), "co_z" + "y".repeat(100_000)];
    for (const id of ids) assert.equal(set.claim(id, T0 + W, T0), true, `first claim of a ${id.length}-unit id`);
    for (const id of ids) assert.equal(set.claim(id, T0 + W, T0), false, `second claim of a ${id.length}-unit id`);
    // the same id by either path is the same id: a long id written through its own block
    // and claimed again is refused, and released by either path
    assert.equal(set.release("x".repeat(5462)), true);
    assert.equal(set.claim("x".repeat(5462), T0 + W, T0), true);
    assert.equal(set.count, ids.length);
  });
});
