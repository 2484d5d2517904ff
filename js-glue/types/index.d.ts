// Types of jazzrpc's runtime-neutral entry: the loader, the wasm core and its errors,
// and the JazzRPC API over them (api.d.ts).
export * from "./api.js";

/** What init() accepts: the compiled module (Workers), its bytes (Node, Deno), or a Response (browsers). */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | Response
  | PromiseLike<WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response>;

/** Instantiates the core once; later calls resolve to the same Core. For a wasm hosted elsewhere. */
export function init(source: WasmSource): Promise<Core>;
/** Instantiates the core now from a compiled module or its bytes (what the Node, Deno and Workers entries do at import). */
export function initSync(source: WebAssembly.Module | ArrayBuffer | ArrayBufferView): Core;
/**
 * The core, loaded first where the runtime cannot do so at import: in a browser it is
 * fetched from beside the module on the first call. send() and handle() await it.
 */
export function ready(): Promise<Core>;
/** The initialized core; throws an Error naming this runtime's fix when it is not loaded yet. */
export function getCore(): Core;

/** JSON text as a string (as JSON.parse reads it) or as UTF-8 bytes (as Request.json() reads them). */
export type JsonInput = string | Uint8Array | ArrayBuffer | ArrayBufferView;
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Parse limits; 0 or absent means the core's default (1 MiB, depth 64). */
export interface Limits {
  maxBytes?: number;
  maxDepth?: number;
}

export type ErrorCode =
  | "ERR_NOT_JSON"
  | "ERR_TOO_LARGE"
  | "ERR_TOO_DEEP"
  | "ERR_MALFORMED"
  | "ERR_BAD_SIGNATURE"
  | "ERR_EXPIRED"
  | "ERR_FUTURE"
  | "ERR_BAD_KEY"
  | "ERR_BAD_ENCODING"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_INTERNAL"
  | "ERR_WRONG_ROUTE"
  | "ERR_WRONG_WORKER"
  | "ERR_BAD_ID"
  | "ERR_WRONG_SIGNER"
  | "ERR_WRONG_REQUEST";

export interface StatusInfo {
  code: "OK" | ErrorCode;
  /** HTTP status */
  status: number;
  message: string;
}

/** A verdict: ok with code "OK" and status 200, or the refusal's code, status and message. */
export interface Verdict extends StatusInfo {
  ok: boolean;
}

export interface EnvelopeVerdict extends Verdict {
  /** null when the body did not parse far enough to have them */
  id: string | null;
  signerID: string | null;
  createdAt: number | null;
  expiresAt: number | null;
}

export interface MessageVerdict extends EnvelopeVerdict {
  /** the signer's account id */
  madeBy: string | null;
  /** the signed values; null unless ok */
  value: Record<string, unknown> | null;
}

export interface VerifyOptions extends Limits {
  /** the time to judge by, in ms since the epoch (the core has no clock) */
  now: number;
  /** ms a request stays valid after createdAt (default 60000) */
  window?: number;
  /** ms a createdAt may be ahead of now (default 10000) */
  skew?: number;
}

export interface AuthTokenOptions {
  now: number;
  /** default 60000 */
  expiration?: number;
  /** default 10000 */
  skew?: number;
}

export interface SignerKeypair {
  /** "signerSecret_z…" */
  signerSecret: string;
  /** "signer_z…" */
  signerID: string;
}

export interface MessageSpec {
  kind: "request" | "response";
  /** the route's path */
  url: string;
  /** the worker's account id */
  workerId: string;
  /** responses: the id of the request answered */
  inResponseTo?: string;
  nonce: string;
  value: Record<string, unknown>;
  createdAt: number;
}

export interface ExpectedMessage {
  kind: "request" | "response";
  url: string;
  workerId: string;
  inResponseTo?: string;
}

