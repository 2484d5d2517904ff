// Per-signer rate limits (the route option `rateLimit`), counted exactly, in the store
// that claims the request's id.
//
// What counts: a first claim of an id, by a verified signer (madeBy.id; on the
// jazz-tools path, the account, madeBy.$jazz.id), after every check that can fail (signature, window,
// schema) and before the handler runs. A duplicate answered from storage, a copy told
// 409 while the first runs, a body refused by a check: none of them count. A request
// over the limit is answered 429 ERR_RATE_LIMITED with Retry-After (the seconds, rounded
// up, until the oldest request in the window leaves it) and its id is not claimed: the
// same body succeeds once a slot frees.
//
// How: a sliding window log per key, the times of the requests counted in the last
// `perMs` ms (at most `requests` of them), kept by the guard beside its claims and
// checked and updated with the claim in one atomic step (see each guard's doc comment
// for where it lives and how long it is kept). A request at time t is in the window
// while now < t + perMs; a new one is let in while fewer than `requests` are.

import { JazzRequestError } from "./request-error.js";
import { errorAnswer, withHeaders } from "./answer.js";

/** The largest `requests` a rate limit may allow per window (each is held, per key, for perMs). */
export const MAX_RATE_REQUESTS = 1_000_000;
/** The longest window a rate limit may have: a year. */
export const MAX_RATE_PER_MS = 366 * 24 * 60 * 60 * 1000;
/** The longest key a rate limit's function may give. */
export const MAX_RATE_KEY = 512;

/** The state a guard's begin() answers for a first claim refused by the rate limit (the id is not claimed). */
export const limited = (retryAfterMs) => Object.freeze({ state: "limited", retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) });

function positiveInteger(name, value, max) {
  if (!Number.isInteger(value)) throw new TypeError(`jazzrpc: option '${name}' must be a positive integer, got ${String(value)}`);
  if (value < 1 || value > max) throw new RangeError(`jazzrpc: option '${name}' must be from 1 to ${max}, got ${value}`);
}

/** The option checked: { requests, perMs } (positive integers) or a function; undefined for none. */
export function checkRateLimit(value) {
  if (value === undefined || typeof value === "function") return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError("jazzrpc: option 'rateLimit' must be { requests, perMs } or a function (madeBy, value) => ({ key, requests, perMs })");
  }
  for (const name of Object.keys(value)) {
    if (name !== "requests" && name !== "perMs") throw new TypeError(`jazzrpc: unknown option 'rateLimit.${name}'; known: requests, perMs`);
  }
  positiveInteger("rateLimit.requests", value.requests, MAX_RATE_REQUESTS);
  positiveInteger("rateLimit.perMs", value.perMs, MAX_RATE_PER_MS);
}

/**
 * The limit of one request, or null for none: { key, requests, perMs }. The object
 * form counts per signer and route (key "<signer id> <route path>"); the function form
 * gives its own key (say, an organisation's id, shared by its routes), else the signer's
 * id, and undefined or null for no limit. A promise only when the function gave one.
 */
export function rateLimitOf(option, madeBy, value, routePath) {
  if (option === undefined || option === null) return null;
  const signer = accountIdOf(madeBy);
  if (typeof option !== "function") return { key: `${signer} ${routePath}`, requests: option.requests, perMs: option.perMs };
  const given = option(madeBy, value);
  // An async function (a plan looked up in a database): awaited; a plain one: no extra tick.
  return typeof given?.then === "function" ? Promise.resolve(given).then((limit) => limitOf(limit, signer)) : limitOf(given, signer);
}

/**
 * The account id a request is counted under: { id } on the plain path, a jazz-tools Account
 * ($jazz.id) on the jazz-tools path. None is a TypeError (a 500: counted under nobody's key,
 * every account would share one window).
 */
function accountIdOf(madeBy) {
  const id = madeBy?.$jazz?.id ?? madeBy?.id;
  if (typeof id !== "string" || id.length === 0) throw new TypeError("rateLimit: the request's maker has no account id to count it under");
  return id;
}

