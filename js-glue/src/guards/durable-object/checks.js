// What the replay-guard object accepts: the checks of an id, of begin()'s and
// complete()'s options and of a lease, and how many operations one batch RPC carries.
// Each throws a TypeError with the message the caller (or a batch's { error }) gets.

import { holdUntil } from "../claim.js";
import { checkRate } from "../../rpc/rate-limit.js";

const MAX_ID_LENGTH = 512;
/** Operations per batch RPC, at most. */
export const MAX_BATCH = 128;

export function checkClaim(id, expiresAt) {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new TypeError(`claim: id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) throw new TypeError("claim: expiresAt must be a finite number of ms");
}

const isAnswer = (a) => a !== null && typeof a === "object" && Number.isInteger(a.status) && typeof a.body === "string";

/** begin()'s options checked: { hold, keepUntil, leaseMs, lapsedAnswer, answerTtlMs, rate } with hold = expiresAt + skewMs (rate: null or { key, requests, perMs }). */
export function beginOptions(expiresAt, options, skewMs) {
  const { leaseMs, keepUntil, lapsedAnswer, answerTtlMs } = options ?? {};
  const rate = checkRate(options?.rate, "claim");
  const hold = options?.holdUntil ?? holdUntil(expiresAt, skewMs);
  if (!Number.isFinite(hold) || hold < expiresAt) throw new TypeError("claim: holdUntil must be a finite number of ms, at least expiresAt");
  if (keepUntil !== undefined && !Number.isFinite(keepUntil)) throw new TypeError("claim: keepUntil must be a finite number of ms");
  if (leaseMs !== undefined && !(Number.isFinite(leaseMs) && leaseMs > 0)) throw new TypeError("claim: leaseMs must be a positive number of ms");
  if (lapsedAnswer !== undefined && lapsedAnswer !== null && !isAnswer(lapsedAnswer)) throw new TypeError("claim: lapsedAnswer must be { status, headers, body }");
  checkTtl(answerTtlMs);
  return { hold, keepUntil: Math.max(hold, keepUntil ?? -Infinity), leaseMs, lapsedAnswer: lapsedAnswer ?? undefined, answerTtlMs, rate };
}

/** Until when complete() keeps an answer: the later of keepUntil and now + answerTtlMs (either may be absent). */
export function keepOption(options, now) {
  const keepUntil = options?.keepUntil;
  if (keepUntil !== undefined && !Number.isFinite(keepUntil)) throw new TypeError("complete: keepUntil must be a finite number of ms");
  checkTtl(options?.answerTtlMs);
  const ttl = options?.answerTtlMs;
  if (keepUntil === undefined && ttl === undefined) return undefined;
  return Math.max(keepUntil ?? -Infinity, ttl === undefined ? -Infinity : now + ttl);
}

function checkTtl(answerTtlMs) {
  if (answerTtlMs !== undefined && !(Number.isFinite(answerTtlMs) && answerTtlMs >= 0)) throw new TypeError("answerTtlMs must be a finite number of ms, 0 or more");
}

export function checkLease(leaseMs) {
  if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new TypeError("renew: leaseMs must be a positive number of ms");
}
