// The authoritative record of request ids on Cloudflare: Durable Objects.
//
// Each ReplayGuardDurableObject is the one authority for the ids that hash to it. A
// claim runs without an await, so no other event of the object interleaves with it:
// the in-memory replay set (the wasm core's) tells a new id at once; a first claim is
// written to the object's SQLite storage in the same turn, and the runtime's output
// gate holds the answer until the write is durable. An object restarted or evicted
// inside the window therefore still knows every id it accepted, with its state and
// stored answer. An alarm deletes the rows whose time has passed.
//
// The Worker side, durableObjectReplayGuard(), keeps two things per isolate (module
// state, shared by every request the isolate serves):
//
//  - Coalesced calls. Claims, completes and releases bound for one shard's object are
//    queued, and the queue goes to the object as one RPC, batch(ops), which runs them
//    in order in one synchronous turn and one SQLite transaction and answers one
//    result per operation: each caller gets what the same call alone would have got
//    (an id twice in one batch: the first is "first", the second a duplicate). The
//    operations of one turn go together; while a shard has MAX_BATCHES_IN_FLIGHT
//    batches out, the next ones wait and leave together, at most MAX_BATCH per RPC. A
//    batch that throws (storage failure: the object rolls all of it back) fails each
//    of its callers, as a single call would (handle() answers 503 and the same body
//    can be retried). A batch is sent from the request of one of its callers (a stub
//    belongs to the request that made it), kept alive with waitUntil until it is
//    answered; each caller waits for its answer with its own timer. Carrying other
//    requests' calls needs workerd to run a promise's continuations in the request
//    that made it (handle_cross_request_promise_resolution, the default since
//    2024-10-14); without it, only the calls of one request's turn go together.
//  - The ids this isolate claimed (at most LOCAL_IDS, the oldest dropped first, each
//    forgotten at its expiresAt; stored answers held up to LOCAL_ANSWER_BYTES). A
//    duplicate of an id this isolate is running is answered "running" (409, or 400
//    with duplicates "reject", which never completes) and a duplicate of one it
//    completed gets the answer it stored itself, without a round trip. Anything else
//    goes to the object, which stays the authority: a miss costs a round trip, never
//    a wrong answer, and a release() or a failed complete() forgets the local entry.
//    Ids answered by the object as another's are not kept.
//
// exactlyOnce(ctx) keeps the same rows in the SQLite of the object that owns the
// handler's state (an event's object), so that handle() commits the claim, the
// handler's writes and the answer in one transaction.

import * as workers from "cloudflare:workers";
import { getCore } from "../core/wasm.js";
import { FIRST, RUNNING, SEEN, decodeState, done, encodeState } from "./claim.js";

