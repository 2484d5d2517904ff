// Rate-limit scenarios shared by the stores' tests (issue 19.1): each takes `post(body)`
// (the route's handle() with the store under test, resolving to a Response) and the
// route, and checks what a user sees: exactly `requests` new ids per window per signer,
// the rest 429 ERR_RATE_LIMITED with a Retry-After after which the same body succeeds;
// duplicates answered from storage do not count; another signer has its own window.
import assert from "node:assert/strict";

/** Signed bodies of `n` distinct requests by `owner`. */
export async function bodiesOf(route, owner, n, tag = "x") {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await route.prepare({ n: i, tag }, { owner }));
  return out;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Status, Retry-After and the body's reason of one answer. */
export async function outcomeOf(response) {
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, retryAfter: response.headers.get("Retry-After"), replayed: response.headers.get("X-Jazz-Replayed"), json };
}

/**
 * The boundary, duplicates, a refused id used later, another signer: `requests` per
 * `perMs` (a route option), `post(body)` answering with a Response.
 */
export async function boundaryScenario({ route, post, makeOwner, requests, perMs, runs }) {
  const alice = makeOwner();
  const bob = makeOwner();
  const bodies = await bodiesOf(route, alice, requests + 3, "a");
  // All at once: exactly `requests` get in.
  const first = await Promise.all(bodies.map((p) => post(p.body).then(outcomeOf)));
  const ok = first.filter((o) => o.status === 200);
  const refused = first.map((o, i) => ({ o, i })).filter(({ o }) => o.status === 429);
  assert.equal(ok.length, requests, `exactly ${requests} of ${bodies.length} get in: ${first.map((o) => o.status)}`);
  assert.equal(refused.length, 3);
  for (const { o } of refused) {
    assert.equal(o.json.reason, "ERR_RATE_LIMITED");
    assert.equal(o.json.code, 429);
    const seconds = Number(o.retryAfter);
    assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= Math.ceil(perMs / 1000), `Retry-After ${o.retryAfter}`);
    assert.ok(o.json.details.retryAfterMs >= 1 && o.json.details.retryAfterMs <= perMs, `retryAfterMs ${o.json.details.retryAfterMs}`);
  }
  assert.equal(await runs(), requests);
  // A duplicate of an answered request gets its stored answer and is not counted: the
  // window stays full for new ids, and the duplicates do not make it fuller later.
  const okIndex = first.findIndex((o) => o.status === 200);
  for (let i = 0; i < 3; i++) {
    const again = await outcomeOf(await post(bodies[okIndex].body));
    assert.equal(again.status, 200);
    assert.equal(again.replayed, "true");
  }
  const refusedAgain = await outcomeOf(await post(bodies[refused[0].i].body));
  assert.equal(refusedAgain.status, 429, "a refused id is refused again while the window is full");
  // Another signer has a window of its own.
  const bobs = await bodiesOf(route, bob, 1, "b");
  assert.equal((await post(bobs[0].body)).status, 200);
  // The refused bodies were not claimed: honour the largest Retry-After, and each
  // succeeds with the very same body (the window emptied: `requests` >= 3 slots free).
  const wait = Math.max(...refused.map(({ o }) => Number(o.retryAfter)));
  await sleep(wait * 1000);
  const later = await Promise.all(refused.map(({ i }) => post(bodies[i].body).then(outcomeOf)));
  assert.deepEqual(later.map((o) => o.status), refused.map(() => 200));
  assert.ok(later.every((o) => o.replayed === null), "ran now, not replayed");
  assert.equal(await runs(), requests + 1 + 3);
}

/** Runs tasks with at most `limit` in flight; resolves to their results in order. */
export async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Issue 19.2: `signers` signers send `perSigner` requests each, interleaved, at most
 * `concurrency` in flight, to `post(i, body)` (spread over the servers under test). Each
 * signer gets exactly `requests` 200s (the burst runs well within `perMs`), the rest 429
 * ERR_RATE_LIMITED with a Retry-After; honoured, a refused body succeeds. Then one
 * signer's burst against a quiet signer's answers, as a ratio of medians. Resolves to
 * the figures for the report.
 */
