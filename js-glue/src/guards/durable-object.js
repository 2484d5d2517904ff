// The authoritative record of request ids on Cloudflare: Durable Objects.
//
// Each ReplayGuardDurableObject is the one authority for the ids that hash to it. A
// claim runs without an await, so no other event of the object interleaves with it:
// the in-memory replay set (the wasm core's) tells a new id at once; a first claim is
// written to the object's SQLite storage in the same turn, and the runtime's output
// gate holds the answer until the write is durable. An object restarted or evicted
// therefore still knows every id it accepted, with its state and stored answer.
//
// An id's life in the object (issue 15), all on the object's own clock:
//  - held from its claim until expiresAt + skewMs at least (issue 17.2: a Worker whose
//    clock is up to skewMs behind the object's still finds it), and until keepUntil
//    (the route's answerTtlMs, 24 h by default) once its answer is stored;
//  - a claim made with leaseMs holds a lease, extended by renew() while its handler
//    runs; a copy that finds the lease lapsed (the isolate that ran it died) turns the
//    row into the lapsed answer the route gave (500 ERR_OUTCOME_UNKNOWN) and gets
//    { state: "lapsed" }; later copies get that answer; a complete() that comes after
//    all (the first copy was only slow) overwrites it with the real answer;
//  - lookup() tells its state without claiming (a body whose window has passed);
//  - answers longer than 64 KiB (as JSON, UTF-8) are split over chunk rows of 64 KiB,
//    written and read in the same transaction as their row (Durable Objects allow
//    2 MB per row and 100 KB per SQL statement);
//  - the alarm deletes rows past their time with their chunks, at most 500 per run,
//    again at once while more are due; it is idempotent (an alarm delivered twice
//    deletes nothing more).
//
// The Worker side, durableObjectReplayGuard(), keeps two things per isolate (module
// state, shared by every request the isolate serves):
//
//  - Coalesced calls. Claims, completes, renewals, lookups and releases bound for one shard's object are
//    queued, and the queue goes to the object as one RPC, batch(ops), which runs them
//    in order in one synchronous turn and one SQLite transaction and answers one
//    result per operation: each caller gets what the same call alone would have got
//    (an id twice in one batch: the first is "first", the second a duplicate). The
//    operations of one turn go together; while a shard has MAX_BATCHES_IN_FLIGHT
//    batches out, the next ones wait and leave together, at most MAX_BATCH per RPC and
//    about MAX_BATCH_BYTES of answers (the object bounds the answers it gives back in
//    one reply the same way; a large one left out is asked for alone). A
//    batch that throws (storage failure: the object rolls all of it back) fails each
//    of its callers, as a single call would (handle() answers 503 and the same body
//    can be retried). A batch is sent from the request of one of its callers (a stub
//    belongs to the request that made it), kept alive with waitUntil until it is
//    answered; each caller waits for its answer with its own timer. Carrying other
//    requests' calls needs workerd to run a promise's continuations in the request
//    that made it (handle_cross_request_promise_resolution, the default since
//    2024-10-14); without it, only the calls of one request's turn go together.
//  - The ids this isolate claimed (at most LOCAL_IDS, the oldest dropped first, each
//    forgotten at its expiresAt, or with its answer at its keepUntil; stored answers
//    held up to LOCAL_ANSWER_BYTES). A duplicate of an id this isolate is running
//    while its lease holds (renewed here as at the object) is answered "running" (409, or 400
//    with duplicates "reject", which never completes) and a duplicate of one it
//    completed gets the answer it stored itself, without a round trip. Anything else
//    goes to the object, which stays the authority: a miss costs a round trip, never
//    a wrong answer, and a release() or a failed complete() forgets the local entry.
//    Ids answered by the object as another's are not kept.
//
// exactlyOnce(ctx) keeps the same rows in the SQLite of the object that owns the
// handler's state (an event's object), so that handle() commits the claim, the
// handler's writes and the answer in one transaction: no leases there (nothing is
// ever left running), answers kept until keepUntil, lookup() as above.

import * as workers from "cloudflare:workers";
import { getCore } from "../core/wasm.js";
import { DEFAULT_SKEW_MS, FIRST, RUNNING, SEEN, done, holdUntil, skewOption } from "./claim.js";

