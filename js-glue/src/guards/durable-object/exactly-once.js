// exactlyOnce(ctx): the claim table (claim-table.js) in the SQLite of the Durable Object
// that owns the handler's state, so that handle() commits the claim, the handler's writes
// and the answer in one transaction.

import { SEEN, holdUntil, skewOption } from "../claim.js";
import { checkClaim, keepOption } from "./checks.js";
import { checkRate } from "../../rpc/rate-limit.js";
import { ClaimTable } from "./claim-table.js";

/**
 * Exactly once where the state lives: request ids kept in the SQLite of the Durable
 * Object that owns the handler's state (say, an event's object), for
 * `route.handle(request, worker, handler, { exactlyOnce })` run inside that object.
 * handle() then commits the claim, the handler's own storage writes and the stored
 * answer in one `transactionSync`: an object that fails before the commit leaves
 * nothing behind (the retry runs the handler cleanly), and one that fails after it
 * answers the retry from storage. The handler must be synchronous (no await between
 * the claim and the commit), as a Durable Object's storage methods allow. No leases:
 * nothing is ever left running.
 *
 * Bounds: one row per id, held until expiresAt + skewMs (this object's clock) at
 * least, and with its answer until the keepUntil handle() gives (the route's
 * answerTtlMs, 24 h by default); answers longer than 64 KiB in chunk rows of 64 KiB.
 * Rows past their time are swept as claims arrive, at most `sweepRows` (100) per
 * sweepEveryMs (1 s); an object that gets no claims keeps them until `sweep()` is
 * called (say, from the object's own alarm).
 *
 * Rate limits (the route's `rateLimit`): a sliding window log per key in the table
 * jazzrpc_rate of this object's SQLite (one row per id counted: key, id, at, until),
 * counted by begin() in the claim's own transaction (a duplicate is answered its state,
 * not counted; a first claim over the limit is undone and answered { state: "limited" }).
 * The windows are this object's: every request the object handles is counted there,
 * which is exact for a signer whose requests all go to it (say, per event). Rows leave
 * with their key's next count or the sweep, past at + perMs; at most `requests` per key.
 * @param {{ storage: { sql: any, transactionSync: (fn: () => any) => any } }} ctx the object's state
 * @param {{ sweepEveryMs?: number, sweepRows?: number, skewMs?: number, now?: () => number }} [options]
 */
export function exactlyOnce(ctx, options = {}) {
  if (typeof ctx?.storage?.transactionSync !== "function") {
    throw new TypeError("exactlyOnce(ctx): the DurableObjectState of a SQLite-backed Durable Object is required");
  }
  const { sweepEveryMs = 1_000, sweepRows = 100, now = Date.now } = options;
  const skewMs = skewOption("exactlyOnce", options.skewMs);
  if (!Number.isInteger(sweepRows) || sweepRows < 1) throw new TypeError(`exactlyOnce: option 'sweepRows' must be a positive integer, got ${String(sweepRows)}`);
  const table = new ClaimTable(ctx.storage.sql);
  let sweptAt = -Infinity;
  const sweep = (limit = sweepRows) => ctx.storage.transactionSync(() => table.sweep(now(), limit));
  return Object.freeze({
    /** Counts rate limits (begin()'s `rate`), in this object's SQLite, in the claim's transaction. */
    rateLimits: true,
    transaction: (fn) => ctx.storage.transactionSync(fn),
    /** Inside the transaction: the first claim, or the earlier claim's state; an expired id is seen. */
    begin(id, expiresAt, opts) {
      checkClaim(id, expiresAt);
      const t = now();
      if (t - sweptAt >= sweepEveryMs) {
        table.sweep(t, sweepRows);
        sweptAt = t;
      }
      if (expiresAt < t) return SEEN;
      const hold = holdUntil(expiresAt, skewMs);
      const keepUntil = opts?.keepUntil;
      if (keepUntil !== undefined && !Number.isFinite(keepUntil)) throw new TypeError("claim: keepUntil must be a finite number of ms");
      return table.begin(id, expiresAt, Math.max(hold, keepUntil ?? -Infinity), t, checkRate(opts?.rate, "exactlyOnce"));
    },
    /** Inside the transaction: stores the answer (null: done, not stored), kept until keepUntil at least. */
    complete: (id, answer, opts) => table.complete(id, answer, keepOption(opts, now())),
    release: (id) => table.release(id),
    /** The state of an id without claiming it (for a body whose window has passed). */
    lookup: (id) => {
      checkClaim(id);
      return table.state(id, now());
    },
    /** Deletes up to `limit` rows past their time; answers how many. */
    sweep,
    stats: () => table.counts(now()),
  });
}
