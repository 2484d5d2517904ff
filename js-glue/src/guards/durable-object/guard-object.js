// The replay-guard Durable Object: the one authority for the ids that hash to it (see
// guards/durable-object.js for an id's life in it). Its claims, completes, renewals, lookups and
// releases run on the claim table (claim-table.js) in one synchronous turn, a batch of
// them in one SQLite transaction; its alarm sweeps the rows past their time.

import * as workers from "cloudflare:workers";
import { getCore } from "../../core/wasm.js";
import { DEFAULT_SKEW_MS, FIRST, SEEN } from "../claim.js";
import { MAX_BATCH, beginOptions, checkClaim, checkLease, keepOption } from "./checks.js";
import { checkRate } from "../../rpc/rate-limit.js";
import { ClaimTable, SWEEP_ROWS } from "./claim-table.js";

const { DurableObject } = workers;
/** Bytes of stored answers one batch's results carry back; past it, a large answer is fetched by its caller alone. */
const MAX_REPLY_BYTES = 8 << 20;

export class ReplayGuardDurableObject extends DurableObject {
  /**
   * How long after a row's keep_until the alarm may run. Each sweep deletes up to 500
   * rows that are due (and runs again at once while more are), so under steady traffic
   * there is about one alarm per sweepDelayMs per object. Override it in a subclass.
   */
  static sweepDelayMs = 5_000;
  /** The margin added to each id's life when begin() is called without holdUntil or skewMs (10 s). */
  static skewMs = DEFAULT_SKEW_MS;

  #set;
  #table;
  #alarmAt = null; // the alarm this instance has set, if any

  constructor(ctx, env) {
    super(ctx, env);
    this.#table = new ClaimTable(ctx.storage.sql);
    this.#set = getCore().createReplaySet();
    // Rows left by an earlier instance need a sweep even if no claim comes.
    const next = this.#table.nextExpiry();
    if (next !== null) this.#schedule(next);
  }

  /**
   * The first claim of `id`: { state: "first" }; else the state of the earlier claim:
   * "running", "done" with its stored answer, or { state: "lapsed" } when that claim's
   * lease had passed and `lapsedAnswer` was stored for it now. The id is held until
   * `expiresAt + skewMs` (or `holdUntil`) on this object's clock at least, and until
   * `keepUntil`; a claim whose hold has already passed on this clock is refused (throws).
   * @param {string} id
   * @param {number} expiresAt
   * @param {{ leaseMs?: number, keepUntil?: number, lapsedAnswer?: object, skewMs?: number, holdUntil?: number }} [options]
   */
  begin(id, expiresAt, options) {
    checkClaim(id, expiresAt);
    const opts = beginOptions(expiresAt, options, options?.skewMs ?? this.constructor.skewMs);
    const claimed = [];
    const alarmAt = this.#alarmAt;
    try {
      return this.ctx.storage.transactionSync(() => this.#begin(id, expiresAt, opts, Date.now(), claimed, undefined));
    } catch (error) {
      for (const claimedId of claimed) this.#set.release(claimedId);
      this.#alarmAt = alarmAt;
      throw error;
    }
  }

  // Memory first: an id this instance has not seen is new unless a row from before a
  // restart holds it. The sweep alarm is set first, then the row is written by one
  // statement, and the memory claim is undone by the caller if the transaction fails.
  #begin(id, expiresAt, { hold, keepUntil, leaseMs, lapsedAnswer, answerTtlMs, rate }, now, claimed, budget) {
    if (hold < now) {
      const state = this.#table.state(id, now, undefined, budget);
      if (state !== SEEN) return state;
      throw new Error(
        `ReplayGuardDurableObject: not claimed: the id's expiresAt + skewMs (${hold}) has passed on the object's clock (${now}); ` +
          "the Worker's clock is more than skewMs behind the object's",
      );
    }
    if (this.#set.claim(id, hold, now)) {
      claimed.push(id);
      this.#schedule(keepUntil);
      if (this.#table.insert(id, expiresAt, keepUntil, leaseMs === undefined ? null : now + leaseMs, now)) {
        if (!rate) return FIRST;
        // Counted in the same transaction; over the limit the row goes and the id is not claimed.
        const state = this.#table.counted(id, rate, now);
        if (state === FIRST) this.#schedule(now + rate.perMs);
        else this.#set.release(id);
        return state;
      }
    }
    // A lapsed answer is kept as a stored answer is: answerTtlMs from now, on this clock.
    return this.#table.state(id, now, { lapsedAnswer, keepUntil: Math.max(keepUntil, now + (answerTtlMs ?? 0)) }, budget);
  }

  /**
   * Counts a first claim made in another shard's object in this object's window of
   * rate.key (the shard the key hashes to): { counted: true }, or { retryAfterMs } over
   * the limit (nothing written). An id counts once per window.
   * @param {string} id
   * @param {{ key: string, requests: number, perMs: number }} rate
   */
  limit(id, rate) {
    checkClaim(id);
    checkRate(rate, "limit");
    return this.ctx.storage.transactionSync(() => this.#limit(id, rate, Date.now()));
  }

  #limit(id, rate, now) {
    const wait = this.#table.take(rate.key, id, rate.requests, rate.perMs, now);
    if (wait > 0) return { retryAfterMs: wait };
    this.#schedule(now + rate.perMs);
    return { counted: true };
  }

  /** True for the first claim of an id only (the first interface). */
  claim(id, expiresAt) {
    return this.begin(id, expiresAt)?.state === "first";
  }

