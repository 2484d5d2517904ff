// The JazzRPC API: defineRequest, send, handle, errors, accounts, auth tokens, replay guards.
import type { StandardSchemaV1 } from "@standard-schema/spec";

export type FieldShape = { readonly [field: string]: StandardSchemaV1 };
export type SchemaLike = FieldShape | StandardSchemaV1;
export type Definition = SchemaLike | { schema: SchemaLike; resolve?: unknown };

type SchemaOf<D> = D extends StandardSchemaV1 ? D : D extends { schema: infer S } ? S : D;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S extends FieldShape, Mode extends "input" | "output"> = {
  [K in keyof S]: undefined extends (Mode extends "input" ? StandardSchemaV1.InferInput<S[K]> : StandardSchemaV1.InferOutput<S[K]>) ? K : never;
}[keyof S];
type ShapeValues<S extends FieldShape, Mode extends "input" | "output"> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S, Mode>>]: Mode extends "input" ? StandardSchemaV1.InferInput<S[K]> : StandardSchemaV1.InferOutput<S[K]> } & {
    [K in OptionalKeys<S, Mode>]?: Mode extends "input" ? StandardSchemaV1.InferInput<S[K]> : StandardSchemaV1.InferOutput<S[K]>;
  }
>;
type ValuesOf<S, Mode extends "input" | "output"> = S extends StandardSchemaV1
  ? Mode extends "input" ? StandardSchemaV1.InferInput<S> : StandardSchemaV1.InferOutput<S>
  : S extends FieldShape ? ShapeValues<S, Mode> : never;

/** What send() takes and the handler returns. */
export type InputOf<D> = ValuesOf<SchemaOf<D>, "input">;
/** What the handler receives and send() resolves to. */
export type OutputOf<D> = ValuesOf<SchemaOf<D>, "output">;

/** A request id's state in a guard. */
export type ClaimState =
  | { state: "first" }
  | { state: "running" }
  | { state: "done"; answer: StoredAnswer | null; reason?: "ERR_ANSWER_NOT_STORED" }
  | { state: "lapsed" }
  | { state: "seen" }
  /** begin() with options.rate: the key's window is full; the id is not claimed (429 ERR_RATE_LIMITED, Retry-After). */
  | { state: "limited"; retryAfterMs: number };

/** A request's rate limit as a guard counts it: at most `requests` first claims of `key` in any `perMs` ms. */
export interface RateLimit {
  key: string;
  requests: number;
  perMs: number;
}

/**
 * The route option rateLimit: `{ requests, perMs }` per signer and route, or a function of
 * the verified signer (madeBy) and the request's value giving `{ key?, requests, perMs }`
 * (key: by default the signer's id), or null/undefined for no limit.
 */
export type RateLimitOption =
  | { requests: number; perMs: number }
  | ((madeBy: any, value: any) => { key?: string; requests: number; perMs: number } | null | undefined | Promise<{ key?: string; requests: number; perMs: number } | null | undefined>);

/** An answer kept for a request id and given again, byte for byte, to its duplicates. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ReplayGuard {
  /**
   * True for the first claim of an id only; the id must stay claimed until expiresAt (ms).
   * An id whose expiresAt has passed is refused (false). A guard with only this method
   * refuses duplicates (400) instead of replaying their answer.
   */
  claim(id: string, expiresAt: number): Promise<boolean>;
  /**
   * The first claim of an id ({ state: "first" }), holding a lease of leaseMs, or the state of
   * its earlier claim; a running claim whose lease lapsed becomes lapsedAnswer ({ state: "lapsed" }).
   */
  begin?(id: string, expiresAt: number, options?: { leaseMs?: number; lapsedAnswer?: StoredAnswer; answerTtlMs?: number; rate?: RateLimit }): Promise<ClaimState> | ClaimState;
  /** True when begin() counts options.rate in the claim's atomic step; a route with rateLimit needs it (else 500). */
  readonly rateLimits?: boolean;
  /** Extends the lease of a running claim while its handler runs. */
  renew?(id: string, leaseMs: number): Promise<unknown> | unknown;
  /** Stores the answer of a claimed id (null: done, not stored), kept until keepUntil or answerTtlMs past the window. */
  complete?(id: string, answer: StoredAnswer | null, expiresAt: number, options?: { keepUntil?: number; answerTtlMs?: number }): Promise<unknown> | unknown;
  /** The id's state without claiming it: a body past its window looks up its stored answer. */
  lookup?(id: string): Promise<ClaimState> | ClaimState;
  /**
   * Forgets a claim whose handler never started. handle() calls it when a claim
   * lands after guardTimeoutMs (it has already answered 503), so the same body can be retried.
   */
  release?(id: string): Promise<unknown> | unknown;
}

