// Types of jazzrpc/cloudflare: everything in the main entry, the core instantiated
// on import, and the Durable Object replay guard. Self-contained: the few Workers
// types it names are declared structurally, so @cloudflare/workers-types is optional.
import type { ClaimState, Core, ExactlyOnce, RateLimit, ReplayGuard, StoredAnswer } from "./index.js";
export * from "./index.js";

/** The wasm core, instantiated from the imported jazzrpc.wasm module when this entry was imported. */
export const core: Core;

/** What ReplayGuardDurableObject#stats() reports. */
export interface ReplayGuardStats {
  /** ids this instance holds in memory */
  inMemory: number;
  /** bytes of module memory the in-memory set holds */
  memoryBytes: number;
  /** rows in the object's SQLite storage, one per id */
  stored: number;
  /** stored rows past their keep-until time (the next sweep deletes them) */
  expiredStored: number;
  /** rows whose claim's lease lapsed and that hold the lapsed answer */
  lapsed: number;
  /** bytes of stored answers (in rows and in chunk rows) */
  answerBytes: number;
  /** chunk rows: answers longer than 64 KiB are split over rows of 64 KiB */
  chunks: number;
  /** when the alarm set by this instance runs, in ms since the epoch, or null */
  nextSweepAt: number | null;
}

/** What begin() answers when the earlier claim's lease had lapsed: the lapsed answer is now stored for the id. */
export interface LapsedState {
  state: "lapsed";
}

/** begin()'s options: what the route passes. */
export interface DurableBeginOptions {
  /** The claim holds a lease until now + leaseMs (the object's clock), renewed by renew(); without it, a claim never lapses. */
  leaseMs?: number;
  /** Keep the id (and later its answer) until then at least, in ms since the epoch. */
  keepUntil?: number;
  /** The answer stored when a copy finds the claim's lease lapsed (the route's 500 ERR_OUTCOME_UNKNOWN). */
  lapsedAnswer?: StoredAnswer;
  /** A lapsed answer is kept this long from when it is stored, on the object's clock. */
  answerTtlMs?: number;
  /** Count the first claim in this window (the object of the shard the key hashes to); over it: { state: "limited", retryAfterMs }, not claimed. */
  rate?: RateLimit;
}

/** complete()'s options: the answer is kept until the later of keepUntil and now + answerTtlMs (the object's clock). */
export interface DurableCompleteOptions {
  keepUntil?: number;
  answerTtlMs?: number;
}

/** The object's begin() options: the route's, and the margin (default the class's skewMs, 10 s) or the time to hold the id until. */
export interface ReplayGuardObjectBeginOptions extends DurableBeginOptions {
  skewMs?: number;
  holdUntil?: number;
}

/**
 * The Durable Object class that holds the authoritative set of claimed ids.
 * Export it from your Worker and bind it with a `new_sqlite_classes` migration.
 *
 * Bounds: one row per id, held until expiresAt + skewMs on the object's own clock at
 * least, and until the keepUntil its claim or answer was given; answers longer than
 * 64 KiB are split over chunk rows of 64 KiB. The alarm deletes rows past their time,
 * at most 500 per run (it runs again at once while more are due), sweepDelayMs after
 * the next row's time; a repeated alarm deletes nothing more.
 */
export declare class ReplayGuardDurableObject {
  /** ms after a row's keep-until time within which the alarm removes it (5000). Override in a subclass. */
  static sweepDelayMs: number;
  /** The margin added to each id's life when begin() is given neither skewMs nor holdUntil (10,000 ms). */
  static skewMs: number;
  constructor(ctx: unknown, env: unknown);
  /** True for the first claim of id while live; false for a replay. */
  claim(id: string, expiresAt: number): boolean;
  begin(id: string, expiresAt: number): ClaimState;
  begin(id: string, expiresAt: number, options: ReplayGuardObjectBeginOptions): ClaimState | LapsedState;
  /** Stores the answer (null: done, not stored), kept until keepUntil at least; overwrites a lapsed answer. */
  complete(id: string, answer: StoredAnswer | null, expiresAt?: number, options?: DurableCompleteOptions): boolean;
  /** Extends a running claim's lease to now + leaseMs; false when the id is not running. */
  renew(id: string, leaseMs: number): boolean;
  /** The id's state without claiming it. */
  lookup(id: string): ClaimState;
  /** Forgets a claim whose handler never started (memory and row); true when it was claimed. */
  release(id: string): boolean;
  /**
   * Up to 128 operations in order, in one turn and one transaction: one result per
   * operation, or `{ error }` for one refused by the checks. Stored answers given back
   * are bounded to 8 MiB per call: past it, a large one answers `{ state: "done",
   * deferred: true }` (ask for it alone). Throws (nothing applied) when storage fails.
   * durableObjectReplayGuard sends its calls this way.
   */
  batch(ops: ReplayGuardOperation[]): Array<ClaimState | LapsedState | { state: "done"; deferred: true } | boolean | { error: string }>;
  stats(): ReplayGuardStats;
  alarm(): Promise<void>;
}

