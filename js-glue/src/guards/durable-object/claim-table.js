// The claim table: the rows of request ids in one Durable Object's SQLite, shared by the
// replay-guard object (guard-object.js) and exactlyOnce(ctx) (exactly-once.js). A row is
// an id's claim, its lease while its handler runs, and its stored answer (long ones in
// chunks, answer-chunks.js); the states it answers are claim.js's, with LAPSED and
// DEFERRED below.

import { FIRST, RUNNING, SEEN, done } from "../claim.js";
import { limited } from "../../rpc/rate-limit.js";
import { CHUNKS, CHUNK_BYTES, createChunkTable, readChunks, writeChunks } from "./answer-chunks.js";

const TABLE = "jazzrpc_claimed";
/** The rate limits' windows: one row per id counted, (key, id, at, until = at + perMs). */
const RATE = "jazzrpc_rate";
/** Rows (and their chunks) one sweep deletes at most; the alarm runs again at once while more are due. */
export const SWEEP_ROWS = 500;

/** What begin() answers when it found a running claim whose lease had lapsed, and stored the lapsed answer for it. */
export const LAPSED = Object.freeze({ state: "lapsed" });

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
export class ClaimTable {
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
    createChunkTable(sql);
    sql.exec(`CREATE TABLE IF NOT EXISTS ${RATE} (key TEXT NOT NULL, id TEXT NOT NULL, at REAL NOT NULL, until REAL NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID`);
    sql.exec(`CREATE INDEX IF NOT EXISTS ${RATE}_until ON ${RATE} (until)`);
  }

  /**
   * Counts id in key's sliding window at now: 0 when counted (or counted already: an id
   * counts once per window), else the ms until the oldest time leaves the window (nothing
   * written). The rows that left the window are deleted first. Run it inside the
   * transaction of the claim it counts.
   */
  take(key, id, requests, perMs, now) {
    this.#sql.exec(`DELETE FROM ${RATE} WHERE key = ? AND at <= ?`, key, now - perMs);
    const row = this.#sql.exec(`SELECT COUNT(*) AS n, MIN(at) AS oldest, COALESCE(SUM(id = ?), 0) AS mine FROM ${RATE} WHERE key = ?`, id, key).one();
    if (row.mine > 0) return 0;
    if (row.n >= requests) return row.oldest + perMs - now;
    this.#sql.exec(`INSERT INTO ${RATE} (key, id, at, until) VALUES (?, ?, ?, ?)`, key, id, now, now + perMs);
    return 0;
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
    if (row.chunks > 0) return JSON.parse(readChunks(this.#sql, id, row.chunks));
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

  /**
   * First claim, or the state of the earlier one (exactlyOnce: no lease). With `rate`, a
   * first claim is counted in its window, or undone and answered LIMITED-style
   * ({ state: "limited", retryAfterMs }).
   */
  begin(id, expiresAt, keepUntil, now, rate) {
    if (!this.insert(id, expiresAt, keepUntil, null, now)) return this.state(id, now);
    return rate ? this.counted(id, rate, now) : FIRST;
  }

  /** A first claim of id, counted in rate's window; over the limit, the claim is deleted and { state: "limited" } answered. */
  counted(id, rate, now) {
    const wait = this.take(rate.key, id, rate.requests, rate.perMs, now);
    if (wait <= 0) return FIRST;
    this.release(id);
    return limited(wait);
  }

  /** Stores an answer for a held row, in its row or in chunks; several statements: run inside a transaction. */
  #store(id, answer, state, keepUntil) {
    const text = JSON.stringify(answer ?? null);
    const previous = this.#sql.exec(`SELECT chunks FROM ${TABLE} WHERE id = ?`, id).toArray()[0]?.chunks ?? 0;
    if (previous > 0) this.#sql.exec(`DELETE FROM ${CHUNKS} WHERE id = ?`, id);
    const { inline, chunks } = writeChunks(this.#sql, id, text);
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
    const swept = this.#sql.exec(`DELETE FROM ${TABLE} WHERE id IN (${due})`, now, limit).rowsWritten;
    // The windows' rows whose time has passed (a key's own rows also go at its next count).
    const rates = this.#sql.exec(`DELETE FROM ${RATE} WHERE (key, id) IN (SELECT key, id FROM ${RATE} WHERE until < ? ORDER BY until LIMIT ?)`, now, limit);
    return Math.max(swept, rates.rowsWritten);
  }

  /** When the next row is due to be swept (its keep_until, or a window row's until), or null. */
  nextExpiry() {
    return this.#sql.exec(`SELECT MIN(next) AS next FROM (SELECT MIN(keep_until) AS next FROM ${TABLE} UNION ALL SELECT MIN(until) FROM ${RATE})`).one().next;
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
export const DEFERRED = Object.freeze({ state: "done", deferred: true });
