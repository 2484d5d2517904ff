// Types of jazzrpc/node: everything in the main entry, plus the core loaded on import.
import type { Core, Definition, Handler, HandleOptions, Route, ServeOptions } from "./index.js";
export * from "./index.js";
/** The wasm core, initialized from dist/jazzrpc.wasm when the module was imported. */
export const core: Core;

/**
 * node:http: a listener for http.createServer from a fetch handler
 * ((request) => Response, such as toFetchHandler(route, handler) makes). The body is
 * streamed through, so handle()'s size limit and deadline apply before anything is buffered.
 */
export function toNodeListener(
  fetchHandler: (request: Request) => Response | Promise<Response>,
): NodeListener;
/**
 * node:http straight from a route: the body read from the IncomingMessage and the answer
 * written to the ServerResponse, with no Request or Response made (context.request is made
 * only when the handler reads it). Options as toFetchHandler's; the worker is made on the
 * first request from JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET unless given.
 */
export function toNodeListener<Req extends Definition, Res extends Definition>(
  route: Route<Req, Res>,
  handler: Handler<Req, Res>,
  options?: ServeOptions & HandleOptions,
): NodeListener;

/** A listener for http.createServer (declared loosely, so that @types/node is optional). */
export type NodeListener = (req: any, res: any) => Promise<void>;

/** The transaction a postgresExactlyOnce run hands its work (context.tx in a handler). */
export interface PostgresTx {
  /** Runs inside the run's transaction; resolves like pg's result for a pg Pool and for PGlite. */
  query<Row = any>(text: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

/** What store.run() resolves to. */
export type PostgresRunOutcome<A> =
  | { state: "first"; answer: A }
  | { state: "done"; answer: A | null }
  | { state: "running" }
  | { state: "seen" };

/** Exactly once on Node with PostgreSQL, made by postgresExactlyOnce(db). */
export interface PostgresExactlyOnce {
  readonly kind: "async";
  readonly table: string;
  readonly lockTimeoutMs: number;
  readonly sweepEveryMs: number;
  readonly sweepLimit: number;
  /** Creates the table and its index if missing (idempotent; run() does it too). */
  ready(): Promise<void>;
  /**
   * Claims id, runs work(tx) and stores its answer in one transaction: "first" with the
   * answer; "done" with the stored answer when a committed row holds the id; "running"
   * when another transaction held it longer than lockTimeoutMs; "seen" when expiresAt has
   * passed and no row holds the id (work is never run for such an id). work's error is
   * rethrown after a rollback; a database error is thrown (nothing was committed).
   * keepUntil (ms): the row is kept until max(keepUntil, expiresAt) (default: 24 h from now).
   * storedAs: what to store in place of the answer (null: done, not stored).
   */
  run<A>(
    id: string,
    claim: { expiresAt: number; keepUntil?: number; storedAs?: (answer: A) => unknown },
    work: (tx: PostgresTx) => Promise<A> | A,
  ): Promise<PostgresRunOutcome<A>>;
  /** Deletes at most sweepLimit rows past their keep_until now; resolves to how many. */
  sweep(): Promise<number>;
  /** Rows, rows past keep_until not yet swept, and bytes of stored answers. */
  stats(): Promise<{ stored: number; expired: number; answerBytes: number }>;
  /** Refuses new runs and waits for this store's runs and sweep in progress; the db stays open. */
  close(): Promise<void>;
}

/**
 * Exactly once on Node: the claim of a request id, the handler's writes (through tx) and
 * its answer commit in one PostgreSQL transaction. db: a node-postgres Pool (any number
 * of processes) or a PGlite instance (one process). Declared loosely, so that pg and
 * PGlite stay optional.
 */
export function postgresExactlyOnce(
  db: any,
  options?: {
    /** "name" or "schema.name", letters, digits and _ (jazzrpc_requests) */
    table?: string;
    /** how long a copy waits for another transaction holding its id before "running" (5 000) */
    lockTimeoutMs?: number;
    /** sweeps start from run() at most this often (10 000) */
    sweepEveryMs?: number;
    /** rows deleted per sweep at most (1 000) */
    sweepLimit?: number;
    now?: () => number;
    /** told when a sweep fails (default: console.warn) */
    onError?: (error: unknown) => void;
  },
): PostgresExactlyOnce;