export class Core {
  /** Bytes of the core's wasm linear memory now (it grows for the largest body read, and is reused after). */
  readonly memoryBytes: number;
  /**
   * "server" (jazzrpc.wasm, everything) or "browser" (jazzrpc-client.wasm, what the browser
   * condition loads: keys, signing with an open signer, checking answers; the server paths
   * throw JazzRpcError ERR_SERVER_CORE).
   */
  readonly kind: "server" | "browser";
  /** Made by init(): the exports of an instantiated, initialized jazzrpc module. */
  constructor(exports: WebAssembly.Exports, kind?: "server" | "browser");
  /** cojson's stableStringify(JSON.parse(text)). Throws JazzRpcError. */
  canonicalize(text: JsonInput, limits?: Limits): string;
  /** "hash_z…" */
  secureHash(text: JsonInput, limits?: Limits): string;
  /** "shortHash_z…" */
  shortHash(text: JsonInput, limits?: Limits): string;
  /** BLAKE3 with outLen bytes of output (1..65536, default 32). */
  blake3(bytes: Bytes, outLen?: number): Uint8Array;

  base58Encode(bytes: Bytes): string;
  base58Decode(text: string): Uint8Array;

  /** From a 32-byte seed, or from host randomness when none is given. */
  signKeypair(seed?: Bytes): SignerKeypair;
  /** "signer_z…" of a "signerSecret_z…" */
  signerID(signerSecret: string): string;
  /** 64-byte ed25519 signature. */
  /** By the key of a 32-byte seed, or by an open Signer of this core (no key derivation per signature). */
  signDetached(msg: Bytes, key: Bytes | Signer): Uint8Array;
  /** false for any failure, malformed inputs included. */
  verifyDetached(sig: Bytes, msg: Bytes, publicKey: Bytes): boolean;
  /** cojson's sign: "signature_z…" */
  sign(signerSecret: string, json: JsonInput): string;
  /** cojson's verify: false when the signature fails or the signature or signer id is undecodable; throws for bad JSON. */
  verify(signature: string, json: JsonInput, signerID: string): boolean;

  /** The JSON text of a signed request body. */
  signEnvelope(
    envelope: { contentPieces: unknown[]; id: string; createdAt: number },
    signerSecret: string,
  ): string;
  /** Never throws for a bad body; throws TypeError for bad options (now is required). */
  verifyEnvelope(body: JsonInput, options: VerifyOptions): EnvelopeVerdict;

  /** "co_z…" of a "signer_z…" (the same public key) */
  accountId(signerID: string): string;
  /** "signer_z…" of a "co_z…" account id */
  signerIdOfAccount(accountId: string): string;
  /** The JSON text of a signed jazzrpc message (an envelope bound to url and worker). */
  signMessage(signer: string | Signer, spec: MessageSpec): string;
  /**
   * A signer secret decoded and expanded once, held in module memory: signMessage with it
   * skips deriving the public key for every message. Wiped by close() or when collected.
   */
  openSigner(signerSecret: string): Signer;
  /** Never throws for a bad body. */
  verifyMessage(body: JsonInput, expected: ExpectedMessage, options: VerifyOptions): MessageVerdict;

  /** "signature_z…~co_z…~createdAt" */
  createAuthToken(signerSecret: string, id: string, createdAt: number): string;
  parseAuthToken(token: string): { signature: string; id: string; createdAt: number };
  /** Never throws for a bad token. */
  verifyAuthToken(token: string, signerID: string, options: AuthTokenOptions): Verdict;

  createReplaySet(): ReplaySet;
}

export class Signer {
  private constructor();
  /** "signer_z…": the public key */
  readonly signerID: string;
  /** Wipes the expanded key from module memory; the signer throws on use afterwards. Safe twice. */
  close(): void;
}

export class ReplaySet {
  private constructor();
  /** true the first time id is claimed while live; false when seen (or expiresAt <= now). */
  claim(id: string, expiresAt: number, now: number): boolean;
  /** Forgets a live id so that it can be claimed again; true when it was live. */
  release(id: string): boolean;
  readonly count: number;
  readonly bytes: number;
  /** Releases its memory; the set throws on use afterwards. */
  free(): void;
}

export class JazzRpcError extends Error {
  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown });
  readonly name: "JazzRpcError";
  readonly code: ErrorCode;
  /** HTTP status */
  readonly status: number;
  /** The error of a core status (the positive value). */
  static fromStatus(abiStatus: number): JazzRpcError;
}

/** {code, status, message} of a core status. */
export function describeStatus(abiStatus: number): StatusInfo;

/** What a server answers for a request id already claimed. */
export const ALREADY_HANDLED: { readonly code: "ERR_ALREADY_HANDLED"; readonly status: 400; readonly message: string };