const { DurableObject } = workers;
const TABLE = "jazzrpc_claimed";
const CHUNKS = "jazzrpc_answer_chunks";
const MAX_ID_LENGTH = 512;
const MAX_SHARDS = 4096;
/** Operations per batch RPC, at most. */
const MAX_BATCH = 128;
/** Estimated bytes of the answers one batch RPC carries to the object (at least one operation goes). */
const MAX_BATCH_BYTES = 8 << 20;
/** Bytes of stored answers one batch's results carry back; past it, a large answer is fetched by its caller alone. */
const MAX_REPLY_BYTES = 8 << 20;
/** Batch RPCs one isolate has out to one shard at a time; the operations that come meanwhile wait and leave together. */
const MAX_BATCHES_IN_FLIGHT = 2;
/** A batch RPC out longer than this no longer holds its place (one that is lost cannot stall the shard). */
const STALL_MS = 5_000;
/** A request sends the next batches for this long after its first, then hands over to a waiting caller's request. */
const CHAIN_MS = 2_000;
/** A waiting caller asked to send the next batch that has not done so after this is passed over. */
const LEAD_STALE_MS = 1_000;
/** A caller waits this long for its batch's answer at most, then fails as a call that timed out. */
const WAIT_MS = 60_000;
/** Ids one isolate remembers having claimed, and the bytes of the answers it keeps for them. */
const LOCAL_IDS = 10_000;
const LOCAL_ANSWER_BYTES = 4 << 20;
/**
 * A stored answer (its JSON, UTF-8) at most this long is kept in its id's row; a longer
 * one is split into rows of this size in CHUNKS, written and read in one transaction
 * (Durable Objects allow 2 MB per row and 100 KB per SQL statement).
 */
const CHUNK_BYTES = 64 * 1024;
/** Rows (and their chunks) one sweep deletes at most; the alarm runs again at once while more are due. */
const SWEEP_ROWS = 500;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What begin() answers when it found a running claim whose lease had lapsed, and stored the lapsed answer for it. */
export const LAPSED = Object.freeze({ state: "lapsed" });

