// One module owns a request id's life on the server: claim, run, complete or
// release, and the answer every copy of the request gets. The same rules for every
// guard (memory, Redis, Deno KV, the Durable Object guard) and for the transactional
// setups (exactlyOnce(ctx) in a Durable Object, postgresExactlyOnce(db) on Node):
//
// - the handler runs at most once per id;
// Each function answers with a plain answer { status, headers, body } (rpc/answer.js);
// the adapter writes it (a Response for handle(), the ServerResponse for toNodeListener).
// - its answer is stored for the id (up to maxStoredAnswerBytes) and given, byte for
//   byte, to every later copy (X-Jazz-Replayed: true);
// - a copy that arrives while the first runs gets 409 with Retry-After;
// - an answer too large to keep is logged, and its copies get a definitive
//   ERR_ANSWER_NOT_STORED, never a 409 loop;
// - a handler's own 503 or 429 (JazzRequestError) is not stored: the claim is
//   released, so the client's retry runs the handler again (throw them only when
//   nothing was done);
// - where claim, effect and answer share one transaction, a failure of the handler
//   rolls all of it back, and the retry runs cleanly.

import { JazzRequestError } from "./request-error.js";
import { FIRST, LAPSED, claimWithin, within } from "../guards/claim.js";
import { answerForError, byteLength, duplicateAnswer, errorAnswer, report, withHeaders } from "./answer.js";
import { describeStatus } from "../core/errors.js";
import { step } from "./telemetry.js";
import { rateLimitedAnswer } from "./rate-limit.js";

/** Statuses of a handler's own refusal that mean "nothing was done, try again": released, not stored. */
const NOT_DONE = new Set([429, 503]);

/** True when the answer is the handler's own 503 or 429. */
const isRetryLater = (answer) => answer.fromHandler === true && NOT_DONE.has(answer.status);

/**
 * The answer for a verified request, through the replay guard.
 * @param {{ guard: any, id: string, expiresAt: number, opts: any, info: object, execute: () => Promise<object> }} run
 *   execute resolves to the answer ({ status, headers, body, fromHandler? }); anything it throws becomes a 500.
 */
export async function answerThroughGuard({ guard, id, expiresAt, opts, info, trace, execute, keyed, rate }) {
  let claim;
  const options = { leaseMs: opts.leaseMs, lapsedAnswer: OUTCOME_UNKNOWN_ANSWER, answerTtlMs: opts.answerTtlMs };
  if (rate) {
    // Counted by the guard in the claim's own atomic step; a guard that cannot is a 500 (fail closed, nothing runs).
    if (guard?.rateLimits !== true) throw new TypeError("rateLimit: this replay guard does not count rate limits (it has no rateLimits: true)");
    options.rate = rate;
  }
  try {
    claim = await step(trace, "guard.claim", () => claimWithin(guard, id, expiresAt, opts.guardTimeoutMs, options));
  } catch (error) {
    report(opts, error, { ...info, status: 503, reason: "ERR_GUARD_UNAVAILABLE" });
    throw new JazzRequestError("Replay guard unavailable, try again", 503, undefined, { reason: "ERR_GUARD_UNAVAILABLE" });
  }
  if (claim === LAPSED) {
    // The copy that ran died before it answered, and this guard cannot know whether its
    // effect happened: a definitive answer, stored for every later copy. The moment to reconcile.
    report(opts, new Error("a claim's lease lapsed without an answer: the server that ran it stopped"), { ...info, status: 500, reason: "ERR_OUTCOME_UNKNOWN" });
    return OUTCOME_UNKNOWN_ANSWER;
  }
  if (claim.state === "limited") return rateLimitedAnswer(claim.retryAfterMs); // not claimed: the same body may come again
  if (claim !== FIRST) {
    // Expired between the check and the claim (a slow guard): never run, so not "already handled".
    if (claim.state === "seen" && expiresAt < opts.now()) throw expired();
    return duplicateOf(claim, opts, keyed);
  }

  let answer;
  const lease = holdLease(guard, id, opts);
  try {
    answer = await execute();
  } catch (error) {
    answer = answerForError(error, opts, info);
  } finally {
    lease.stop();
  }
  if (opts.duplicates === "reject" || typeof guard.complete !== "function") return answer;
  if (isRetryLater(answer)) {
    await step(trace, "guard.release", () => settle(opts, info, () => guard.release?.(id), "replay guard did not release the claim"));
    return answer;
  }
  const keep = { keepUntil: keepUntilOf(expiresAt, opts), answerTtlMs: opts.answerTtlMs };
  await step(trace, "guard.complete", () => settle(opts, info, () => guard.complete(id, storable(answer, opts, info, keyed, trace), expiresAt, keep), "replay guard did not store the answer"));
  return answer;
}

