// Exactly once on Node with PostgreSQL: the claim of a request id, the handler's own
// writes and its stored answer commit in one PostgreSQL transaction.
//
// postgresExactlyOnce(db) takes a node-postgres (pg) Pool, for any number of processes
// and machines sharing one server, or a PGlite instance (@electric-sql/pglite: one
// process, in memory or in a folder). store.run(id, { expiresAt, keepUntil }, work):
//
//   BEGIN ISOLATION LEVEL READ COMMITTED
//   SET LOCAL lock_timeout = lockTimeoutMs              (pg only; the claim's wait)
//   INSERT INTO t (id, ...) VALUES (...) ON CONFLICT (id) DO NOTHING RETURNING 1
//     - a row: the id is ours.  The session's lock_timeout is put back before the
//       handler's first query, then work(tx) runs its own queries through tx, then
//       UPDATE t SET answer = ... WHERE id = ..., COMMIT: { state: "first", answer }.
//     - no row: a committed row holds the id. ROLLBACK, { state: "done", answer }.
//     - lock_timeout (55P03): another transaction holds the id uncommitted for longer
//       than lockTimeoutMs. ROLLBACK, { state: "running" }.
//   work throws: ROLLBACK (the claim and the handler's writes go), the error rethrown.
//
// A second copy of an id inserts the same key: PostgreSQL makes it wait for the first
// copy's transaction, then answers it "done" (committed) or lets it claim (rolled back).
// A process killed before its COMMIT leaves nothing: the server aborts the transaction
// of a connection that closes, and the retry claims the id afresh. Copies of an id that
// this process is running already wait in this process (no connection held) for at
// most lockTimeoutMs too; with PGlite, which runs one transaction at a time, that is
// the only place they wait.
//
// Rows live until keep_until = max(keepUntil, expiresAt): an id is answered from its
// row, never run again, until the row is swept. Sweeps run from run() calls, one at a
// time per store, at most one per sweepEveryMs (10 s), each deleting at most
// sweepLimit (1,000) rows, oldest keep_until first; a sweep that deleted a full batch
// lets the next run() sweep again at once, so sweeping keeps up with any rate of new
// rows up to sweepLimit per sweep's duration.

// Rate limits (the route's `rateLimit`, run()'s `rate`): a sliding window log per key in
// the table <table>_rate (key, id, at, until), on the database's clock
// (clock_timestamp()), counted by one function call, <table>_rate_take(key, id,
// requests, perMs), in its own statement just before the claim's transaction: under a
// transaction-scoped advisory lock on the key, it answers 0 without counting for an id
// the claims table already holds (a duplicate answered from storage) or that the
// window already counted (a copy of a running request, a retry), deletes the key's rows
// that left the window, and then either counts the id (0) or answers the ms until the
// oldest leaves (the id is then not claimed: run() answers { state: "limited" }). Not
// in the claim's own transaction, on purpose: a count written there would be invisible
// to other transactions until the handler had run and committed, so a burst would pass
// the limit, or every request of a signer would have to wait for the one before it.
// Committed at once, it stays exact: each id counts once per window, whether its
// transaction then commits or rolls back. Bounds: one row per counted id (at most
// `requests` per key), swept with the claims once past `until` (at + perMs).

import { FIRST, RUNNING, SEEN, done } from "./claim.js";
import { checkRate, limited } from "../rpc/rate-limit.js";

const MAX_ID_LENGTH = 512;
const DAY_MS = 86_400_000;
/** An SQL identifier we create and quote ourselves: ASCII letters, digits, underscore; short enough for "<table>_keep_until". */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;
const LOCK_NOT_AVAILABLE = "55P03";
const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;
/** A claim that found a committed row which was swept before it could read it tries again, this many times. */
const CLAIM_TRIES = 3;

// db -> table -> Map(id -> promise settled when this process's run of the id ends):
// every store of one db and table in this process shares it.
const inflightByDb = new WeakMap();

function inflightOf(db, table) {
  let byTable = inflightByDb.get(db);
  if (byTable === undefined) inflightByDb.set(db, (byTable = new Map()));
  let inflight = byTable.get(table);
  if (inflight === undefined) byTable.set(table, (inflight = new Map()));
  return inflight;
}