function checkClaim(id, expiresAt) {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new TypeError(`claim: id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) throw new TypeError("claim: expiresAt must be a finite number of ms");
}

const isAnswer = (a) => a !== null && typeof a === "object" && Number.isInteger(a.status) && typeof a.body === "string";

/** begin()'s options checked: { hold, keepUntil, leaseMs, lapsedAnswer, answerTtlMs } with hold = expiresAt + skewMs. */
function beginOptions(expiresAt, options, skewMs) {
  const { leaseMs, keepUntil, lapsedAnswer, answerTtlMs } = options ?? {};
  const hold = options?.holdUntil ?? holdUntil(expiresAt, skewMs);
  if (!Number.isFinite(hold) || hold < expiresAt) throw new TypeError("claim: holdUntil must be a finite number of ms, at least expiresAt");
  if (keepUntil !== undefined && !Number.isFinite(keepUntil)) throw new TypeError("claim: keepUntil must be a finite number of ms");
  if (leaseMs !== undefined && !(Number.isFinite(leaseMs) && leaseMs > 0)) throw new TypeError("claim: leaseMs must be a positive number of ms");
  if (lapsedAnswer !== undefined && lapsedAnswer !== null && !isAnswer(lapsedAnswer)) throw new TypeError("claim: lapsedAnswer must be { status, headers, body }");
  checkTtl(answerTtlMs);
  return { hold, keepUntil: Math.max(hold, keepUntil ?? -Infinity), leaseMs, lapsedAnswer: lapsedAnswer ?? undefined, answerTtlMs };
}

/**
 * The rows of request ids in one object's SQLite: (id, expires_at, keep_until,
 * lease_until, state, answer, chunks), and the chunks of the answers too long for a
 * row. Synchronous, so that callers can keep them inside one turn or one transaction;
 * an operation of several statements (a chunked answer) must run inside one.
 *
 * An id is held while keep_until >= now: from its claim, keep_until is at least
 * expiresAt + skewMs (the object's own clock), and complete() may extend it to the
 * answer's keepUntil. A running row holds a lease until lease_until (null: none).
 */
class ClaimTable {
  #sql;
  constructor(sql) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID`);
    // Columns came with later versions; older tables get them here.
    const columns = new Set(sql.exec(`PRAGMA table_info(${TABLE})`).toArray().map((c) => c.name));
    for (const [column, type] of [["state", "TEXT"], ["answer", "TEXT"], ["keep_until", "REAL"], ["lease_until", "REAL"], ["chunks", "INTEGER NOT NULL DEFAULT 0"]]) {
      if (!columns.has(column)) sql.exec(`ALTER TABLE ${TABLE} ADD COLUMN ${column} ${type}`);
    }
    if (!columns.has("keep_until")) sql.exec(`UPDATE ${TABLE} SET keep_until = expires_at WHERE keep_until IS NULL`);
    sql.exec(`CREATE INDEX IF NOT EXISTS ${TABLE}_keep_until ON ${TABLE} (keep_until)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS ${CHUNKS} (id TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (id, n))`);
  }

  /** Writes a first claim; false when a row that is still held (keep_until >= now) has the id. */
  insert(id, expiresAt, keepUntil, leaseUntil, now) {
    const cursor = this.#sql.exec(
      `INSERT INTO ${TABLE} (id, expires_at, keep_until, lease_until, state, answer, chunks) VALUES (?, ?, ?, ?, 'running', NULL, 0)
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, keep_until = excluded.keep_until, lease_until = excluded.lease_until,
         state = 'running', answer = NULL, chunks = 0 WHERE ${TABLE}.keep_until < ?`,
      id,
      expiresAt,
      keepUntil,
      leaseUntil,
      now,
    );
    return cursor.rowsWritten > 0;
  }

  /** The held row of id: { state, leaseUntil, bytes, answer() }, or null. */
  #row(id, now) {
    const rows = this.#sql
      .exec(`SELECT state, answer, chunks, lease_until, COALESCE(LENGTH(answer), 0) AS bytes FROM ${TABLE} WHERE id = ? AND keep_until >= ?`, id, now)
      .toArray();
    return rows.length === 0 ? null : rows[0];
  }

  #answerOf(id, row) {
    if (row.chunks > 0) {
      const parts = this.#sql.exec(`SELECT data FROM ${CHUNKS} WHERE id = ? AND n < ? ORDER BY n`, id, row.chunks).toArray();
      if (parts.length !== row.chunks) throw new Error(`jazzrpc: the stored answer of ${id} lacks ${row.chunks - parts.length} of its ${row.chunks} chunks`);
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.data.byteLength, 0));
      let at = 0;
      for (const { data } of parts) {
        bytes.set(new Uint8Array(data), at);
        at += data.byteLength;
      }
      return JSON.parse(decoder.decode(bytes));
    }
    return row.answer === null ? null : JSON.parse(row.answer);
  }

  /** The bytes of a row's stored answer (chunks counted as 64 KiB each: an upper bound). */
  static bytesOf(row) {
    return row.chunks > 0 ? row.chunks * CHUNK_BYTES : row.bytes;
  }

  /**
   * The state of a held id, or SEEN when there is none. With `lapse` ({ now,
   * lapsedAnswer, keepUntil }), a running row whose lease has passed becomes done with
   * lapsedAnswer, and LAPSED is answered. With `budget` ({ bytes }), a stored answer
   * larger than what is left of it answers { state: "done", deferred: true }.
   */
  state(id, now, lapse, budget) {
    const row = this.#row(id, now);
    if (row === null) return SEEN;
    if (row.state === "running") {
      if (lapse?.lapsedAnswer !== undefined && row.lease_until !== null && row.lease_until < now) {
        this.#store(id, lapse.lapsedAnswer, "lapsed", lapse.keepUntil);
        return LAPSED;
      }
      return RUNNING;
    }
    if (row.state !== "done" && row.state !== "lapsed") return SEEN; // a row of an older version
    if (budget !== undefined) {
      const bytes = ClaimTable.bytesOf(row);
      if (bytes > budget.bytes && budget.given > 0) return DEFERRED;
      budget.bytes -= bytes;
      budget.given++;
    }
    return done(this.#answerOf(id, row));
  }

  /** First claim, or the state of the earlier one (exactlyOnce: no lease). */
  begin(id, expiresAt, keepUntil, now) {
    return this.insert(id, expiresAt, keepUntil, null, now) ? FIRST : this.state(id, now);
  }

  /** Stores an answer for a held row, in its row or in chunks; several statements: run inside a transaction. */
  #store(id, answer, state, keepUntil) {
    const text = JSON.stringify(answer ?? null);
    let inline = text;
    let chunks = 0;
    const previous = this.#sql.exec(`SELECT chunks FROM ${TABLE} WHERE id = ?`, id).toArray()[0]?.chunks ?? 0;
    if (previous > 0) this.#sql.exec(`DELETE FROM ${CHUNKS} WHERE id = ?`, id);
    if (text.length > CHUNK_BYTES / 3) {
      const bytes = encoder.encode(text);
      if (bytes.length > CHUNK_BYTES) {
        inline = null;
        for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
          this.#sql.exec(`INSERT OR REPLACE INTO ${CHUNKS} (id, n, data) VALUES (?, ?, ?)`, id, chunks++, bytes.slice(at, at + CHUNK_BYTES).buffer);
        }
      }
    }
    return (
      this.#sql.exec(
        `UPDATE ${TABLE} SET state = ?, answer = ?, chunks = ?, lease_until = NULL, keep_until = MAX(keep_until, ?) WHERE id = ?`,
        state,
        inline,
        chunks,
        keepUntil ?? -Infinity,
        id,
      ).rowsWritten > 0
    );
  }

  /** Stores the answer of an id (overwriting a lapsed one) and keeps it until keepUntil at least. */
  complete(id, answer, keepUntil) {
    return this.#store(id, answer, "done", keepUntil);
  }

  /** Extends the lease of a running row; false otherwise. */
  renew(id, leaseUntil) {
    return this.#sql.exec(`UPDATE ${TABLE} SET lease_until = MAX(COALESCE(lease_until, 0), ?) WHERE id = ? AND state = 'running'`, leaseUntil, id).rowsWritten > 0;
  }

  release(id) {
    this.#sql.exec(`DELETE FROM ${CHUNKS} WHERE id = ?`, id);
    return this.#sql.exec(`DELETE FROM ${TABLE} WHERE id = ?`, id).rowsWritten > 0;
  }

  /** Deletes at most `limit` rows past their keep_until, oldest first, with their chunks; answers how many. */
  sweep(now, limit = SWEEP_ROWS) {
    const due = `SELECT id FROM ${TABLE} WHERE keep_until < ? ORDER BY keep_until, id LIMIT ?`;
    this.#sql.exec(`DELETE FROM ${CHUNKS} WHERE id IN (${due})`, now, limit);
    return this.#sql.exec(`DELETE FROM ${TABLE} WHERE id IN (${due})`, now, limit).rowsWritten;
  }

  /** When the next row is due to be swept (its keep_until), or null. */
  nextExpiry() {
    return this.#sql.exec(`SELECT MIN(keep_until) AS next FROM ${TABLE}`).one().next;
  }

  counts(now) {
    const rows = this.#sql
      .exec(
        `SELECT COUNT(*) AS stored, COALESCE(SUM(keep_until < ?), 0) AS expired, COALESCE(SUM(state = 'lapsed'), 0) AS lapsed,
           COALESCE(SUM(LENGTH(answer)), 0) AS answerBytes FROM ${TABLE}`,
        now,
      )
      .one();
    const chunks = this.#sql.exec(`SELECT COUNT(*) AS chunks, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM ${CHUNKS}`).one();
    return { stored: rows.stored, expired: rows.expired, lapsed: rows.lapsed, answerBytes: rows.answerBytes + chunks.bytes, chunks: chunks.chunks };
  }
}