/**
 * The answer to a copy whose id (or idempotency key) is claimed already. With an
 * idempotency key, the stored answer is given only to the same values (else 422), and a
 * success is signed again for this request, which has an id of its own.
 */
function duplicateOf(claim, opts, keyed) {
  // No fingerprint: an answer no run of the handler gave (ERR_OUTCOME_UNKNOWN), the same for every copy.
  if (keyed === undefined || claim.state !== "done" || !claim.answer || claim.answer.fingerprint === undefined) return duplicateAnswer(claim, opts.duplicates);
  if (claim.answer.fingerprint !== keyed.fingerprint) {
    throw new JazzRequestError("Idempotency key reused with different values", 422, undefined, { reason: "ERR_IDEMPOTENCY_KEY_REUSED" });
  }
  return withHeaders(keyed.answerFor(claim.answer), { "X-Jazz-Replayed": "true" });
}

/**
 * A body past its window: the answer stored for its id (X-Jazz-Replayed), which
 * outlives the window by answerTtlMs; null when there is none (the body is then
 * refused as expired). It never runs anything.
 */
export async function storedAnswerOf({ guard, store, id, opts, keyed }) {
  let state;
  if (store?.kind === "async") state = await store.run(id, { expiresAt: 0, keepUntil: 0 }, () => Promise.reject(new Error("never run")));
  else if (store) state = store.lookup?.(id);
  else state = await within(Promise.resolve().then(() => guard.lookup?.(id)), opts.guardTimeoutMs, "replay guard did not answer");
  if (state?.state === "done" && state.answer) return keyed ? duplicateOf(state, opts, keyed) : withHeaders(state.answer, { "X-Jazz-Replayed": "true" });
  return null;
}

/** Until when an answer is kept: the later of the id's window (plus skew) and now + answerTtlMs. */
const keepUntilOf = (expiresAt, opts) => Math.max(expiresAt + opts.skew, opts.now() + opts.answerTtlMs);

/** The answer a claim whose lease lapsed becomes: 500 ERR_OUTCOME_UNKNOWN, stored by the guard. */
const OUTCOME_UNKNOWN_ANSWER = Object.freeze(
  errorAnswer(
    new JazzRequestError(
      "Request outcome unknown: the server that ran it stopped before it answered; check whether it took effect",
      500,
      undefined,
      { reason: "ERR_OUTCOME_UNKNOWN" },
    ),
  ),
);

// Renews the claim's lease every leaseMs / 3 while the handler runs (guards that have leases).
function holdLease(guard, id, opts) {
  if (typeof guard.renew !== "function" || !(opts.leaseMs > 0)) return { stop() {} };
  const timer = setInterval(() => {
    Promise.resolve()
      .then(() => guard.renew(id, opts.leaseMs))
      .catch(() => {}); // a missed renewal: the next one tries again; the lease has two more periods
  }, Math.max(1, Math.floor(opts.leaseMs / 3)));
  timer.unref?.();
  return { stop: () => clearInterval(timer) };
}

/**
 * The answer for a verified request where claim, effect and answer commit in one
 * synchronous transaction (a Durable Object's SQLite: exactlyOnce(ctx)).
 * execute(tx) runs the handler synchronously and returns the answer; a failure that
 * is not the handler's own JazzRequestError throws, and the transaction rolls back.
 */