/** One operation of ReplayGuardDurableObject#batch(). */
export type ReplayGuardOperation =
  | ({ op: "begin"; id: string; expiresAt: number } & ReplayGuardObjectBeginOptions)
  | ({ op: "complete"; id: string; answer: StoredAnswer | null } & DurableCompleteOptions)
  | { op: "renew"; id: string; leaseMs: number }
  | { op: "lookup"; id: string }
  | { op: "release"; id: string }
  /** A first claim made in another shard, counted in this shard's window of rate.key: { counted: true } or { retryAfterMs }. */
  | { op: "limit"; id: string; rate: RateLimit };

/** The stub of a ReplayGuardDurableObject, as RPC gives it. */
export interface ReplayGuardStub {
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number, options?: ReplayGuardObjectBeginOptions): Promise<ClaimState | LapsedState>;
  complete(id: string, answer: StoredAnswer | null, expiresAt?: number, options?: DurableCompleteOptions): Promise<boolean>;
  renew(id: string, leaseMs: number): Promise<boolean>;
  lookup(id: string): Promise<ClaimState>;
  release(id: string): Promise<boolean>;
  batch(ops: ReplayGuardOperation[]): Promise<Array<ClaimState | LapsedState | { state: "done"; deferred: true } | boolean | { error: string }>>;
  stats(): Promise<ReplayGuardStats>;
}

/** The structural part of a DurableObjectNamespace this guard uses. */
export interface ReplayGuardNamespace {
  idFromName(name: string): unknown;
  get(id: any): any;
}

export interface DurableObjectReplayGuard extends ReplayGuard {
  readonly shards: number;
  /** The margin each id is held past its expiresAt, on the object's clock (ms). */
  readonly skewMs: number;
  /** The index of the shard that owns an id. */
  shardOf(id: string): number;
  /** The stub of one shard's object. */
  shard(index: number): ReplayGuardStub;
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number): Promise<ClaimState>;
  begin(id: string, expiresAt: number, options: DurableBeginOptions): Promise<ClaimState | LapsedState>;
  complete(id: string, answer: StoredAnswer | null, expiresAt: number, options?: DurableCompleteOptions): Promise<boolean>;
  /** Extends the lease of a running claim (the route calls it every leaseMs / 3 while the handler runs). */
  renew(id: string, leaseMs: number): Promise<boolean>;
  /** The id's state without claiming it: for a body whose window has passed. */
  lookup(id: string): Promise<ClaimState>;
  release(id: string): Promise<boolean>;
  /** Counts begin()'s rate: in the shard its key hashes to (in the claim's transaction when that is the id's shard). */
  readonly rateLimits: true;
}

/** exactlyOnce(ctx): the transactional store, with answers kept until keepUntil. */
export interface DurableExactlyOnce extends ExactlyOnce {
  readonly rateLimits: true;
  begin(id: string, expiresAt: number, options?: { keepUntil?: number; rate?: RateLimit }): ClaimState;
  complete(id: string, answer: StoredAnswer | null, options?: { keepUntil?: number }): boolean;
  /** The id's state without claiming it (for a body whose window has passed). */
  lookup(id: string): ClaimState;
  /** Deletes up to `limit` rows (default sweepRows) past their time; answers how many. Call it from the object's alarm if it gets few claims. */
  sweep(limit?: number): number;
  stats(): { stored: number; expired: number; lapsed: number; answerBytes: number; chunks: number };
}

/**
 * Exactly once where the state lives: request ids in the SQLite of the Durable Object
 * that owns the handler's state, for `route.handle(request, worker, handler, { exactlyOnce })`.
 * Rows are held until expiresAt + skewMs (default 10 s) and until keepUntil; past it,
 * swept as claims arrive, at most sweepRows (100) every sweepEveryMs (1 s).
 */
export declare function exactlyOnce(
  ctx: { storage: { sql: unknown; transactionSync<T>(fn: () => T): T } },
  options?: { sweepEveryMs?: number; sweepRows?: number; skewMs?: number; now?: () => number },
): DurableExactlyOnce;

/**
 * A replay guard over ReplayGuardDurableObjects: ids are spread over `shards` objects
 * (default 1) named `${name}:i` (default name "jazzrpc-replay") by a hash of the id.
 * One isolate's calls to one shard are coalesced into batch() RPCs, and duplicates of
 * the ids the isolate claimed itself are answered without a round trip. Each id is
 * held until expiresAt + skewMs (default 10 s) on the object's own clock; `now` is this
 * Worker's clock, for the check that refuses an expired id before any round trip.
 */
export declare function durableObjectReplayGuard(
  namespace: ReplayGuardNamespace,
  options?: { shards?: number; name?: string; skewMs?: number; now?: () => number },
): DurableObjectReplayGuard;