/** A done id whose stored answer did not fit in this batch's reply: its caller fetches it alone. */
const DEFERRED = Object.freeze({ state: "done", deferred: true });

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
  #begin(id, expiresAt, { hold, keepUntil, leaseMs, lapsedAnswer, answerTtlMs }, now, claimed, budget) {
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
      if (this.#table.insert(id, expiresAt, keepUntil, leaseMs === undefined ? null : now + leaseMs, now)) return FIRST;
    }
    // A lapsed answer is kept as a stored answer is: answerTtlMs from now, on this clock.
    return this.#table.state(id, now, { lapsedAnswer, keepUntil: Math.max(keepUntil, now + (answerTtlMs ?? 0)) }, budget);
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
   * leaseMs }`, `{ op: "lookup", id }` or `{ op: "release", id }`, at most 128. Answers
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
      } else {
        throw new TypeError('batch: each operation is { op: "begin" | "complete" | "renew" | "lookup" | "release", id, … }');
      }
    } catch (error) {
      return { error: error.message };
    }
    const { id } = op;
    if (kind === "complete") return this.#table.complete(id, op.answer, keepOption(op, now));
    if (kind === "renew") return this.#table.renew(id, now + op.leaseMs);
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

/** Until when complete() keeps an answer: the later of keepUntil and now + answerTtlMs (either may be absent). */
function keepOption(options, now) {
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

function checkLease(leaseMs) {
  if (!(Number.isFinite(leaseMs) && leaseMs > 0)) throw new TypeError("renew: leaseMs must be a positive number of ms");
}

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
      return table.begin(id, expiresAt, Math.max(hold, keepUntil ?? -Infinity), t);
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

/** The shard of an id: BLAKE3 of its UTF-8, first 4 bytes as an unsigned integer, modulo shards. */
function shardOf(id, shards) {
  const digest = getCore().blake3(encoder.encode(id), 4);
  return (((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0) % shards;
}

/**
 * A replay guard over a ReplayGuardDurableObject namespace. Ids are spread over
 * `shards` objects (named `${name}:0` … `${name}:${shards - 1}`) by a hash of the id;
 * each shard's object is the authority on its ids. Calls from one isolate to one shard
 * are coalesced into batch RPCs, and the isolate answers duplicates of the ids it
 * claimed itself without a round trip (see the top of this file). Changing `shards`
 * moves ids to other objects: an id claimed before the change could be claimed once
 * more during the window that follows it.
 *
 * Clocks: each id is held until its expiresAt + `skewMs` (default 10 s, the route's
 * default skew) on the object's own clock, and its answer until the keepUntil that
 * complete() gives; a claim whose expiresAt + skewMs has already passed on the object's
 * clock (this Worker's clock is more than skewMs behind it) is refused, and handle()
 * answers 503. begin() refuses an id whose expiresAt has passed on this Worker's clock
 * (`now`) without a round trip.
 * @param {DurableObjectNamespace} namespace the binding of a ReplayGuardDurableObject class
 * @param {{ shards?: number, name?: string, skewMs?: number, now?: () => number }} [options]
 */
export function durableObjectReplayGuard(namespace, options = {}) {
  const { shards = 1, name = "jazzrpc-replay", now = Date.now } = options;
  if (!namespace || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new TypeError("durableObjectReplayGuard: a Durable Object namespace binding is required");
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new TypeError(`durableObjectReplayGuard: shards must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
  }
  if (typeof name !== "string" || name.length === 0) throw new TypeError("durableObjectReplayGuard: name must be a non-empty string");
  if (typeof now !== "function") throw new TypeError("durableObjectReplayGuard: option 'now' must be a function returning ms since the epoch");
  const skewMs = skewOption("durableObjectReplayGuard", options.skewMs);
  const isolate = isolateGuard(namespace, name, shards);
  const begin = (id, expiresAt, opts) => isolate.begin(id, expiresAt, opts, skewMs, now);
  return Object.freeze({
    shards,
    skewMs,
    /** The shard that owns an id. */
    shardOf: (id) => shardOf(String(id), shards),
    /** The stub of one shard's object (for its stats()); made for the request that asks. */
    shard: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= shards) throw new RangeError(`no shard ${index} of ${shards}`);
      return namespace.get(namespace.idFromName(`${name}:${index}`));
    },
    begin,
    claim: async (id, expiresAt) => (await begin(id, expiresAt))?.state === "first",
    complete: (id, answer, expiresAt, opts) => isolate.complete(id, answer, opts, now),
    renew: (id, leaseMs) => isolate.renew(id, leaseMs, now),
    lookup: (id) => isolate.lookup(id, now),
    release: (id) => isolate.release(id),
  });
}