/**
 * Exactly once where the state lives: exactlyOnce(ctx) in a Durable Object
 * (jazzrpc/cloudflare, synchronous), or postgresExactlyOnce(db) on Node (jazzrpc/node).
 */
export type ExactlyOnceStore = ExactlyOnce | AsyncExactlyOnce;

/** An asynchronous transactional store (postgresExactlyOnce): claim, work and answer in one transaction. */
export interface AsyncExactlyOnce {
  readonly kind: "async";
  /** True when run() counts times.rate (postgresExactlyOnce: on the database's clock, just before the claim's transaction). */
  readonly rateLimits?: boolean;
  run(id: string, times: { expiresAt: number; keepUntil?: number; rate?: RateLimit }, work: (tx: any) => Promise<StoredAnswer | null>): Promise<
    | { state: "first"; answer: StoredAnswer | null }
    | { state: "done"; answer: StoredAnswer | null }
    | { state: "running" }
    | { state: "seen" }
    | { state: "limited"; retryAfterMs: number }
  >;
}

/** Exactly once inside a Durable Object: made by exactlyOnce(ctx) (jazzrpc/cloudflare). */
export interface ExactlyOnce {
  transaction<T>(fn: () => T): T;
  /** True when begin() counts options.rate in the claim's transaction (exactlyOnce(ctx)). */
  readonly rateLimits?: boolean;
  begin(id: string, expiresAt: number, options?: { keepUntil?: number; rate?: RateLimit }): ClaimState;
  complete(id: string, answer: StoredAnswer | null): boolean;
  release(id: string): boolean;
  stats(): { stored: number; expired: number; answerBytes: number };
}

/** send()'s retries of the same signed body. */
export interface RetryOptions {
  /** attempts in all, the first included (30) */
  attempts?: number;
  /** the first backoff's ceiling; it doubles each attempt, with full jitter (250) */
  baseDelayMs?: number;
  /** the largest backoff (4 000); a longer Retry-After is still honoured while the body is in its window */
  maxDelayMs?: number;
  /** how long send() keeps trying in all, in ms (45 000: rides out a 30 s outage); never past the body's window */
  budgetMs?: number;
}