  /** Stores the answer of a claimed id (null: done, not stored), kept until keepUntil at least; overwrites a lapsed answer. */
  complete(id, answer, _expiresAt, options) {
    checkClaim(id);
    return this.ctx.storage.transactionSync(() => this.#table.complete(id, answer, keepOption(options, Date.now())));
  }

  /** Extends the lease of a running claim to now + leaseMs; false when the id is not running. */
  renew(id, leaseMs) {
    checkClaim(id);
    checkLease(leaseMs);
    return this.#table.renew(id, Date.now() + leaseMs);
  }

  /** The state of an id without claiming it: done with its answer, running, or seen (none held). */
  lookup(id) {
    checkClaim(id);
    return this.#table.state(id, Date.now());
  }

  /**
   * Forgets a claim whose handler never started (handle() calls it for a claim
   * that landed after it had answered 503), so the same body can be retried.
   * @param {string} id
   * @returns {boolean} true when the id was claimed
   */
  release(id) {
    checkClaim(id);
    const inMemory = this.#set.release(id);
    return this.ctx.storage.transactionSync(() => this.#table.release(id)) || inMemory;
  }

  /**
   * Several operations in one call, applied in order in one synchronous turn and one
   * SQLite transaction: `{ op: "begin", id, expiresAt, holdUntil?, keepUntil?, leaseMs?,
   * lapsedAnswer? }`, `{ op: "complete", id, answer, keepUntil? }`, `{ op: "renew", id,
   * leaseMs }`, `{ op: "lookup", id }`, `{ op: "release", id }` or `{ op: "limit", id, rate }`
   * (a begin may carry `rate: { key, requests, perMs }` too), at most 128. Answers
   * one result per operation, in order: what the single call would have answered, or
   * `{ error }` for an operation refused by the checks (the others still run). Stored
   * answers given back are bounded to 8 MiB per call: past it, a begin or lookup that
   * finds a large answer answers `{ state: "done", deferred: true }` (its caller asks
   * again alone). A storage failure rolls every operation back and throws, as the
   * single call would.
   * @param {Array<object>} ops
   */
  batch(ops) {
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_BATCH) {
      throw new TypeError(`batch: an array of 1 to ${MAX_BATCH} operations is required`);
    }
    const now = Date.now();
    const claimed = []; // ids this call claimed in memory: undone if the transaction fails
    const alarmAt = this.#alarmAt;
    const budget = { bytes: MAX_REPLY_BYTES, given: 0 };
    try {
      return this.ctx.storage.transactionSync(() => ops.map((op) => this.#apply(op, now, claimed, budget)));
    } catch (error) {
      for (const id of claimed) this.#set.release(id);
      this.#alarmAt = alarmAt; // the alarm set inside the transaction was rolled back with it
      throw error;
    }
  }

  #apply(op, now, claimed, budget) {
    const kind = op?.op;
    let options;
    try {
      if (kind === "begin") {
        if (typeof op.expiresAt !== "number") throw new TypeError("claim: expiresAt must be a finite number of ms");
        checkClaim(op.id, op.expiresAt);
        options = beginOptions(op.expiresAt, op, op.skewMs ?? this.constructor.skewMs);
      } else if (kind === "complete" || kind === "release" || kind === "lookup") {
        checkClaim(op.id);
        if (kind === "complete") keepOption(op, now);
      } else if (kind === "renew") {
        checkClaim(op.id);
        checkLease(op.leaseMs);
      } else if (kind === "limit") {
        checkClaim(op.id);
        checkRate(op.rate, "limit");
      } else {
        throw new TypeError('batch: each operation is { op: "begin" | "complete" | "renew" | "lookup" | "release" | "limit", id, … }');
      }
    } catch (error) {
      return { error: error.message };
    }
    const { id } = op;
    if (kind === "complete") return this.#table.complete(id, op.answer, keepOption(op, now));
    if (kind === "renew") return this.#table.renew(id, now + op.leaseMs);
    if (kind === "limit") return this.#limit(id, op.rate, now);
    if (kind === "lookup") return this.#table.state(id, now, undefined, budget);
    if (kind === "release") {
      const inMemory = this.#set.release(id);
      return this.#table.release(id) || inMemory;
    }
    try {
      return this.#begin(id, op.expiresAt, options, now, claimed, budget);
    } catch (error) {
      if (/^ReplayGuardDurableObject: not claimed/.test(error?.message)) return { error: error.message };
      throw error;
    }
  }

  /** What the object holds: ids live in memory, rows stored, rows due to be swept, lapsed rows, answer bytes and chunks, the next sweep. */
  stats() {
    const row = this.#table.counts(Date.now());
    return {
      inMemory: this.#set.count,
      memoryBytes: this.#set.bytes,
      stored: row.stored,
      expiredStored: row.expired,
      lapsed: row.lapsed,
      answerBytes: row.answerBytes,
      chunks: row.chunks,
      nextSweepAt: this.#alarmAt,
    };
  }

  /**
   * Deletes up to 500 rows past their keep_until (and their answers' chunks), then sets
   * the alarm for the next: at once while more are due, else after the next row's
   * keep_until. Idempotent: an alarm that runs twice deletes nothing more.
   */
  async alarm() {
    const now = Date.now();
    const swept = this.ctx.storage.transactionSync(() => this.#table.sweep(now, SWEEP_ROWS));
    this.#alarmAt = null;
    const next = this.#table.nextExpiry();
    if (next === null) return;
    if (swept === SWEEP_ROWS && next < now) {
      this.ctx.storage.setAlarm(now);
      this.#alarmAt = now;
    } else {
      this.#schedule(next);
    }
  }

  #schedule(until) {
    const at = Math.ceil(until) + 1 + this.constructor.sweepDelayMs;
    if (this.#alarmAt !== null && this.#alarmAt <= at) return; // an earlier sweep will set the next one
    // A storage write like the INSERT: the output gate holds the answer until it is durable.
    this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }
}