// ---- the Worker side, per isolate ------------------------------------------------------

// namespace -> `${shards}:${name}` -> IsolateGuard: what every request of this isolate shares.
const isolates = new WeakMap();

function isolateGuard(namespace, name, shards) {
  let byName = isolates.get(namespace);
  if (byName === undefined) isolates.set(namespace, (byName = new Map()));
  const key = `${shards}:${name}`;
  let guard = byName.get(key);
  if (guard === undefined) byName.set(key, (guard = new IsolateGuard(namespace, name, shards)));
  return guard;
}

/** One guard's lanes (one per shard) and the ids this isolate claimed through it. */
class IsolateGuard {
  #namespace;
  #name;
  #shards;
  #lanes = []; // made on first use
  #local = new LocalIds();

  constructor(namespace, name, shards) {
    this.#namespace = namespace;
    this.#name = name;
    this.#shards = shards;
  }

  #lane(id) {
    const index = this.#shards === 1 ? 0 : shardOf(String(id), this.#shards);
    return (this.#lanes[index] ??= new Lane(this.#namespace, `${this.#name}:${index}`));
  }

  async begin(id, expiresAt, options, skewMs, clock) {
    const now = clock();
    if (typeof expiresAt === "number" && expiresAt < now) return SEEN; // the route refused it already: this only ever refuses
    const known = this.#local.get(id, now);
    if (known !== undefined && (known.done || known.leaseUntil >= now)) return known.done ? done(known.answer) : RUNNING;
    const { leaseMs, keepUntil, lapsedAnswer, answerTtlMs } = options ?? {};
    const op = { op: "begin", id, expiresAt, holdUntil: typeof expiresAt === "number" ? holdUntil(expiresAt, skewMs) : expiresAt };
    if (leaseMs !== undefined) op.leaseMs = leaseMs;
    if (keepUntil !== undefined) op.keepUntil = keepUntil;
    if (lapsedAnswer !== undefined) op.lapsedAnswer = lapsedAnswer;
    if (answerTtlMs !== undefined) op.answerTtlMs = answerTtlMs;
    const result = await this.#deferred(id, await this.#lane(id).run(op));
    if (result?.state === "first") {
      const t = clock();
      this.#local.claimed(id, expiresAt, leaseMs === undefined ? Infinity : t + leaseMs, t);
    }
    return result;
  }