const { DurableObject } = workers;
const TABLE = "jazzrpc_claimed";
const MAX_ID_LENGTH = 512;
const MAX_SHARDS = 4096;
/** Operations per batch RPC, at most. */
const MAX_BATCH = 128;
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

  /**
   * Several operations in one call, applied in order in one synchronous turn and one
   * SQLite transaction: `{ op: "begin", id, expiresAt }`, `{ op: "complete", id, answer }`
   * or `{ op: "release", id }`, at most 128. Answers one result per operation, in
   * order: what begin(), complete() or release() would have answered, or `{ error }`
   * for an operation refused by the same checks (the others still run). A storage
   * failure rolls every operation back and throws, as the single call would.
   * @param {Array<{ op: "begin" | "complete" | "release", id: string, expiresAt?: number, answer?: any }>} ops
   */
  batch(ops) {
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_BATCH) {
      throw new TypeError(`batch: an array of 1 to ${MAX_BATCH} operations is required`);
    }
    const now = Date.now();
    const claimed = []; // ids this call claimed in memory: undone if the transaction fails
    const alarmAt = this.#alarmAt;
    try {
      return this.ctx.storage.transactionSync(() => ops.map((op) => this.#apply(op, now, claimed)));
    } catch (error) {
      for (const id of claimed) this.#set.release(id);
      this.#alarmAt = alarmAt; // the alarm set inside the transaction was rolled back with it
      throw error;
    }
  }

  #apply(op, now, claimed) {
    const kind = op?.op;
    try {
      if (kind === "begin") {
        if (typeof op.expiresAt !== "number") throw new TypeError("claim: expiresAt must be a finite number of ms");
        checkClaim(op.id, op.expiresAt);
      } else if (kind === "complete" || kind === "release") {
        checkClaim(op.id);
      } else {
        throw new TypeError('batch: each operation is { op: "begin" | "complete" | "release", id, … }');
      }
    } catch (error) {
      return { error: error.message };
    }
    const { id } = op;
    if (kind === "complete") return this.#table.complete(id, op.answer);
    if (kind === "release") {
      const inMemory = this.#set.release(id);
      return this.#table.release(id) || inMemory;
    }
    const { expiresAt } = op;
    if (this.#set.claim(id, expiresAt, now)) {
      claimed.push(id);
      this.#schedule(expiresAt);
      if (this.#table.insert(id, expiresAt, now)) return FIRST;
    }
    return expiresAt < now ? SEEN : this.#table.state(id, now);
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
 * A replay guard over a ReplayGuardDurableObject namespace. Ids are spread over
 * `shards` objects (named `${name}:0` … `${name}:${shards - 1}`) by a hash of the id;
 * each shard's object is the authority on its ids. Calls from one isolate to one shard
 * are coalesced into batch RPCs, and the isolate answers duplicates of the ids it
 * claimed itself without a round trip (see the top of this file). Changing `shards`
 * moves ids to other objects: an id claimed before the change could be claimed once
 * more during the window that follows it.
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
  const isolate = isolateGuard(namespace, name, shards);
  return Object.freeze({
    shards,
    /** The shard that owns an id. */
    shardOf: (id) => shardOf(String(id), shards),
    /** The stub of one shard's object (for its stats()); made for the request that asks. */
    shard: (index) => {
      if (!Number.isInteger(index) || index < 0 || index >= shards) throw new RangeError(`no shard ${index} of ${shards}`);
      return namespace.get(namespace.idFromName(`${name}:${index}`));
    },
    begin: (id, expiresAt) => isolate.begin(id, expiresAt),
    claim: async (id, expiresAt) => (await isolate.begin(id, expiresAt))?.state === "first",
    complete: (id, answer) => isolate.complete(id, answer),
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

  async begin(id, expiresAt) {
    const now = Date.now();
    const known = expiresAt >= now ? this.#local.get(id, now) : undefined;
    if (known !== undefined) return known.done ? done(known.answer) : RUNNING;
    const result = await this.#lane(id).run({ op: "begin", id, expiresAt });
    if (result?.state === "first") this.#local.claimed(id, expiresAt, Date.now());
    return result;
  }

  async complete(id, answer) {
    let stored;
    try {
      stored = await this.#lane(id).run({ op: "complete", id, answer: answer ?? null });
    } catch (error) {
      this.#local.forget(id); // its state at the object is not known
      throw error;
    }
    if (stored === true) this.#local.completed(id, answer ?? null);
    else this.#local.forget(id);
    return stored;
  }

  release(id) {
    this.#local.forget(id);
    return this.#lane(id).run({ op: "release", id });
  }
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
        for (let i = 0; i < turn.length; i += MAX_BATCH) this.#call(turn.slice(i, i + MAX_BATCH));
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
    const answered = this.#call(this.#queue.splice(0, MAX_BATCH)).finally(() => {
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
 * The ids this isolate claimed: running, or done with the answer it stored. Claim
 * order is nearly expiry order, so expired ids are dropped from the front; past
 * LOCAL_IDS ids or LOCAL_ANSWER_BYTES of answers, the oldest go first.
 */
class LocalIds {
  #entries = new Map(); // id -> { expiresAt, done, answer, bytes }, in claim order
  #answerBytes = 0;

  /** The live entry of id, or undefined. */
  get(id, now) {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (!(entry.expiresAt >= now)) {
      this.#delete(id, entry);
      return undefined;
    }
    return entry;
  }

  claimed(id, expiresAt, now) {
    for (const [oldId, entry] of this.#entries) {
      if (entry.expiresAt >= now && this.#entries.size < LOCAL_IDS) break;
      this.#delete(oldId, entry);
    }
    this.forget(id);
    this.#entries.set(id, { expiresAt, done: false, answer: null, bytes: 0 });
  }

  /** Keeps the answer this isolate stored for an id it is running; an answer too large to keep forgets the id. */
  completed(id, answer) {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.done) return;
    const bytes = answer === null ? 0 : 2 * String(answer.body ?? "").length + 256;
    if (bytes > LOCAL_ANSWER_BYTES / 16) {
      this.#delete(id, entry);
      return;
    }
    entry.done = true;
    entry.answer = answer === null ? null : { status: answer.status, headers: { ...answer.headers }, body: answer.body };
    entry.bytes = bytes;
    this.#answerBytes += bytes;
    for (const [oldId, old] of this.#entries) {
      if (this.#answerBytes <= LOCAL_ANSWER_BYTES) break;
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