/** "name" or "schema.name", each part checked, then quoted. */
function tableNames(table) {
  if (typeof table !== "string") throw new TypeError("postgresExactlyOnce: table must be a string");
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(
      `postgresExactlyOnce: table must be an SQL identifier (letters, digits, _; 1 to 50 characters), optionally schema-qualified, got ${JSON.stringify(table)}`,
    );
  }
  const quoted = parts.map((part) => `"${part}"`).join(".");
  const index = `"${parts[parts.length - 1]}_keep_until"`;
  // The index lives in its table's schema.
  const qualifiedIndex = parts.length === 2 ? `"${parts[0]}".${index}` : index;
  // The rate limits' table, its index and its function, beside it.
  const sibling = (suffix) => (parts.length === 2 ? `"${parts[0]}"."${parts[1]}${suffix}"` : `"${parts[0]}${suffix}"`);
  const rate = { table: sibling("_rate"), index: `"${parts[parts.length - 1]}_rate_until"`, take: sibling("_rate_take") };
  return { quoted, index, qualifiedIndex, rate, name: table };
}

function checkInteger(name, value, min, max) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`postgresExactlyOnce: ${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkId(id) {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH || id.includes("\u0000")) {
    throw new TypeError(`run: id must be a string of 1 to ${MAX_ID_LENGTH} characters, without NUL`);
  }
}

/** { rows, rowCount } from a pg Result or a PGlite Results (affectedRows, 0 for a SELECT). */
const resultOf = (result) => {
  const rows = result?.rows ?? [];
  return { rows, rowCount: Math.max(result?.rowCount ?? result?.affectedRows ?? 0, rows.length) };
};

const decodeAnswer = (text) => (text === null || text === undefined ? null : JSON.parse(text));

/** Resolves true when promise settles within ms, false after ms. */
function settlesWithin(promise, ms) {
  let timer;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise((resolve) => (timer = setTimeout(resolve, ms, false))),
  ]).finally(() => clearTimeout(timer));
}

// ---- the two kinds of db: one transaction with a connection of its own ------------

/**
 * A node-postgres Pool. transaction(body, lockTimeoutMs): a client of the pool, BEGIN,
 * body(conn) -> { commit, value }, COMMIT or ROLLBACK; on any failure ROLLBACK and the
 * client given back with the error, so that pg destroys a broken connection.
 */
function pgDriver(pool) {
  return {
    kind: "pg",
    query: async (text, params) => resultOf(await pool.query(text, params)),
    async transaction(body, lockTimeoutMs) {
      const client = await pool.connect();
      // A checked-out client emits "error" when its connection fails between queries;
      // with no listener that would end the process. The next query fails anyway.
      let broken = null;
      const onError = (error) => {
        broken ??= error;
      };
      client.on("error", onError);
      let destroy = null;
      try {
        // One round trip: the transaction, the session's lock_timeout (put back before the
        // handler's first query) and the claim's own (an integer we checked, so inlined).
        const opened = await client.query(
          `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT current_setting('lock_timeout') AS previous; SET LOCAL lock_timeout = ${lockTimeoutMs}`,
        );
        const previous = opened[1].rows[0].previous;
        let restored = false;
        const conn = {
          query: async (text, params) => resultOf(await client.query(text, params)),
          async beforeWork() {
            if (!restored) {
              restored = true;
              await client.query("SELECT set_config('lock_timeout', $1, true)", [previous]);
            }
          },
        };
        const { commit, value } = await body(conn);
        await client.query(commit ? "COMMIT" : "ROLLBACK");
        return value;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          destroy = rollbackError;
        }
        throw error;
      } finally {
        client.off("error", onError);
        client.release(destroy ?? broken ?? undefined);
      }
    },
  };
}

/**
 * A PGlite instance: db.transaction() runs one transaction at a time (the only
 * connection), so no lock is ever waited for there and lock_timeout is not set.
 */
function pgliteDriver(db) {
  return {
    kind: "pglite",
    query: async (text, params) => resultOf(await db.query(text, params)),
    async transaction(body) {
      let value;
      await db.transaction(async (tx) => {
        await tx.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        const conn = {
          query: async (text, params) => resultOf(await tx.query(text, params)),
          beforeWork: async () => {},
        };
        const outcome = await body(conn);
        value = outcome.value;
        if (!outcome.commit) await tx.rollback();
      });
      return value;
    },
  };
}

function driverOf(db) {
  if (db && typeof db.transaction === "function" && typeof db.exec === "function" && typeof db.query === "function") return pgliteDriver(db);
  if (db && typeof db.connect === "function" && typeof db.query === "function" && "totalCount" in db) return pgDriver(db);
  throw new TypeError("postgresExactlyOnce(db): a node-postgres (pg) Pool or a PGlite instance is required (a single pg Client cannot hold concurrent transactions)");
}

/**
 * Exactly once on Node with PostgreSQL (see the top of this file).
 * @param {any} db a pg Pool or a PGlite instance; the caller keeps it (close() leaves it open)
 * @param {{ table?: string, lockTimeoutMs?: number, sweepEveryMs?: number, sweepLimit?: number,
 *   now?: () => number, onError?: (error: unknown) => void }} [options]
 */
export function postgresExactlyOnce(db, options = {}) {
  const driver = driverOf(db);
  const {
    table = "jazzrpc_requests",
    lockTimeoutMs = 5_000,
    sweepEveryMs = 10_000,
    sweepLimit = 1_000,
    now = Date.now,
    onError = (error) => console.warn(`jazzrpc: postgresExactlyOnce could not sweep ${table}: ${error?.message ?? error}`),
  } = options ?? {};
  const { quoted, index, qualifiedIndex, rate: rateNames } = tableNames(table);
  checkInteger("lockTimeoutMs", lockTimeoutMs, 1, MAX_LOCK_TIMEOUT_MS);
  checkInteger("sweepEveryMs", sweepEveryMs, 0, MAX_LOCK_TIMEOUT_MS);
  checkInteger("sweepLimit", sweepLimit, 1, 1_000_000);
  if (typeof now !== "function") throw new TypeError("postgresExactlyOnce: now must be a function");
  if (typeof onError !== "function") throw new TypeError("postgresExactlyOnce: onError must be a function");

  const inflight = inflightOf(db, quoted);
  const sql = {
    create: `CREATE TABLE IF NOT EXISTS ${quoted} (
      id text PRIMARY KEY,
      expires_at bigint NOT NULL,
      keep_until bigint NOT NULL,
      answer text
    )`,
    index: `CREATE INDEX IF NOT EXISTS ${index} ON ${quoted} (keep_until)`,
    claim: `INSERT INTO ${quoted} (id, expires_at, keep_until) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING 1`,
    read: `SELECT answer FROM ${quoted} WHERE id = $1`,
    complete: `UPDATE ${quoted} SET answer = $2 WHERE id = $1`,
    sweep: `DELETE FROM ${quoted} WHERE id IN (SELECT id FROM ${quoted} WHERE keep_until < $1 ORDER BY keep_until LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    rateCreate: `CREATE TABLE IF NOT EXISTS ${rateNames.table} (
      key text NOT NULL,
      id text NOT NULL,
      at float8 NOT NULL,
      until float8 NOT NULL,
      PRIMARY KEY (key, id)
    )`,
    rateIndex: `CREATE INDEX IF NOT EXISTS ${rateNames.index} ON ${rateNames.table} (until)`,
    rateFunction: `CREATE OR REPLACE FUNCTION ${rateNames.take}(p_key text, p_id text, p_requests integer, p_per float8) RETURNS float8
      LANGUAGE plpgsql AS $jazzrpc$
      DECLARE
        t float8;
        n integer;
        oldest float8;
      BEGIN
        IF EXISTS (SELECT 1 FROM ${quoted} WHERE id = p_id) THEN RETURN 0; END IF;
        PERFORM pg_advisory_xact_lock(hashtext('jazzrpc rate ${table}'), hashtext(p_key));
        t := floor(extract(epoch FROM clock_timestamp()) * 1000);
        DELETE FROM ${rateNames.table} WHERE key = p_key AND at <= t - p_per;
        IF EXISTS (SELECT 1 FROM ${rateNames.table} WHERE key = p_key AND id = p_id) THEN RETURN 0; END IF;
        SELECT count(*), min(at) INTO n, oldest FROM ${rateNames.table} WHERE key = p_key;
        IF n >= p_requests THEN RETURN oldest + p_per - t; END IF;
        INSERT INTO ${rateNames.table} (key, id, at, until) VALUES (p_key, p_id, t, t + p_per);
        RETURN 0;
      END
      $jazzrpc$`,
    rateTake: `SELECT ${rateNames.take}($1, $2, $3, $4) AS wait`,
    rateSweep: `DELETE FROM ${rateNames.table} WHERE (key, id) IN (SELECT key, id FROM ${rateNames.table}
      WHERE until < floor(extract(epoch FROM clock_timestamp()) * 1000) ORDER BY until LIMIT $1 FOR UPDATE SKIP LOCKED)`,
    stats: `SELECT count(*)::float8 AS stored, count(*) FILTER (WHERE keep_until < $1)::float8 AS expired,
      COALESCE(sum(octet_length(answer)), 0)::float8 AS "answerBytes" FROM ${quoted}`,
  };

  let readyPromise = null;
  let closed = false;
  let sweptAt = -Infinity;
  let sweeping = null;
  const running = new Set(); // this store's runs in progress, for close()

  function ready() {
    readyPromise ??= create().catch((error) => {
      readyPromise = null; // a failure is not kept: the next call tries again
      throw error;
    });
    return readyPromise;
  }

  async function create() {
    // Only what is missing: CREATE INDEX IF NOT EXISTS takes a lock on the table that
    // waits for every open transaction on it (another process's runs) even when the
    // index exists.
    const exists = async () =>
      (
        await driver.query(
          "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AND to_regprocedure($4) IS NOT NULL AS ok",
          [quoted, qualifiedIndex, rateNames.table, `${rateNames.take}(text,text,integer,double precision)`],
        )
      ).rows[0].ok === true;
    if (await exists()) return;
    const all = [sql.create, sql.index, sql.rateCreate, sql.rateIndex, sql.rateFunction];
    if (driver.kind === "pglite") {
      for (const statement of all) await driver.query(statement);
      return;
    }
    // Processes starting together: one creates, the others wait for it (CREATE ... IF NOT
    // EXISTS alone can fail on the catalog's unique index when two run at once).
    await driver.transaction(async (conn) => {
      await conn.query("SELECT pg_advisory_xact_lock(hashtext('jazzrpc: create tables'))");
      for (const statement of all) await conn.query(statement);
      return { commit: true };
    }, Math.max(lockTimeoutMs, 60_000));
  }

  /** Deletes at most sweepLimit rows whose keep_until has passed; resolves to how many. */
  async function sweep() {
    await ready();
    const { rowCount } = await driver.query(sql.sweep, [Math.floor(now()), sweepLimit]);
    await driver.query(sql.rateSweep, [sweepLimit]);
    return rowCount;
  }

  function maybeSweep(t) {
    if (sweeping !== null || t - sweptAt < sweepEveryMs) return;
    sweptAt = t;
    sweeping = sweep()
      .then((deleted) => {
        if (deleted >= sweepLimit) sweptAt = -Infinity; // more to do: the next run() sweeps again
      })
      .catch((error) => {
        try {
          onError(error);
        } catch {
          // the caller's reporter failed: nothing more to do
        }
      })
      .finally(() => {
        sweeping = null;
      });
  }

  async function lookup(id) {
    const { rows } = await driver.query(sql.read, [id]);
    return rows.length === 0 ? SEEN : done(decodeAnswer(rows[0].answer));
  }

  async function claimAndRun(id, expiresAt, keepUntil, work, storedAs, waitMs) {
    for (let tries = 1; ; tries++) {
      const outcome = await driver.transaction(async (conn) => {
        let claimed;
        try {
          claimed = await conn.query(sql.claim, [id, expiresAt, keepUntil]);
        } catch (error) {
          if (error?.code === LOCK_NOT_AVAILABLE) return { commit: false, value: RUNNING };
          throw error;
        }
        if (claimed.rowCount === 0) {
          const { rows } = await conn.query(sql.read, [id]);
          return { commit: false, value: rows.length === 0 ? null : done(decodeAnswer(rows[0].answer)) };
        }
        await conn.beforeWork();
        let ended = false;
        const tx = Object.freeze({
          query: (text, params) => {
            if (ended) return Promise.reject(new Error("postgresExactlyOnce: tx.query after the transaction ended"));
            return conn.query(text, params);
          },
        });
        try {
          const answer = await work(tx);
          const stored = storedAs === undefined ? answer : storedAs(answer);
          await conn.query(sql.complete, [id, JSON.stringify(stored ?? null)]);
          return { commit: true, value: Object.freeze({ state: "first", answer }) };
        } finally {
          ended = true;
        }
      }, waitMs);
      if (outcome !== null) return outcome;
      // The row that held the id was swept between the claim and the read: claim again.
      if (tries >= CLAIM_TRIES) throw new Error(`postgresExactlyOnce: the row of ${id} kept vanishing between the claim and its read`);
    }
  }

  /**
   * Runs work(tx) once for id, in one transaction with the claim and the stored answer.
   * @returns {Promise<{ state: "first", answer: any } | { state: "done", answer: any } | { state: "running" } | { state: "seen" } | { state: "limited", retryAfterMs: number }>}
   */
  async function run(id, claim, work) {
    if (closed) throw new Error("postgresExactlyOnce: the store is closed");
    checkId(id);
    const { expiresAt, keepUntil, storedAs } = claim ?? {};
    const rate = checkRate(claim?.rate, "postgresExactlyOnce");
    if (!Number.isFinite(expiresAt)) throw new TypeError("run: expiresAt must be a finite number of ms since the epoch");
    if (keepUntil !== undefined && !Number.isFinite(keepUntil)) throw new TypeError("run: keepUntil must be a finite number of ms since the epoch");
    if (storedAs !== undefined && typeof storedAs !== "function") throw new TypeError("run: storedAs must be a function");
    if (typeof work !== "function") throw new TypeError("run: work must be a function");
    const t = now();
    // Past its window: an id is answered from its row, never run.
    if (expiresAt < t) {
      await ready();
      maybeSweep(t);
      return lookup(id);
    }

    // Copies of an id this process runs wait here first, before touching the db (with
    // PGlite, any query waits for the transaction in progress to end).
    const started = Date.now();
    for (let other = inflight.get(id); other !== undefined; other = inflight.get(id)) {
      const left = lockTimeoutMs - (Date.now() - started);
      if (left <= 0 || !(await settlesWithin(other, left))) return RUNNING;
    }
    let settle;
    const mine = new Promise((resolve) => (settle = resolve));
    inflight.set(id, mine);
    running.add(mine);
    try {
      await ready();
      maybeSweep(t);
      if (rate !== null) {
        // Counted (or refused, unclaimed) just before the claim: see the top of this file.
        const { rows } = await driver.query(sql.rateTake, [rate.key, id, rate.requests, rate.perMs]);
        const wait = Number(rows[0].wait);
        if (wait > 0) return limited(wait);
      }
      const waitMs = Math.max(1, lockTimeoutMs - (Date.now() - started));
      const until = Math.ceil(Math.max(expiresAt, keepUntil ?? t + DAY_MS));
      return await claimAndRun(id, Math.ceil(expiresAt), until, work, storedAs, waitMs);
    } finally {
      if (inflight.get(id) === mine) inflight.delete(id);
      running.delete(mine);
      settle();
    }
  }

  /** What the table holds: rows, rows past keep_until not yet swept, bytes of stored answers. */
  async function stats() {
    await ready();
    const { rows } = await driver.query(sql.stats, [Math.floor(now())]);
    const { stored, expired, answerBytes } = rows[0];
    return { stored: Number(stored), expired: Number(expired), answerBytes: Number(answerBytes) };
  }

  /** Refuses new runs and waits for this store's runs and sweep in progress; the db stays open. */
  async function close() {
    closed = true;
    await Promise.all([...running, sweeping]);
  }

  return Object.freeze({ kind: "async", rateLimits: true, table, lockTimeoutMs, sweepEveryMs, sweepLimit, ready, run, sweep, stats, close });
}