  // A stored answer that did not fit in its batch's reply: asked for alone, from this request.
  async #deferred(id, result) {
    if (result?.deferred !== true) return result;
    const index = this.#shards === 1 ? 0 : shardOf(String(id), this.#shards);
    const [state] = await this.#namespace.get(this.#namespace.idFromName(`${this.#name}:${index}`)).batch([{ op: "lookup", id }]);
    if (state?.error) throw new TypeError(state.error);
    return state;
  }

  async complete(id, answer, options, clock) {
    const op = { op: "complete", id, answer: answer ?? null };
    if (options?.keepUntil !== undefined) op.keepUntil = options.keepUntil;
    if (options?.answerTtlMs !== undefined) op.answerTtlMs = options.answerTtlMs;
    let stored;
    try {
      stored = await this.#lane(id).run(op);
    } catch (error) {
      this.#local.forget(id); // its state at the object is not known
      throw error;
    }
    if (stored === true) {
      const t = clock();
      const ttl = Number.isFinite(options?.answerTtlMs) ? t + options.answerTtlMs : -Infinity;
      this.#local.completed(id, answer ?? null, Math.max(options?.keepUntil ?? -Infinity, ttl), t);
    }
    else this.#local.forget(id);
    return stored;
  }

  /** Extends the lease of a claim this isolate runs (here and at the object). */
  renew(id, leaseMs, clock) {
    this.#local.renewed(id, clock() + leaseMs);
    return this.#lane(id).run({ op: "renew", id, leaseMs });
  }

  /** An id's state without claiming it: from this isolate when it completed the id, else from the object. */
  async lookup(id, clock) {
    const known = this.#local.get(id, clock());
    if (known?.done) return done(known.answer);
    return this.#deferred(id, await this.#lane(id).run({ op: "lookup", id }));
  }

  release(id) {
    this.#local.forget(id);
    return this.#lane(id).run({ op: "release", id });
  }
}

/** The operations at the head of a queue that go in one batch: at most MAX_BATCH, and MAX_BATCH_BYTES of answers (one at least). */
function takeBatch(queue) {
  let bytes = 0;
  let count = 0;
  while (count < queue.length && count < MAX_BATCH) {
    const op = queue[count].op;
    const size = 3 * ((op.answer?.body?.length ?? 0) + (op.lapsedAnswer?.body?.length ?? 0)) + 512;
    if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    count++;
  }
  return queue.splice(0, count);
}

/**
 * The calls of one isolate to one shard's object: queued, then sent as batch RPCs,
 * at most MAX_BATCHES_IN_FLIGHT at a time. Workers ties a stub, a timer and a
 * promise's continuations to the request that made them, so a batch is sent from a
 * request that is alive until it is answered: the caller that queued first into an
 * idle lane; when a batch comes back, the request that sent it sends the next one
 * (for CHAIN_MS, inside its waitUntil), then hands over to the newest caller waiting.
 * Every caller waits with a timer of its request's own, which also keeps that request
 * from being taken for hung while another request carries its call.
 */
class Lane {
  #namespace;
  #name;
  #objectId = null;
  #queue = []; // operations not sent yet, in the order they came
  #flights = new Set(); // batches out: { startedAt }
  #leading = null; // when a waiting caller was asked to send the next batch, or null
  #wait = null; // the wait of the operations queued in this turn
  #turn = null; // without calls across requests: the operations of this turn