export interface RouteOptions {
  /** How old a request may be, in ms (60 000). */
  window?: number;
  /** How far in the future a request may be dated, in ms (10 000). */
  skew?: number;
  /** The body size limit in bytes (1 MiB); over it: 413. */
  maxBodyBytes?: number;
  maxDepth?: number;
  /** How long handle() waits for the replay guard before answering 503 (5 000; at most 2^31 - 1). */
  guardTimeoutMs?: number;
  /** How long handle() waits for the whole body before answering 408 "Request body timed out" (10 000; at most 2^31 - 1). */
  bodyTimeoutMs?: number;
  /** The clock, in ms since the epoch (Date.now). */
  now?: () => number;
  /** The fetch send() uses when none is passed to it (the global fetch at call time). */
  fetch?: typeof fetch;
  /** Told of every exception that became a 500 or 503, and of answers too large to keep; without it, one line each goes to console.error. */
  onError?: OnError;
  /** A guard for this route, over the worker's. */
  replayGuard?: ReplayGuard;
  /** A duplicate of a handled request: its stored answer with X-Jazz-Replayed ("replay", the default), or 400 already handled ("reject"). */
  duplicates?: "replay" | "reject";
  /** Answers larger than this (UTF-8 bytes, 1 MiB) are not stored (logged): their duplicates get 500 ERR_ANSWER_NOT_STORED. */
  maxStoredAnswerBytes?: number;
  /** How long a transactional store keeps an answer (24 h). */
  answerTtlMs?: number;
  /** The claim, the handler's writes and the answer in one transaction: exactlyOnce(ctx) in a Durable Object (the handler must be synchronous), postgresExactlyOnce(db) on Node (context.tx). */
  exactlyOnce?: ExactlyOnceStore;
  /** send()'s retries: false, or RetryOptions (the defaults). */
  retry?: false | RetryOptions;
  /** Per-signer rate limit, counted exactly by the guard with the claim: 429 ERR_RATE_LIMITED with Retry-After over it (README: Rate limits). */
  rateLimit?: RateLimitOption;
}

/** What handle() and verify() take per call: the route's options, and the platform's env and ctx for the handler's context. */
export interface HandleOptions<Env = any> extends RouteOptions {
  env?: Env;
  ctx?: unknown;
}

/** What onError is told besides the error. */
export interface ErrorInfo {
  route?: string;
  requestId?: string;
  status?: number;
  reason?: Reason | string;
}
export type OnError = (error: unknown, info: ErrorInfo) => void;

/** The stable reasons of JazzRequestError (README: "Errors and their reasons"). */
export type Reason =
  | "ERR_METHOD" | "ERR_TOO_LARGE" | "ERR_BODY_TIMEOUT" | "ERR_BODY_INCOMPLETE" | "ERR_NOT_JSON" | "ERR_TOO_DEEP" | "ERR_MALFORMED"
  | "ERR_BAD_SIGNATURE" | "ERR_UNBOUND_SIGNER" | "ERR_EXPIRED" | "ERR_FUTURE" | "ERR_WRONG_ROUTE" | "ERR_WRONG_WORKER" | "ERR_SCHEMA"
  | "ERR_BEING_HANDLED" | "ERR_ALREADY_HANDLED" | "ERR_ANSWER_NOT_STORED" | "ERR_OUTCOME_UNKNOWN" | "ERR_GUARD_UNAVAILABLE" | "ERR_IDEMPOTENCY_KEY_REUSED" | "ERR_RATE_LIMITED"
  | "ERR_HANDLER" | "ERR_INTERNAL" | "ERR_NOT_FOUND"
  | "ERR_NETWORK" | "ERR_RESPONSE_INCOMPLETE" | "ERR_RESPONSE_REFUSED" | "ERR_RESPONSE_SCHEMA" | "ERR_HTTP";

/** The third argument of a handler. */
export interface HandlerContext<Env = any> {
  /** The Request being handled (its body already read). */
  readonly request: Request;
  /** The request id ("co_z…"). */
  readonly id: string;
  /** The platform's environment: Workers' env, what toFetchHandler was given. */
  readonly env?: Env;
  /** The platform's execution context: Workers' ExecutionContext, Hono's c.executionCtx. */
  readonly ctx?: any;
  /** The transaction of a transactional setup (postgresExactlyOnce: query(text, params)). */
  readonly tx?: any;
}

/** A request signed once, to be delivered as often as needed: plain JSON. */
export interface PreparedRequest {
  /** The request id ("co_z…"). */
  id: string;
  /** The exact body deliver() posts. */
  body: string;
  /** When the body leaves its window (ms since the epoch); a stored answer still answers it later. */
  expiresAt: number;
}

export interface MadeBy {
  readonly id: string;
  readonly signerID: string;
}

