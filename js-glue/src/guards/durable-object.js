// The authoritative set of claimed request ids on Cloudflare: a Durable Object.
//
// Each ReplayGuardDurableObject is the one authority for the ids that hash to it.
// A claim is one RPC call and runs without an await, so no other event of the
// object interleaves with it: the in-memory replay set (the wasm core's) answers
// replays at once; a first claim is written to the object's SQLite storage in
// the same turn, and the runtime's output gate holds the answer `true` until the
// write is durable. An object restarted or evicted inside the window therefore
// still refuses every id it accepted: its memory starts empty, and the SQLite
// row refuses the id again. An alarm deletes the rows whose time has passed.

import { DurableObject } from "cloudflare:workers";
import { getCore } from "../core/wasm.js";

const TABLE = "jazzrpc_claimed";
const MAX_ID_LENGTH = 512;
const MAX_SHARDS = 4096;
const encoder = new TextEncoder();

export class ReplayGuardDurableObject extends DurableObject {
  /**
   * How long after an id's expiry the alarm may run. Each sweep deletes every row
   * that has expired, so under steady traffic there is about one alarm per
   * sweepDelayMs per object. Override it in a subclass.
   */
  static sweepDelayMs = 5_000;

  #set;
  #sql;
  #alarmAt = null; // the alarm this instance has set, if any

  constructor(ctx, env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID`);
    this.#set = getCore().createReplaySet();
    // Rows left by an earlier instance need a sweep even if no claim comes.
    const { next } = this.#sql.exec(`SELECT MIN(expires_at) AS next FROM ${TABLE}`).one();
    if (next !== null) this.#schedule(next);
  }

  /**
   * True for the first claim of `id` while it is live (until `expiresAt`, in ms
   * since the epoch); false for a replay, or when expiresAt has already passed.
   * @param {string} id
   * @param {number} expiresAt
   * @returns {boolean} (a Promise<boolean> to the caller, through RPC)
   */
  claim(id, expiresAt) {
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new TypeError(`claim: id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    }
    if (!Number.isFinite(expiresAt)) throw new TypeError("claim: expiresAt must be a finite number of ms");
    const now = Date.now();
    // Memory first: a replay of an id this instance has seen costs no storage read.
    if (!this.#set.claim(id, expiresAt, now)) return false;
    // Storage decides, in one step that happens whole or not at all: the sweep
    // alarm is set first, then the row is written by one statement, and the
    // memory claim is undone if either throws, so a failed claim leaves the id
    // unclaimed and the 503 that follows can be retried (an alarm set for a row
    // that was not written only sweeps early). A live row (claimed before a
    // restart) refuses the id; an absent or expired one is (re)written. Same rule
    // as the core: live while expires_at >= now.
    try {
      this.#schedule(expiresAt);
      const cursor = this.#sql.exec(
        `INSERT INTO ${TABLE} (id, expires_at) VALUES (?, ?)
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE ${TABLE}.expires_at < ?`,
        id,
        expiresAt,
        now,
      );
      return cursor.rowsWritten > 0;
    } catch (error) {
      this.#set.release(id);
      throw error;
    }
  }

  /**
   * Forgets a claim whose handler never started (handle() calls it for a claim
   * that landed after it had answered 503), so the same body can be retried.
   * @param {string} id
   * @returns {boolean} true when the id was claimed
   */
  release(id) {
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new TypeError(`release: id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    }
    const inMemory = this.#set.release(id);
    const stored = this.#sql.exec(`DELETE FROM ${TABLE} WHERE id = ?`, id).rowsWritten > 0;
    return inMemory || stored;
  }

  /** What the object holds: ids live in memory, rows stored, rows already expired, the next sweep. */
  stats() {
    const now = Date.now();
    const row = this.#sql
      .exec(`SELECT COUNT(*) AS stored, COALESCE(SUM(expires_at < ?), 0) AS expired FROM ${TABLE}`, now)
      .one();
    return {
      inMemory: this.#set.count,
      memoryBytes: this.#set.bytes,
      stored: row.stored,
      expiredStored: row.expired,
      nextSweepAt: this.#alarmAt,
    };
  }

  /** Deletes the expired rows, then sets the alarm for the next one to expire. */
  async alarm() {
    const now = Date.now();
    this.#sql.exec(`DELETE FROM ${TABLE} WHERE expires_at < ?`, now);
    this.#alarmAt = null;
    const { next } = this.#sql.exec(`SELECT MIN(expires_at) AS next FROM ${TABLE}`).one();
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
    claim: (id, expiresAt) => stub(shardOf(String(id), shards)).claim(id, expiresAt),
    release: (id) => stub(shardOf(String(id), shards)).release(id),
  });
}
