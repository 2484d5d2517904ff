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
  stats(): ReplayGuardStats;
  alarm(): Promise<void>;
}

/** The stub of a ReplayGuardDurableObject, as RPC gives it. */
export interface ReplayGuardStub {
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number): Promise<ClaimState>;
  complete(id: string, answer: StoredAnswer | null): Promise<boolean>;
  release(id: string): Promise<boolean>;
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
 * A replay guard whose claims are one RPC call to the ReplayGuardDurableObject that
 * owns the id; ids are spread over `shards` objects (default 1) named `${name}:i`
 * (default name "jazzrpc-replay") by a hash of the id.
 */
export declare function durableObjectReplayGuard(
  namespace: ReplayGuardNamespace,
  options?: { shards?: number; name?: string },
): DurableObjectReplayGuard;