export declare class Account {
  private constructor();
  readonly id: string;
  readonly signerID: string;
  readonly secret: string;
  replayGuard?: ReplayGuard;
  static create(): Account;
  static fromSecret(secret: string): Account;
  static idOfSigner(signerID: string): string;
  toJSON(): { id: string; signerID: string };
}

export interface Worker extends Account {
  replayGuard: ReplayGuard;
}

export declare function startWorker(options?: {
  accountID?: string;
  accountSecret?: string;
  replayGuard?: ReplayGuard;
  /** Where JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET are read first (a Workers env); then process.env or Deno.env. */
  env?: Record<string, unknown>;
}): Promise<{ worker: Worker }>;

/** What toFetchHandler and the adapters take. */
export interface ServeOptions<Env = any> {
  /** The worker: an Account, or (env) => one. Default: startWorker() from the environment, on the first request. */
  worker?: Account | ((env: Env) => Account | { worker: Account } | Promise<Account | { worker: Account }>);
  /** The replay guard, or (env) => one (a Durable Object guard from a Workers binding). */
  replayGuard?: ReplayGuard | ((env: Env) => ReplayGuard);
  /** Told of every exception that became a 500 or 503; without it, one line each goes to console.error. */
  onError?: OnError;
}

/** A fetch handler: what Deno.serve and Workers take, and toNodeListener, Hono and Next.js adapt. */
export type FetchHandler<Env = any> = (request: Request, env?: Env, ctx?: any) => Promise<Response>;

/** The handler of a route: its typed value and who made it, to the response value. */
export type Handler<Req extends Definition, Res extends Definition, Env = any> = (
  value: OutputOf<Req>,
  madeBy: MadeBy,
  context: HandlerContext<Env>,
) => InputOf<Res> | Promise<InputOf<Res>>;

/**
 * A fetch handler for one route (the framework routes to it), or for a list of
 * [route, handler] pairs dispatched by path (404 for any other path).
 */
export declare function toFetchHandler<Req extends Definition, Res extends Definition, Env = any>(
  route: Route<Req, Res>,
  handler: Handler<Req, Res, Env>,
  options?: ServeOptions<Env>,
): FetchHandler<Env>;
export declare function toFetchHandler<Env = any>(
  routes: ReadonlyArray<readonly [Route<any, any>, (value: any, madeBy: MadeBy, context: HandlerContext<Env>) => any]>,
  options?: ServeOptions<Env>,
): FetchHandler<Env>;

export interface SendOptions {
  owner: Account;
  fetch?: typeof fetch;
  /** Resolves a relative route url (Node has no page to resolve it against). */
  baseUrl?: string | URL;
  headers?: Record<string, string>;
  /** Retries of the same signed body on a network failure, a cut or unreadable answer, 408, 409, 425, 429, 502, 503, 504 (the route's option, else the defaults: about 45 s). */
  retry?: false | RetryOptions;
  /** Aborts the request and the waits between retries. */
  signal?: AbortSignal;
  /**
   * A key of the caller's choosing (1-255 characters), inside the signed request: requests
   * with the same key and the same values from this signer to this route run the handler
   * once and all get its answer; the same key with other values is refused (422).
   */
  idempotencyKey?: string;
}

/** What route.verify() resolves to. */
export type Verified<Req extends Definition> =
  | { ok: true; value: OutputOf<Req>; id: string; madeBy: MadeBy; /** past its window: handle() answers it from its stored answer, or 401 */ expired?: true }
  | { ok: false; response: Response };

