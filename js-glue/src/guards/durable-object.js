// The authoritative record of request ids on Cloudflare: Durable Objects.
//
// Each ReplayGuardDurableObject is the one authority for the ids that hash to it. A
// claim is one RPC call and runs without an await, so no other event of the object
// interleaves with it: the in-memory replay set (the wasm core's) tells a new id at
// once; a first claim is written to the object's SQLite storage in the same turn,
// and the runtime's output gate holds the answer until the write is durable. An
// object restarted or evicted inside the window therefore still knows every id it
// accepted, with its state and stored answer. An alarm deletes the rows whose time
// has passed.
//
// exactlyOnce(ctx) keeps the same rows in the SQLite of the object that owns the
// handler's state (an event's object), so that handle() commits the claim, the
// handler's writes and the answer in one transaction.

import { DurableObject } from "cloudflare:workers";
import { getCore } from "../core/wasm.js";
import { FIRST, SEEN, decodeState, encodeState } from "./claim.js";

const TABLE = "jazzrpc_claimed";
const MAX_ID_LENGTH = 512;
const MAX_SHARDS = 4096;
const encoder = new TextEncoder();

function checkClaim(id, expiresAt) {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new TypeError(`claim: id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (expiresAt !== undefined && !Number.isFinite(expiresAt)) throw new TypeError("claim: expiresAt must be a finite number of ms");
}

/**
 * The rows of request ids in one object's SQLite: (id, expires_at, state, answer).
 * Synchronous, so that callers can keep them inside one turn or one transaction.
 */
class ClaimTable {
  #sql;
  constructor(sql) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID`);
    // The state and answer columns came with stored answers; older tables get them here.
    const columns = new Set(sql.exec(`PRAGMA table_info(${TABLE})`).toArray().map((c) => c.name));
    for (const column of ["state", "answer"]) if (!columns.has(column)) sql.exec(`ALTER TABLE ${TABLE} ADD COLUMN ${column} TEXT`);
  }
  /** Writes a first claim; false when a live row holds the id. Same rule as the core: live while expires_at >= now. */
  insert(id, expiresAt, now) {
    const cursor = this.#sql.exec(
      `INSERT INTO ${TABLE} (id, expires_at, state, answer) VALUES (?, ?, 'running', NULL)
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, state = 'running', answer = NULL WHERE ${TABLE}.expires_at < ?`,
      id,
      expiresAt,
      now,
    );
    return cursor.rowsWritten > 0;
  }
  /** The state of a live id, or SEEN when it has none (gone, or a row of an older version). */
  state(id, now) {
    const rows = this.#sql.exec(`SELECT state, answer FROM ${TABLE} WHERE id = ? AND expires_at >= ?`, id, now).toArray();
    if (rows.length === 0) return SEEN;
    const { state, answer } = rows[0];
    return state === "done" ? decodeState(`{"state":"done","answer":${answer ?? "null"}}`) : decodeState(encodeState(state));
  }
  /** First claim, or the state of the earlier one. */
  begin(id, expiresAt, now) {
    return this.insert(id, expiresAt, now) ? FIRST : this.state(id, now);
  }
  complete(id, answer) {
    return this.#sql.exec(`UPDATE ${TABLE} SET state = 'done', answer = ? WHERE id = ?`, JSON.stringify(answer ?? null), id).rowsWritten > 0;
  }
  release(id) {
    return this.#sql.exec(`DELETE FROM ${TABLE} WHERE id = ?`, id).rowsWritten > 0;
  }
  sweep(now) {
    this.#sql.exec(`DELETE FROM ${TABLE} WHERE expires_at < ?`, now);
  }
  nextExpiry() {
    return this.#sql.exec(`SELECT MIN(expires_at) AS next FROM ${TABLE}`).one().next;
  }
  counts(now) {
    return this.#sql
      .exec(`SELECT COUNT(*) AS stored, COALESCE(SUM(expires_at < ?), 0) AS expired, COALESCE(SUM(LENGTH(answer)), 0) AS answerBytes FROM ${TABLE}`, now)
      .one();
  }
}

