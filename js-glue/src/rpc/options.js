// A route's options, checked once when the route is defined (and again for the
// options handle() is given per call): a wrong option is a TypeError or RangeError
// at definition time, never a request that fails later.

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
  maxStoredAnswerBytes: 32 * 1024,
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
  exactlyOnce: (v) => {
    if (v !== undefined && (!isObject(v) || typeof v.transaction !== "function" || typeof v.begin !== "function" || typeof v.complete !== "function")) {
      throw new TypeError("jazzrpc: option 'exactlyOnce' must come from exactlyOnce(ctx) (jazzrpc/cloudflare)");
    }
  },
  retry: (v) => checkRetry(v),
  replayGuard: (v) => {
    if (v !== undefined && (!isObject(v) || typeof v.claim !== "function")) {
      throw new TypeError("jazzrpc: option 'replayGuard' must have a claim(id, expiresAt) method");
    }
  },
};

/** send()'s retry policy: false, or { attempts, baseDelayMs, maxDelayMs }. */
export const RETRY_DEFAULTS = Object.freeze({ attempts: 5, baseDelayMs: 250, maxDelayMs: 5_000 });

function checkRetry(v) {
  if (v === undefined || v === false || v === true) return;
  if (!isObject(v)) throw new TypeError("jazzrpc: option 'retry' must be false or { attempts, baseDelayMs, maxDelayMs }");
  if (v.attempts !== undefined) integer("retry.attempts", v.attempts, 1, 100);
  if (v.baseDelayMs !== undefined) duration("retry.baseDelayMs", v.baseDelayMs, { min: 0 });
  if (v.maxDelayMs !== undefined) duration("retry.maxDelayMs", v.maxDelayMs, { min: 0 });
}

/** The retry policy of send(): null for none. */
export function retryPolicy(v) {
  if (v === false) return null;
  return { ...RETRY_DEFAULTS, ...(isObject(v) ? v : {}) };
}

/** Checks every known option in `options`; unknown ones are left alone. Returns options. */
export function checkOptions(options) {
  if (options === undefined) return {};
  if (!isObject(options)) throw new TypeError("jazzrpc: options must be an object");
  for (const [name, check] of Object.entries(CHECKS)) {
    if (Object.prototype.hasOwnProperty.call(options, name) && (options[name] !== undefined || name === "now")) check(options[name]);
  }
  return options;
}