export async function burstScenario({ route, post, runs, makeOwner, signers = 10, perSigner = 100, requests, perMs, concurrency = 32 }) {
  const owners = Array.from({ length: signers }, makeOwner);
  const bodies = await Promise.all(owners.map((owner, s) => bodiesOf(route, owner, perSigner, `s${s}`)));
  // Interleaved: request k of every signer, then k + 1.
  const order = [];
  for (let k = 0; k < perSigner; k++) for (let s = 0; s < signers; s++) order.push({ s, body: bodies[s][k].body });
  const started = Date.now();
  const outcomes = await pool(order.map(({ body }, i) => async () => ({ ...(await outcomeOf(await post(i, body))), at: Date.now() })), concurrency);
  const took = Date.now() - started;
  assert.ok(took < perMs, `the burst took ${took} ms, not within one window of ${perMs} ms: the machine is too slow for this check`);
  const bySigner = Array.from({ length: signers }, () => ({ ok: 0, limited: [], other: [] }));
  outcomes.forEach((o, i) => {
    const mine = bySigner[order[i].s];
    if (o.status === 200) mine.ok++;
    else if (o.status === 429) mine.limited.push({ o, body: order[i].body });
    else mine.other.push(`${o.status} ${o.json?.reason ?? ""} ${o.json?.message ?? ""}`);
  });
  for (const [s, mine] of bySigner.entries()) {
    assert.deepEqual(mine.other, [], `signer ${s}: only 200s and 429s`);
    assert.equal(mine.ok, requests, `signer ${s}: exactly its limit of 200s`);
    assert.equal(mine.limited.length, perSigner - requests);
    for (const { o } of mine.limited) {
      assert.equal(o.json?.reason, "ERR_RATE_LIMITED");
      const seconds = Number(o.retryAfter);
      assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= Math.ceil(perMs / 1000), `Retry-After ${o.retryAfter}`);
    }
  }
  assert.equal(await runs(), signers * requests, "the handler ran once per request let in");
  // Honoured, Retry-After lets the same body in: each signer's last refused body, sent
  // again once its Retry-After (counted from when that refusal arrived) has passed.
  const until = Math.max(...bySigner.map((m) => m.limited.at(-1).o.at + Number(m.limited.at(-1).o.retryAfter) * 1000));
  const wait = Math.round((until - Date.now()) / 100) / 10;
  await sleep(Math.max(0, until - Date.now()));
  const later = await Promise.all(bySigner.map((m, s) => post(s, m.limited.at(-1).body).then(outcomeOf)));
  assert.deepEqual(later.map((o) => o.status), bySigner.map(() => 200), "each refused body succeeds after its Retry-After");
  assert.equal(await runs(), signers * requests + signers);

  // One signer's burst and a quiet signer's answers: the quiet signer's median latency
  // while a limited signer bursts (4 in flight), over its median alone.
  const quiet = makeOwner();
  const loud = makeOwner();
  const quietBodies = await bodiesOf(route, quiet, 2 * 12, "q");
  const loudBodies = await bodiesOf(route, loud, 200, "l");
  const timed = async (body, i) => {
    const t0 = performance.now();
    const o = await outcomeOf(await post(i, body));
    assert.equal(o.status, 200, "the quiet signer is never refused");
    return performance.now() - t0;
  };
  const alone = [];
  for (let i = 0; i < 12; i++) alone.push(await timed(quietBodies[i].body, i));
  let bursting = true;
  const burst = pool(loudBodies.map((p, i) => async () => (bursting ? outcomeOf(await post(i, p.body)) : null)), 4);
  const during = [];
  for (let i = 12; i < 24; i++) during.push(await timed(quietBodies[i].body, i));
  bursting = false;
  const loudOutcomes = (await burst).filter(Boolean);
  assert.ok(loudOutcomes.filter((o) => o.status === 429).length > 0, "the loud signer was limited during the measurement");
  const ratio = median(during) / median(alone);
  return { took, wait, aloneMs: median(alone), duringMs: median(during), ratio, loudSent: loudOutcomes.length };
}
