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
  assert.equal(runs(), requests);
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
  assert.equal(runs(), requests + 1 + 3);
}