  constructor(namespace, name) {
    this.#namespace = namespace;
    this.#name = name;
  }

  /** Queues one operation; resolves to its result, rejects as the batch that carried it failed. */
  run(op) {
    if (!acrossRequests()) return this.#runInThisRequest(op);
    let item;
    const answer = new Promise((resolve, reject) => {
      item = { op, resolve, reject, settled: false, wait: this.#waitOfThisTurn(), wake: null };
    });
    item.wait.pending++;
    item.wait.items.push(item);
    // Resolved from another request when this one is to send the next batch: the
    // continuation runs in this request (where a stub may be made), and arms again.
    const arm = () =>
      new Promise((resolve) => (item.wake = resolve)).then(() => {
        arm();
        this.#send();
      });
    arm();
    this.#queue.push(item);
    this.#pump();
    return answer;
  }

  // Where a promise settled from another request would run its continuations there
  // (no_handle_cross_request_promise_resolution, or a runtime without the flag): the
  // operations of one turn, one request's, go together, from that request.
  #runInThisRequest(op) {
    let turn = this.#turn;
    if (turn === null) {
      turn = this.#turn = [];
      queueMicrotask(() => {
        this.#turn = null;
        while (turn.length > 0) this.#call(takeBatch(turn));
      });
    }
    return new Promise((resolve, reject) => turn.push({ op, resolve, reject, settled: false, wait: null }));
  }

