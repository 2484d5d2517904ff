// Replay guards: the authority on each request id's life, first claim -> running ->
// done with its stored answer, until the id expires.
//
// A guard has `begin(id, expiresAt)` -> { state: "first" | "running" | "done", answer? }:
// "first" for the first claim of an id only (the caller now runs it); "running" while
// that caller has not finished; "done" once complete(id, answer) stored its answer
// (answer null: the answer was over the size limit and is not kept); "limited" when
// options.rate ({ key, requests, perMs }) was given and the key's window is full (the id
// is then not claimed; see rpc/rate-limit.js). `complete(id,
// answer)` stores the answer; `release(id)` forgets a claim whose handler never started.
// A guard of the first interface, `claim(id, expiresAt) -> boolean`, still works: a
// duplicate is then only known as "seen". Every guard refuses an id whose expiresAt
// has passed. handle() fails closed (503) when a guard throws or does not answer in
// time, and releases a claim that lands after it gave up, so the client's retry of the
// same body can succeed.

import { DEFAULTS } from "../rpc/options.js";

export const FIRST = Object.freeze({ state: "first" });
export const RUNNING = Object.freeze({ state: "running" });
/** Claimed before, state unknown: a boolean guard's false, or an expired id. */
export const SEEN = Object.freeze({ state: "seen" });
/**
 * The "done" state. `reason` says why a done id has no answer to give: "ERR_ANSWER_NOT_STORED"
 * when a guard dropped (or never kept) its answer; the id stays claimed, it never runs again.
 * @param {{ status: number, headers: Record<string, string>, body: string } | null} answer
 * @param {string} [reason]
 */
export const done = (answer, reason) =>
  Object.freeze(answer == null && typeof reason === "string" ? { state: "done", answer: null, reason } : { state: "done", answer: answer ?? null });
/** The reason of a done id whose answer a guard dropped or never kept: its duplicates never run. */
export const ANSWER_NOT_STORED = "ERR_ANSWER_NOT_STORED";

/**
 * A running claim whose lease lapsed (its process died before it answered): the guard
 * turned it into done with the lapsed answer the route gave begin() (ERR_OUTCOME_UNKNOWN).
 */
export const LAPSED = Object.freeze({ state: "lapsed" });
/** How long a claim's lease lasts unless renewed (the route's leaseMs default). */
export const DEFAULT_LEASE_MS = 10_000;

/** A guard's claim as { state, answer? }: begin() where the guard has it, else claim()'s boolean. */
export async function beginClaim(guard, id, expiresAt, options) {
  if (typeof guard.begin === "function") {
    const result = await guard.begin(id, expiresAt, options);
    if (result === FIRST || result?.state === "first") return FIRST;
    if (result?.state === "running") return RUNNING;
    if (result?.state === "lapsed") return LAPSED;
    // Refused by the rate limit (options.rate), the id left unclaimed: the caller answers 429.
    if (result?.state === "limited" && Number.isFinite(result.retryAfterMs)) return Object.freeze({ state: "limited", retryAfterMs: Math.max(1, Math.ceil(result.retryAfterMs)) });
    if (result?.state === "done") return done(result.answer, result.reason);
    return SEEN;
  }
  return (await guard.claim(id, expiresAt)) === true ? FIRST : SEEN;
}

/**
 * Runs a guard's claim with a deadline; rejects when the guard fails or is late. A
 * claim that lands after the deadline is released (guard.release), so that the 503
 * handle() answered can be retried with the same body.
 */
export function claimWithin(guard, id, expiresAt, timeoutMs, options) {
  let late = false;
  const claim = Promise.resolve().then(() => beginClaim(guard, id, expiresAt, options));
  claim.then(
    (result) => {
      if (late && result === FIRST) return Promise.resolve().then(() => guard.release?.(id)).catch(() => {});
    },
    () => {},
  );
  return within(claim, timeoutMs, "replay guard did not answer", () => {
    late = true;
  });
}

/** A promise's value, or a rejection after timeoutMs (onLate runs then). */
export function within(promise, timeoutMs, what, onLate = () => {}) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new Error(`${what} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The ms from now until expiresAt, at least 1 (what Redis PX and Deno KV expireIn take). */
export const ttlOf = (expiresAt, now) => Math.max(1, Math.ceil(expiresAt - now));

/**
 * The skew margin a shared guard adds to each id's life by default: the route's default
 * `skew` (10 s). A server accepts a body until its own clock reads expiresAt; servers whose
 * clocks are within this margin of the store's clock then all find the id still held.
 */
export const DEFAULT_SKEW_MS = DEFAULTS.skew;
/** A guard's skewMs option checked: a finite number of ms, 0 or more. */
export function skewOption(name, value = DEFAULT_SKEW_MS) {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name}: option 'skewMs' must be a finite number of ms, 0 or more, got ${String(value)}`);
  }
  return value;
}
/** Until when (ms since the epoch, an integer) a shared guard holds an id: expiresAt plus the skew margin. */
export const holdUntil = (expiresAt, skewMs) => Math.ceil(expiresAt + skewMs);
/** As the core's replay set and the envelope window: an id is live until expiresAt, inclusive. */
export const hasExpired = (expiresAt, now) => !(expiresAt >= now);

/** The stored form of a state: what Redis, Deno KV and SQLite keep for an id. */
export const encodeState = (state, answer, reason) =>
  JSON.stringify(state !== "done" ? { state } : answer == null && typeof reason === "string" ? { state, answer: null, reason } : { state, answer: answer ?? null });
/** A stored state back; anything unreadable (a value of an older version) is SEEN. */
export function decodeState(text) {
  try {
    const value = typeof text === "string" ? JSON.parse(text) : text;
    if (value?.state === "running") return RUNNING;
    if (value?.state === "done") return done(value.answer, value.reason);
  } catch {
    // not ours
  }
  return SEEN;
}