export class ReplayGuardDurableObject extends DurableObject {
  /**
   * How long after an id's expiry the alarm may run. Each sweep deletes every row
   * that has expired, so under steady traffic there is about one alarm per
   * sweepDelayMs per object. Override it in a subclass.
   */
  static sweepDelayMs = 5_000;

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
   * The first claim of `id` while it is live (until `expiresAt`, in ms since the
   * epoch): { state: "first" }; else the state of the earlier claim: "running", or
   * "done" with its stored answer. An expired id is { state: "seen" }.
   * @param {string} id
   * @param {number} expiresAt
   */
  begin(id, expiresAt) {
    checkClaim(id, expiresAt);
    const now = Date.now();
    // Memory first: an id this instance has not seen is new unless a row from
    // before a restart holds it.
    if (this.#set.claim(id, expiresAt, now)) {
      // One step that happens whole or not at all: the sweep alarm is set first,
      // then the row is written by one statement, and the memory claim is undone if
      // either throws, so a failed claim leaves the id unclaimed and the 503 that
      // follows can be retried (an alarm set for a row not written only sweeps early).
      try {
        this.#schedule(expiresAt);
        if (this.#table.insert(id, expiresAt, now)) return FIRST;
      } catch (error) {
        this.#set.release(id);
        throw error;
      }
    }
    return expiresAt < now ? SEEN : this.#table.state(id, now);
  }

  /** True for the first claim of an id only (the first interface). */
  claim(id, expiresAt) {
    return this.begin(id, expiresAt) === FIRST;
  }

  /** Stores the answer of a claimed id (null: done, not stored). */
  complete(id, answer) {
    checkClaim(id);
    return this.#table.complete(id, answer);
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
    return this.#table.release(id) || inMemory;
  }

  /** What the object holds: ids live in memory, rows stored, rows already expired, answer bytes, the next sweep. */
  stats() {
    const row = this.#table.counts(Date.now());
    return {
      inMemory: this.#set.count,
      memoryBytes: this.#set.bytes,
      stored: row.stored,
      expiredStored: row.expired,
      answerBytes: row.answerBytes,
      nextSweepAt: this.#alarmAt,
    };
  }

  /** Deletes the expired rows, then sets the alarm for the next one to expire. */
  async alarm() {
    this.#table.sweep(Date.now());
    this.#alarmAt = null;
    const next = this.#table.nextExpiry();
    if (next !== null) this.#schedule(next);
  }

  #schedule(expiresAt) {
    const at = Math.ceil(expiresAt) + 1 + this.constructor.sweepDelayMs;
    if (this.#alarmAt !== null && this.#alarmAt <= at) return; // an earlier sweep will set the next one
    // A storage write like the INSERT: the output gate holds the answer until it is durable.
    this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }
}

/**
 * Exactly once where the state lives: request ids kept in the SQLite of the Durable
 * Object that owns the handler's state (say, an event's object), for
 * `route.handle(request, worker, handler, { exactlyOnce })` run inside that object.
 * handle() then commits the claim, the handler's own storage writes and the stored
 * answer in one `transactionSync`: an object that fails before the commit leaves
 * nothing behind (the retry runs the handler cleanly), and one that fails after it
 * answers the retry from storage. The handler must be synchronous (no await between
 * the claim and the commit), as a Durable Object's storage methods allow. Expired
 * rows are swept as claims arrive, at most once per sweepEveryMs.
 * @param {{ storage: { sql: any, transactionSync: (fn: () => any) => any } }} ctx the object's state
 * @param {{ sweepEveryMs?: number, now?: () => number }} [options]
 */
export function exactlyOnce(ctx, options = {}) {
  if (typeof ctx?.storage?.transactionSync !== "function") {
    throw new TypeError("exactlyOnce(ctx): the DurableObjectState of a SQLite-backed Durable Object is required");
  }
  const { sweepEveryMs = 1_000, now = Date.now } = options;
  const table = new ClaimTable(ctx.storage.sql);
  let sweptAt = -Infinity;
  return Object.freeze({
    transaction: (fn) => ctx.storage.transactionSync(fn),
    begin(id, expiresAt) {
      checkClaim(id, expiresAt);
      const t = now();
      if (t - sweptAt >= sweepEveryMs) {
        table.sweep(t);
        sweptAt = t;
      }
      if (expiresAt < t) return SEEN;
      return table.begin(id, expiresAt, t);
    },
    complete: (id, answer) => table.complete(id, answer),
    release: (id) => table.release(id),
    stats: () => table.counts(now()),
  });
}

/** The shard of an id: BLAKE3 of its UTF-8, first 4 bytes as an unsigned integer, modulo shards. */
function shardOf(id, shards) {
  const digest = getCore().blake3(encoder.encode(id), 4);
  return (((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0) % shards;
}

/**
 * A replay guard over a ReplayGuardDurableObject namespace: `claim(id, expiresAt)`
 * is one RPC call to the object that owns the id. Ids are spread over `shards`
 * objects (named `${name}:0` … `${name}:${shards - 1}`) by a hash of the id.
 * Changing `shards` moves ids to other objects: an id claimed before the change
 * could be claimed once more during the window that follows it.
 * @param {DurableObjectNamespace} namespace the binding of a ReplayGuardDurableObject class
 * @param {{ shards?: number, name?: string }} [options]
 */
export function durableObjectReplayGuard(namespace, options = {}) {
  const { shards = 1, name = "jazzrpc-replay" } = options;
  if (!namespace || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new TypeError("durableObjectReplayGuard: a Durable Object namespace binding is required");
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new TypeError(`durableObjectReplayGuard: shards must be an integer from 1 to ${MAX_SHARDS}, got ${shards}`);
  }
  if (typeof name !== "string" || name.length === 0) throw new TypeError("durableObjectReplayGuard: name must be a non-empty string");
  // Stubs are made per call: a stub belongs to the request that made it.
  const stub = (shard) => namespace.get(namespace.idFromName(`${name}:${shard}`));
  return Object.freeze({
    shards,
    /** The shard that owns an id. */
    shardOf: (id) => shardOf(String(id), shards),
    /** The stub of one shard's object (for its stats()). */
    shard: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= shards) throw new RangeError(`no shard ${index} of ${shards}`);
      return stub(index);
    },
    begin: (id, expiresAt) => stub(shardOf(String(id), shards)).begin(id, expiresAt),
    claim: (id, expiresAt) => stub(shardOf(String(id), shards)).claim(id, expiresAt),
    complete: (id, answer) => stub(shardOf(String(id), shards)).complete(id, answer),
    release: (id) => stub(shardOf(String(id), shards)).release(id),
  });
}