export interface Route<Req extends Definition, Res extends Definition> {
  readonly url: string;
  readonly path: string;
  readonly workerId: string;
  readonly requestSchema: SchemaOf<Req>;
  readonly responseSchema: SchemaOf<Res>;
  /** Throws a JazzRequestError with `reason` and `requestId`; one that gave up after retries has `attempts` and the last `cause`. */
  send(values: InputOf<Req>, options: SendOptions): Promise<OutputOf<Res>>;
  /** Validates and signs values: plain JSON to keep (an outbox) and deliver later. */
  prepare(values: InputOf<Req>, options: { owner: Account | object; idempotencyKey?: string }): Promise<PreparedRequest>;
  /** Sends a prepared request's very body, with send()'s retries and checks; a jazz-tools request needs its owner. */
  deliver(prepared: PreparedRequest, options?: Omit<SendOptions, "owner"> & { owner?: Account | object }): Promise<OutputOf<Res>>;
  /** Checks a request as handle() would, without claiming its id or running anything. Never rejects. */
  verify(request: Request, options?: HandleOptions): Promise<Verified<Req>>;
  handle(
    request: Request,
    worker: Account,
    handler: (value: OutputOf<Req>, madeBy: MadeBy, context: HandlerContext) => InputOf<Res> | Promise<InputOf<Res>>,
    options?: HandleOptions,
  ): Promise<Response>;
}

export declare function experimental_defineRequest<const Req extends Definition, const Res extends Definition>(params: {
  url: string;
  /** The worker's account id, or a function returning it, called when first needed (a route file without secrets). */
  workerId: string | (() => string | undefined);
  request: Req;
  response: Res;
  options?: RouteOptions;
}): Route<Req, Res>;
export declare const defineRequest: typeof experimental_defineRequest;

export declare class JazzRequestError extends Error {
  constructor(message: string, code: number, details?: unknown, options?: { cause?: unknown; reason?: string });
  readonly code: number;
  readonly details: unknown;
  readonly isJazzRequestError: true;
  /** A stable reason: one of Reason, or a handler's own (else "ERR_HANDLER" for a handler's error). */
  reason?: Reason | string;
  /** send() and deliver(): the id of the request this error is about */
  requestId?: string;
  /** send(): how many times the body was sent before this error */
  attempts?: number;
  toJSON(): { message: string; code: number; details?: unknown; reason?: string };
}
export declare function isJazzRequestError(error: unknown): error is JazzRequestError;

/**
 * The wasm replay set with each id's state and stored answer, for one process or isolate
 * (the default guard). Each id is kept until its expiresAt. Stored answers are capped in
 * total at `maxAnswerBytes` (default 64 MiB); past it the oldest are dropped, and their
 * ids stay done: duplicates get `{ state: "done", answer: null, reason: "ERR_ANSWER_NOT_STORED" }`,
 * never a second run.
 */
export declare class MemoryReplayGuard implements ReplayGuard {
  constructor(options?: {
    /** the clock, ms since the epoch (default Date.now) */
    now?: () => number;
    /** the cap on the stored answers' total bytes: an integer, 0 or more (default 64 MiB) */
    maxAnswerBytes?: number;
  });
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number, options?: { rate?: RateLimit }): Promise<ClaimState | { state: "done"; answer: null; reason: "ERR_ANSWER_NOT_STORED" }>;
  complete(id: string, answer: StoredAnswer | null, expiresAt: number): Promise<boolean>;
  release(id: string): Promise<boolean>;
  readonly size: number;
  /** bytes held: the wasm set, each id's state and the stored answers */
  readonly bytes: number;
  /** bytes of the stored answers (2 per character of each body, plus 64), at most maxAnswerBytes */
  readonly answerBytes: number;
  readonly maxAnswerBytes: number;
  readonly rateLimits: true;
  /** bytes held by the rate limits' windows (8 per request counted, about 64 per key) */
  readonly rateBytes: number;
}
/**
 * Redis 7, shared by every process using one server or cluster. Each id's key
 * (`<prefix>{<id>}`, the id as hash tag) is held until expiresAt + skewMs on Redis's own
 * clock (PXAT), then deleted by Redis.
 */