  // The callers' wait: one timer for the operations queued in one turn (one request's:
  // workerd caps a request's timers at 10,000), cleared when they are all answered.
  #waitOfThisTurn() {
    if (this.#wait !== null) return this.#wait;
    const wait = { pending: 0, timer: null, items: [] };
    wait.timer = setTimeout(() => {
      for (const item of wait.items) this.#giveUp(item);
      this.#pump();
    }, WAIT_MS);
    this.#wait = wait;
    queueMicrotask(() => {
      if (this.#wait === wait) this.#wait = null;
    });
    return wait;
  }

  // Whether a batch may leave now: something waits, no waiting caller is about to
  // send (or it was asked long ago), and a place is free.
  #mayLeave(now) {
    if (this.#queue.length === 0) return false;
    if (this.#leading !== null && now - this.#leading < LEAD_STALE_MS) return false;
    for (const flight of this.#flights) if (now - flight.startedAt >= STALL_MS) this.#flights.delete(flight);
    return this.#flights.size < MAX_BATCHES_IN_FLIGHT;
  }

  // From a caller's own request: a batch leaves after this turn, so that the
  // operations of the turn go together.
  #pump() {
    if (!this.#mayLeave(Date.now())) return;
    this.#leading = Date.now();
    queueMicrotask(() => this.#send());
  }

  // A batch came back, in the request that sent it: the next one leaves from there,
  // or from the newest waiting caller's request once this one has sent for CHAIN_MS.
  #next(chainStart) {
    const now = Date.now();
    if (!this.#mayLeave(now)) return undefined;
    if (now - chainStart < CHAIN_MS) return this.#send(chainStart);
    this.#leading = now;
    this.#queue.at(-1).wake();
    return undefined;
  }

  /** Sends the next batch from the current request; resolves once it is answered and delivered (never rejects). */
  #send(chainStart = Date.now()) {
    this.#leading = null;
    if (this.#queue.length === 0) return undefined;
    const flight = { startedAt: Date.now() };
    this.#flights.add(flight);
    const answered = this.#call(takeBatch(this.#queue)).finally(() => {
      this.#flights.delete(flight);
      return this.#next(chainStart);
    });
    keepAlive(answered);
    if (this.#mayLeave(Date.now())) this.#send(chainStart); // more than a batch's worth waiting: the next one alongside
    return answered;
  }

  /** One batch RPC from the current request, its results delivered to its callers; never rejects. */
  #call(batch) {
    let call;
    try {
      this.#objectId ??= this.#namespace.idFromName(this.#name);
      call = Promise.resolve(this.#namespace.get(this.#objectId).batch(batch.map((item) => item.op)));
    } catch (error) {
      call = Promise.reject(error);
    }
    return call
      .then((results) => {
        if (!Array.isArray(results) || results.length !== batch.length) throw new Error("the replay guard object answered a batch with the wrong number of results");
        return Promise.all(batch.map((item, i) => this.#deliver(item, results[i])));
      })
      .catch((error) => batch.forEach((item) => this.#settle(item, error, true)));
  }

  #deliver(item, result) {
    if (result !== null && typeof result === "object" && typeof result.error === "string") {
      return this.#settle(item, new TypeError(result.error), true);
    }
    if (!item.settled) return this.#settle(item, result, false);
    // The caller gave up (WAIT_MS) before this claim landed: release it, so that the
    // same body can be retried. Sent from here, inside this batch's waitUntil.
    if (item.op.op === "begin" && result?.state === "first") {
      return Promise.resolve()
        .then(() => this.#namespace.get(this.#objectId).batch([{ op: "release", id: item.op.id }]))
        .catch(() => {});
    }
    return undefined;
  }

  #settle(item, value, failed) {
    if (item.settled) return;
    item.settled = true;
    if (item.wait !== null && --item.wait.pending === 0) clearTimeout(item.wait.timer);
    if (failed) item.reject(value);
    else item.resolve(value);
  }

  // WAIT_MS passed: the caller fails as a call that timed out. Still queued, it is
  // taken out; already sent, a first claim that lands later is released (#deliver).
  #giveUp(item) {
    if (item.settled) return;
    const index = this.#queue.indexOf(item);
    if (index !== -1) this.#queue.splice(index, 1);
    this.#settle(item, new Error(`the replay guard object did not answer within ${WAIT_MS} ms`), true);
  }
}

/**
 * Whether a promise settled from another request runs its continuations in the
 * request that made it (workerd's handle_cross_request_promise_resolution, the default
 * since 2024-10-14): only then does one request carry the calls of others.
 */
let crossRequest;
const acrossRequests = () => (crossRequest ??= globalThis.Cloudflare?.compatibilityFlags?.handle_cross_request_promise_resolution === true);

/** Keeps the request that sent a batch alive until the batch is answered, where the runtime can. */
function keepAlive(promise) {
  try {
    workers.waitUntil?.(promise);
  } catch {
    // outside a request, or a runtime without it: the callers' own waits keep it alive
  }
}

/**
 * The ids this isolate claimed: running (with the lease it holds), or done with the
 * answer it stored, kept until the answer's keepUntil. Entries are dropped once past
 * their time (from the front, which is nearly in order), and past LOCAL_IDS ids or
 * LOCAL_ANSWER_BYTES of answers, the oldest go first.
 */
class LocalIds {
  #entries = new Map(); // id -> { until, leaseUntil, done, answer, bytes }, in claim order
  #answerBytes = 0;

  /** The live entry of id, or undefined. A running entry whose lease has passed is still returned: the caller asks the object. */
  get(id, now) {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (!(entry.until >= now)) {
      this.#delete(id, entry);
      return undefined;
    }
    return entry;
  }

  claimed(id, expiresAt, leaseUntil, now) {
    for (const [oldId, entry] of this.#entries) {
      if (entry.until >= now && this.#entries.size < LOCAL_IDS) break;
      this.#delete(oldId, entry);
    }
    this.forget(id);
    this.#entries.set(id, { until: expiresAt, leaseUntil, done: false, answer: null, bytes: 0 });
  }

  renewed(id, leaseUntil) {
    const entry = this.#entries.get(id);
    if (entry !== undefined && !entry.done) entry.leaseUntil = Math.max(entry.leaseUntil, leaseUntil);
  }

  /** Keeps the answer this isolate stored for an id it is running (until keepUntil); an answer too large to keep forgets the id. */
  completed(id, answer, keepUntil, now) {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.done) return;
    const bytes = answer === null ? 0 : 2 * String(answer.body ?? "").length + 256;
    if (bytes > LOCAL_ANSWER_BYTES / 16) {
      this.#delete(id, entry);
      return;
    }
    entry.done = true;
    entry.answer = answer === null ? null : { ...answer, headers: { ...answer.headers } }; // every field the route stored (a fingerprint too)
    entry.bytes = bytes;
    if (Number.isFinite(keepUntil)) entry.until = Math.max(entry.until, keepUntil);
    // Kept at the end, as the newest: the front stays nearly in order of time.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    this.#answerBytes += bytes;
    for (const [oldId, old] of this.#entries) {
      if (this.#answerBytes <= LOCAL_ANSWER_BYTES && (old.until >= now || old === entry)) break;
      this.#delete(oldId, old);
    }
  }

  forget(id) {
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.#delete(id, entry);
  }

  #delete(id, entry) {
    this.#answerBytes -= entry.bytes;
    this.#entries.delete(id);
  }
}
