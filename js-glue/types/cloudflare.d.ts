// Types of jazzrpc/cloudflare: everything in the main entry, the core instantiated
// on import, and the Durable Object replay guard. Self-contained: the few Workers
// types it names are declared structurally, so @cloudflare/workers-types is optional.
import type { ClaimState, Core, ExactlyOnce, ReplayGuard, StoredAnswer } from "./index.js";
export * from "./index.js";

/** The wasm core, instantiated from the imported jazzrpc.wasm module when this entry was imported. */
export const core: Core;

/** What ReplayGuardDurableObject#stats() reports. */
export interface ReplayGuardStats {
  /** ids this instance holds in memory */
  inMemory: number;
  /** bytes of module memory the in-memory set holds */
  memoryBytes: number;
  /** rows in the object's SQLite storage */
  stored: number;
  /** stored rows whose expiry has passed (the next sweep deletes them) */
  expiredStored: number;
  /** bytes of stored answers */
  answerBytes: number;
  /** when the alarm set by this instance runs, in ms since the epoch, or null */
  nextSweepAt: number | null;
}

/**
 * The Durable Object class that holds the authoritative set of claimed ids.
 * Export it from your Worker and bind it with a `new_sqlite_classes` migration.
 */
export declare class ReplayGuardDurableObject {
  /** ms after an id's expiry within which the alarm removes its row (5000). Override in a subclass. */
  static sweepDelayMs: number;
  constructor(ctx: unknown, env: unknown);
  /** True for the first claim of id while live; false for a replay or when expiresAt has passed. */
  claim(id: string, expiresAt: number): boolean;
  begin(id: string, expiresAt: number): ClaimState;
  complete(id: string, answer: StoredAnswer | null): boolean;
  /** Forgets a claim whose handler never started (memory and row); true when it was claimed. */
  release(id: string): boolean;
  /**
   * Up to 128 operations in order, in one turn and one transaction: one result per
   * operation, or `{ error }` for one refused by the checks. Throws (nothing applied)
   * when storage fails. durableObjectReplayGuard sends its calls this way.
   */
  batch(ops: ReplayGuardOperation[]): Array<ClaimState | boolean | { error: string }>;
  stats(): ReplayGuardStats;
  alarm(): Promise<void>;
}

/** One operation of ReplayGuardDurableObject#batch(). */
export type ReplayGuardOperation =
  | { op: "begin"; id: string; expiresAt: number }
  | { op: "complete"; id: string; answer: StoredAnswer | null }
  | { op: "release"; id: string };

/** The stub of a ReplayGuardDurableObject, as RPC gives it. */
export interface ReplayGuardStub {
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number): Promise<ClaimState>;
  complete(id: string, answer: StoredAnswer | null): Promise<boolean>;
  release(id: string): Promise<boolean>;
  batch(ops: ReplayGuardOperation[]): Promise<Array<ClaimState | boolean | { error: string }>>;
  stats(): Promise<ReplayGuardStats>;
}

/** The structural part of a DurableObjectNamespace this guard uses. */
export interface ReplayGuardNamespace {
  idFromName(name: string): unknown;
  get(id: any): any;
}

export interface DurableObjectReplayGuard extends ReplayGuard {
  readonly shards: number;
  /** The index of the shard that owns an id. */
  shardOf(id: string): number;
  /** The stub of one shard's object. */
  shard(index: number): ReplayGuardStub;
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number): Promise<ClaimState>;
  complete(id: string, answer: StoredAnswer | null): Promise<boolean>;
  release(id: string): Promise<boolean>;
}

/**
 * Exactly once where the state lives: request ids in the SQLite of the Durable Object
 * that owns the handler's state, for `route.handle(request, worker, handler, { exactlyOnce })`.
 */
export declare function exactlyOnce(
  ctx: { storage: { sql: unknown; transactionSync<T>(fn: () => T): T } },
  options?: { sweepEveryMs?: number; now?: () => number },
): ExactlyOnce;

/**
 * A replay guard over ReplayGuardDurableObjects: ids are spread over `shards` objects
 * (default 1) named `${name}:i` (default name "jazzrpc-replay") by a hash of the id.
 * One isolate's calls to one shard are coalesced into batch() RPCs, and duplicates of
 * the ids the isolate claimed itself are answered without a round trip.
 */
export declare function durableObjectReplayGuard(
  namespace: ReplayGuardNamespace,
  options?: { shards?: number; name?: string },
): DurableObjectReplayGuard;
