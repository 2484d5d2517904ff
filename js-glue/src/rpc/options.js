// A route's options, checked once when the route is defined (and again for the
// options handle() is given per call): a wrong option is a TypeError or RangeError
// at definition time, never a request that fails later.

import { checkRateLimit } from "./rate-limit.js";

/** The longest delay setTimeout can hold (2^31 - 1 ms); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The core's hard limit on nesting, whatever maxDepth says. */
export const MAX_DEPTH = 1024;

export const DEFAULTS = Object.freeze({
  window: 60_000,
  skew: 10_000,
  maxBodyBytes: 1 << 20,
  maxDepth: 64,
  guardTimeoutMs: 5_000,
  bodyTimeoutMs: 10_000,
  duplicates: "replay",
  maxStoredAnswerBytes: 1 << 20,
  answerTtlMs: 24 * 60 * 60 * 1000,
  leaseMs: 10_000,
});

const isObject = (x) => x !== null && typeof x === "object";

function duration(name, value, { min = 1, max = MAX_TIMER_MS } = {}) {
  if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`jazzrpc: option '${name}' must be a number of ms, got ${typeof value}`);
  if (!(value >= min && value <= max)) throw new RangeError(`jazzrpc: option '${name}' must be from ${min} to ${max} ms, got ${value}`);
}

function integer(name, value, min, max) {
  if (!Number.isInteger(value)) throw new TypeError(`jazzrpc: option '${name}' must be an integer, got ${String(value)}`);
  if (value < min || value > max) throw new RangeError(`jazzrpc: option '${name}' must be from ${min} to ${max}, got ${value}`);
}

function optionalFunction(name, value) {
  if (value !== undefined && typeof value !== "function") throw new TypeError(`jazzrpc: option '${name}' must be a function`);
}