export declare class RedisReplayGuard implements ReplayGuard {
  constructor(options: {
    /** a connected node-redis v4+ client (createClient or createCluster) or ioredis one (new Redis() or new Redis.Cluster()) */
    client: unknown;
    /** of every key (default "jazzrpc:seen:"); no braces */
    prefix?: string;
    /** of every rate limit's window key, `<ratePrefix>{<key>}` (default "jazzrpc:rate:"); no braces */
    ratePrefix?: string;
    /** this server's clock (default Date.now) */
    now?: () => number;
    /** added to each id's life: at least the route's skew (default 10,000 ms, the route's default skew) */
    skewMs?: number;
  });
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number, options?: { leaseMs?: number; lapsedAnswer?: StoredAnswer; answerTtlMs?: number; rate?: RateLimit }): Promise<ClaimState>;
  complete(id: string, answer: StoredAnswer | null, expiresAt: number): Promise<boolean>;
  release(id: string): Promise<boolean>;
  readonly rateLimits: true;
}
/** Deno KV, shared by the processes using one KV. Each id is held until expiresAt + skewMs (expireIn). */
export declare class DenoKvReplayGuard implements ReplayGuard {
  constructor(options: {
    /** a Deno.Kv (await Deno.openKv()) */
    kv: unknown;
    /** of every key (default ["jazzrpc", "seen"]) */
    prefix?: unknown[];
    /** this server's clock (default Date.now) */
    now?: () => number;
    /** added to each id's life: at least the route's skew (default 10,000 ms, the route's default skew) */
    skewMs?: number;
  });
  claim(id: string, expiresAt: number): Promise<boolean>;
  begin(id: string, expiresAt: number, options?: { leaseMs?: number; lapsedAnswer?: StoredAnswer; answerTtlMs?: number; rate?: RateLimit }): Promise<ClaimState>;
  complete(id: string, answer: StoredAnswer | null, expiresAt: number): Promise<boolean>;
  release(id: string): Promise<boolean>;
  readonly rateLimits: true;
}

export declare function generateAuthToken(account: Account, options?: { now?: () => number }): string;
export declare function authenticateRequest(
  request: Request,
  options?: { expiration?: number; skew?: number; getToken?: (request: Request) => string | undefined | null; now?: () => number },
): Promise<{ account?: MadeBy; error?: { message: string; details?: unknown } }>;

/**
 * The parts of `@opentelemetry/api` jazzrpc uses (pass the module itself: `import * as api from
 * "@opentelemetry/api"`). Declared here so that these types do not need the optional peer.
 */
export interface OpenTelemetryApi {
  trace: { getTracerProvider(): unknown };
  metrics: { getMeterProvider(): unknown };
  context: { active(): unknown; with(...args: any[]): unknown };
}

/** What instrument() records beyond its default (README "Telemetry"). */
export interface InstrumentOptions {
  /**
   * A child span of `jazzrpc.handle` for each step of a request: `jazzrpc.verify`,
   * `jazzrpc.guard.claim` (or `.lookup`, `.release`, `.transaction`), `jazzrpc.handler`,
   * `jazzrpc.sign`, `jazzrpc.guard.complete`, with the handler and the guard run in their
   * step's span. Default false: one `jazzrpc.handle` span a request, the handler run in its
   * context. Metrics are the same either way.
   */
  steps?: boolean;
}

/**
 * OpenTelemetry traces and metrics (README "Telemetry"): hands jazzrpc the `@opentelemetry/api`
 * module, for runtimes where it is not loaded by itself (Workers, browsers, bundles; Node and
 * Deno import it on the first handle() or send() when it is installed, and take it from here
 * for options such as `{ steps: true }`). Spans and metric points are recorded only while the
 * app has registered a provider. `instrument(null)` turns it off. Returns what it was given.
 */
export declare function instrument<Api extends OpenTelemetryApi | { default: OpenTelemetryApi }>(api: Api, options?: InstrumentOptions): Api;
export declare function instrument(api: null | false): null | false;

/** Every stable reason, with its usual HTTP status (0: the handler's or the answer's own) and meaning. */
export declare const REASONS: Readonly<Record<Reason, { readonly status: number; readonly meaning: string }>>;