export function answerInTransaction({ store, id, expiresAt, opts, info, trace, execute, keyed, rate }) {
  let retryLater = null;
  let answer;
  if (rate && store.rateLimits !== true) throw new TypeError("rateLimit: this exactlyOnce store does not count rate limits");
  try {
    answer = step(trace, "guard.transaction", () => store.transaction(() => {
      const claim = store.begin(id, expiresAt, rate ? { keepUntil: keepUntilOf(expiresAt, opts), rate } : { keepUntil: keepUntilOf(expiresAt, opts) });
      if (claim !== FIRST && claim?.state !== "first") return claim;
      const outcome = execute(undefined);
      if (isRetryLater(outcome)) {
        retryLater = outcome;
        throw ROLL_BACK; // nothing of it is kept: the retry runs the handler again
      }
      store.complete(id, storable(outcome, opts, info, keyed, trace), { keepUntil: keepUntilOf(expiresAt, opts) });
      return outcome;
    }));
  } catch (error) {
    if (error === ROLL_BACK) return retryLater;
    throw error;
  }
  if (answer.state === "limited") return rateLimitedAnswer(answer.retryAfterMs);
  if (answer.state) return duplicateOf(answer, opts, keyed);
  return answer;
}

/**
 * The same where the transaction is asynchronous (postgresExactlyOnce(db)): the
 * store claims the id, runs execute(tx) and stores its answer in one transaction.
 */
export async function answerInAsyncTransaction({ store, id, expiresAt, opts, info, trace, execute, keyed, rate }) {
  let retryLater = null;
  let failed = null;
  let sent;
  let outcome;
  if (rate && store.rateLimits !== true) throw new TypeError("rateLimit: this exactlyOnce store does not count rate limits");
  const claim = rate ? { expiresAt, keepUntil: keepUntilOf(expiresAt, opts), rate } : { expiresAt, keepUntil: keepUntilOf(expiresAt, opts) };
  try {
    outcome = await step(trace, "guard.transaction", () => store.run(id, claim, async (tx) => {
      let answer;
      try {
        answer = await execute(tx);
      } catch (error) {
        failed = { error }; // rolled back: nothing happened; answered 500 like any handler failure
        throw error;
      }
      if (isRetryLater(answer)) {
        retryLater = answer;
        throw ROLL_BACK;
      }
      sent = answer;
      return storable(answer, opts, info, keyed, trace); // null: over the limit, its copies get ERR_ANSWER_NOT_STORED
    }));
  } catch (error) {
    if (error === ROLL_BACK) return retryLater;
    if (failed !== null) throw failed.error;
    report(opts, error, { ...info, status: 503, reason: "ERR_GUARD_UNAVAILABLE" });
    throw new JazzRequestError("Request could not be committed, try again", 503, undefined, { reason: "ERR_GUARD_UNAVAILABLE" });
  }
  if (outcome.state === "first") return sent;
  if (outcome.state === "limited") return rateLimitedAnswer(outcome.retryAfterMs);
  return duplicateOf(outcome, opts, keyed);
}

const ROLL_BACK = Symbol("roll back: the handler asked for a retry");

/**
 * The answer to keep for an id, or null (logged) when it is over maxStoredAnswerBytes.
 * Under an idempotency key it carries the fingerprint of the values it answered.
 */
function storable(answer, opts, info, keyed, trace) {
  const { status, headers, body } = answer;
  const bytes = byteLength(body);
  if (trace !== undefined && bytes <= opts.maxStoredAnswerBytes) trace.stored(bytes);
  if (bytes <= opts.maxStoredAnswerBytes) return keyed === undefined ? { status, headers, body } : { status, headers, body, fingerprint: keyed.fingerprint };
  report(opts, new Error(`the answer (${bytes} bytes) is over maxStoredAnswerBytes (${opts.maxStoredAnswerBytes}): its duplicates will get ERR_ANSWER_NOT_STORED`), {
    ...info,
    status,
    reason: "ERR_ANSWER_NOT_STORED",
  });
  return null;
}

// A guard call after the answer is known: its failure is logged, the client still gets its answer.
async function settle(opts, info, call, what) {
  try {
    await within(Promise.resolve().then(call), opts.guardTimeoutMs, what);
  } catch (error) {
    report(opts, error, { ...info, reason: "ERR_GUARD_UNAVAILABLE" });
  }
}

function expired() {
  const { message, status } = describeStatus(6);
  return new JazzRequestError(message, status, undefined, { reason: "ERR_EXPIRED" });
}

/** The answer of a handler's JazzRequestError, marked as the handler's own. */
export function handlerAnswer(error) {
  return { ...errorAnswer(error), fromHandler: true };
}