const CHECKS = {
  window: (v) => duration("window", v, { max: Number.MAX_SAFE_INTEGER }),
  skew: (v) => duration("skew", v, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  maxBodyBytes: (v) => integer("maxBodyBytes", v, 1, 2 ** 31 - 1),
  maxDepth: (v) => integer("maxDepth", v, 1, MAX_DEPTH),
  guardTimeoutMs: (v) => duration("guardTimeoutMs", v),
  bodyTimeoutMs: (v) => duration("bodyTimeoutMs", v),
  now: (v) => {
    if (typeof v !== "function") throw new TypeError("jazzrpc: option 'now' must be a function returning ms since the epoch");
  },
  fetch: (v) => optionalFunction("fetch", v),
  onError: (v) => optionalFunction("onError", v),
  duplicates: (v) => {
    if (v !== "replay" && v !== "reject") throw new TypeError(`jazzrpc: option 'duplicates' must be "replay" or "reject", got ${String(v)}`);
  },
  maxStoredAnswerBytes: (v) => integer("maxStoredAnswerBytes", v, 0, 2 ** 31 - 1),
  answerTtlMs: (v) => duration("answerTtlMs", v, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  leaseMs: (v) => duration("leaseMs", v, { min: 3 }),
  exactlyOnce: (v) => {
    const synchronous = isObject(v) && typeof v.transaction === "function" && typeof v.begin === "function" && typeof v.complete === "function";
    const asynchronous = isObject(v) && v.kind === "async" && typeof v.run === "function";
    if (v !== undefined && !synchronous && !asynchronous) {
      throw new TypeError("jazzrpc: option 'exactlyOnce' must come from exactlyOnce(ctx) (jazzrpc/cloudflare) or postgresExactlyOnce(db) (jazzrpc/node)");
    }
  },
  retry: (v) => checkRetry(v),
  rateLimit: (v) => checkRateLimit(v),
  env: () => {},
  ctx: (v) => {
    if (v !== undefined && !isObject(v)) throw new TypeError("jazzrpc: option 'ctx' must be the platform's execution context (an object)");
  },
  replayGuard: (v) => {
    if (v !== undefined && (!isObject(v) || typeof v.claim !== "function")) {
      throw new TypeError("jazzrpc: option 'replayGuard' must have a claim(id, expiresAt) method");
    }
  },
};

/** send()'s retry policy: false, or { attempts, baseDelayMs, maxDelayMs, budgetMs }. Rides out a 30 s outage. */
export const RETRY_DEFAULTS = Object.freeze({ attempts: 30, baseDelayMs: 250, maxDelayMs: 4_000, budgetMs: 45_000 });

function checkRetry(v) {
  if (v === undefined || v === false || v === true) return;
  if (!isObject(v)) throw new TypeError("jazzrpc: option 'retry' must be false or { attempts, baseDelayMs, maxDelayMs, budgetMs }");
  refuseUnknown(v, ["attempts", "baseDelayMs", "maxDelayMs", "budgetMs"], "option 'retry'");
  if (v.attempts !== undefined) integer("retry.attempts", v.attempts, 1, 1000);
  if (v.baseDelayMs !== undefined) duration("retry.baseDelayMs", v.baseDelayMs, { min: 0 });
  if (v.maxDelayMs !== undefined) duration("retry.maxDelayMs", v.maxDelayMs, { min: 0 });
  if (v.budgetMs !== undefined) duration("retry.budgetMs", v.budgetMs, { min: 0 });
}

/** The retry policy of send(): null for none. */
export function retryPolicy(v) {
  if (v === false) return null;
  return { ...RETRY_DEFAULTS, ...(isObject(v) ? v : {}) };
}

/** The options a route (defineRequest's options) takes. */
export const ROUTE_OPTIONS = Object.freeze(Object.keys(CHECKS).filter((name) => name !== "env" && name !== "ctx"));
/** What handle() and verify() take per call: the route's options, and the platform's env and ctx for the handler's context. */
export const HANDLE_OPTIONS = Object.freeze(Object.keys(CHECKS));
/** What send() takes. */
export const SEND_OPTIONS = Object.freeze(["owner", "fetch", "baseUrl", "headers", "retry", "signal", "idempotencyKey"]);

/** The longest idempotency key (Stripe's limit). */
export const MAX_IDEMPOTENCY_KEY = 255;
/** What toFetchHandler and the adapters take: handle()'s options, the worker and the guard. */
export const SERVE_OPTIONS = Object.freeze([...HANDLE_OPTIONS, "worker"]);

/** Checks every known option in `options`; an unknown one is a TypeError naming the nearest known one. Returns options. */
export function checkOptions(options, known = HANDLE_OPTIONS, where = "options") {
  if (options === undefined) return {};
  if (!isObject(options)) throw new TypeError(`jazzrpc: ${where} must be an object`);
  refuseUnknown(options, known, where);
  for (const [name, check] of Object.entries(CHECKS)) {
    if (Object.prototype.hasOwnProperty.call(options, name) && (options[name] !== undefined || name === "now")) check(options[name]);
  }
  return options;
}

/** send()'s options: known names, a retry policy that checks out, an owner, before any network. */
export function checkSendOptions(options) {
  if (!isObject(options)) throw new TypeError("jazzrpc: send() needs { owner }: the account that signs the request");
  refuseUnknown(options, SEND_OPTIONS, "send() options");
  if (options.retry !== undefined) checkRetry(options.retry);
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY || /[\u0000-\u001f\u007f]/.test(key))) {
    throw new TypeError(`jazzrpc: option 'idempotencyKey' must be a string of 1 to ${MAX_IDEMPOTENCY_KEY} characters without control characters`);
  }
  optionalFunction("fetch", options.fetch);
  return options;
}

/** A TypeError for a key that is none of `known`, naming the nearest one. */
export function refuseUnknown(object, known, where) {
  for (const name of Object.keys(object)) {
    if (known.includes(name)) continue;
    const nearest = nearestName(name, known);
    throw new TypeError(`jazzrpc: unknown ${where} key '${name}'${nearest ? ` (did you mean '${nearest}'?)` : ""}; known: ${known.join(", ")}`);
  }
}

function nearestName(name, known) {
  let best = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

// Levenshtein distance; names are short, and the loops are bounded by 64 characters each.
function editDistance(a, b) {
  a = a.slice(0, 64);
  b = b.slice(0, 64);
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