function limitOf(given, signer) {
  if (given === undefined || given === null) return null;
  if (typeof given !== "object") throw new TypeError("rateLimit: the function must return { key?, requests, perMs }, undefined or null");
  const key = given.key ?? signer;
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_RATE_KEY || key.includes("\u0000")) {
    throw new TypeError(`rateLimit: the function's key must be a string of 1 to ${MAX_RATE_KEY} characters without NUL`);
  }
  positiveInteger("rateLimit().requests", given.requests, MAX_RATE_REQUESTS);
  positiveInteger("rateLimit().perMs", given.perMs, MAX_RATE_PER_MS);
  return { key, requests: given.requests, perMs: given.perMs };
}

/** A guard's rate limit checked, as guards receive it in begin()'s options. */
export function checkRate(rate, where) {
  if (rate === undefined || rate === null) return null;
  if (typeof rate !== "object" || typeof rate.key !== "string" || rate.key.length === 0 || rate.key.length > MAX_RATE_KEY) {
    throw new TypeError(`${where}: rate must be { key, requests, perMs } (a key of 1 to ${MAX_RATE_KEY} characters)`);
  }
  if (!Number.isInteger(rate.requests) || rate.requests < 1 || rate.requests > MAX_RATE_REQUESTS) throw new TypeError(`${where}: rate.requests must be an integer from 1 to ${MAX_RATE_REQUESTS}`);
  if (!Number.isInteger(rate.perMs) || rate.perMs < 1 || rate.perMs > MAX_RATE_PER_MS) throw new TypeError(`${where}: rate.perMs must be an integer from 1 to ${MAX_RATE_PER_MS}`);
  return rate;
}

/** Whole seconds, rounded up (at least 1), that a Retry-After of ms says. */
export const retryAfterSeconds = (ms) => Math.max(1, Math.ceil(ms / 1000));

/** The answer to a request over its limit: 429 ERR_RATE_LIMITED, Retry-After in whole seconds, details.retryAfterMs. */
export function rateLimitedAnswer(retryAfterMs) {
  const seconds = retryAfterSeconds(retryAfterMs);
  const error = new JazzRequestError(`Too many requests: retry after ${seconds} s`, 429, { retryAfterMs: Math.ceil(retryAfterMs) }, { reason: "ERR_RATE_LIMITED" });
  return withHeaders(errorAnswer(error), { "Retry-After": String(seconds) });
}

/**
 * A sliding window log in memory: the times of the requests counted per key, oldest
 * first. take() lets one more in (true) or answers the ms until the oldest leaves the
 * window. Keys whose every request has left the window are forgotten by sweep().
 */
export class SlidingLogs {
  #logs = new Map(); // key -> { times: number[] (a ring, oldest at head), head, size, until }, in the order of their last request
  #sweptAt = -Infinity;

  /**
   * One more request for key at now: 0 when it is counted, else the ms until a slot frees.
   * Nothing is written when it is refused.
   */
  take(key, requests, perMs, now) {
    this.#sweep(now);
    let log = this.#logs.get(key);
    if (log === undefined) log = { times: [], head: 0, size: 0, until: 0 };
    else this.#logs.delete(key); // re-inserted below: the Map stays in last-request order
    const { times } = log;
    // Drop the times that have left the window (t + perMs <= now).
    while (log.size > 0 && times[log.head] + perMs <= now) {
      log.head = (log.head + 1) % times.length;
      log.size--;
    }
    if (log.size >= requests) {
      this.#logs.set(key, log);
      return times[log.head] + perMs - now;
    }
    if (log.size === times.length) {
      // Grow the ring (at most to `requests` entries), oldest first.
      const grown = new Array(Math.min(requests, Math.max(4, times.length * 2)));
      for (let i = 0; i < log.size; i++) grown[i] = times[(log.head + i) % times.length];
      log.times = grown;
      log.head = 0;
    }
    log.times[(log.head + log.size) % log.times.length] = now;
    log.size++;
    log.until = Math.max(log.until, now + perMs);
    this.#logs.set(key, log);
    return 0;
  }

  // Keys in last-request order: forget from the front while their window has passed.
  #sweep(now) {
    if (now - this.#sweptAt < 1_000) return;
    this.#sweptAt = now;
    for (const [key, log] of this.#logs) {
      if (log.until > now) break;
      this.#logs.delete(key);
    }
  }

  /** Keys held. */
  get size() {
    return this.#logs.size;
  }
  /** Bytes held, estimated: 8 per time in a ring, 64 per key and its entry. */
  get bytes() {
    let bytes = 0;
    for (const [key, log] of this.#logs) bytes += 64 + 2 * key.length + 8 * log.times.length;
    return bytes;
  }
}
