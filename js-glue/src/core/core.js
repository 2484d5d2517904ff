// Core: the JavaScript face of the wasm module's C ABI (wasm/jazzrpc_abi.h).
// Inputs are copied into module memory (jazzrpc_alloc) and always released
// (jazzrpc_free wipes them); outputs are read from the module's output buffer.
// Module memory can grow during any call, so views of it are never kept.
import { JazzRpcError, describeStatus } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const DEFAULT_MAX_BYTES = 1 << 20; // the core's default, 1 MiB (src/json.h)
const MAX_U32 = 0xffffffff;

/** The exports Core calls; init() refuses a module that lacks one (a stale build). */
export const REQUIRED_EXPORTS = [
  "memory", "jazzrpc_alloc", "jazzrpc_free", "jazzrpc_output_ptr", "jazzrpc_output_len", "jazzrpc_output_wipe",
  "jazzrpc_init", "jazzrpc_canonicalize", "jazzrpc_secure_hash", "jazzrpc_short_hash", "jazzrpc_blake3",
  "jazzrpc_base58_encode", "jazzrpc_base58_decode", "jazzrpc_sign_keypair", "jazzrpc_sign_seed_keypair",
  "jazzrpc_sign_signer_id", "jazzrpc_sign_detached", "jazzrpc_sign_verify_detached", "jazzrpc_sign_json",
  "jazzrpc_verify_json", "jazzrpc_envelope_sign", "jazzrpc_envelope_verify", "jazzrpc_account_id", "jazzrpc_account_signer_id",
  "jazzrpc_message_sign", "jazzrpc_message_verify", "jazzrpc_auth_token_create", "jazzrpc_auth_token_parse",
  "jazzrpc_auth_token_verify", "jazzrpc_replay_create", "jazzrpc_replay_destroy", "jazzrpc_replay_claim",
  "jazzrpc_replay_count", "jazzrpc_replay_bytes", "jazzrpc_replay_release", "jazzrpc_signer_open", "jazzrpc_signer_close",
  "jazzrpc_signer_id", "jazzrpc_signer_message_sign",
];

const STATUS = { NOT_JSON: 1, TOO_LARGE: 2, MALFORMED: 4, BAD_SIGNATURE: 5, BAD_KEY: 8, BAD_ENCODING: 9, INVALID_ARGUMENT: 10, INTERNAL: 11 };

// An argument passed as a pointer alone: its length is fixed by the ABI (a 32-byte seed).
class PointerOnly {
  constructor(bytes) {
    this.bytes = bytes;
  }
}

// ---- argument checks ------------------------------------------------------------

function bytesOf(value, name) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
}

// JSON text as the core should read it. A string is JSON.parse's input: the core
// reads UTF-8 as TextDecoder does (dropping a leading BOM), so a string that starts
// with a BOM is refused here (null: not JSON, as JSON.parse says), and lone
// surrogates, which UTF-8 cannot carry, are written as the \udxxx escapes that
// JSON.parse makes of them inside string literals.
function jsonText(value, name) {
  if (typeof value !== "string") return bytesOf(value, name);
  if (value.charCodeAt(0) === 0xfeff) return null;
  return value.isWellFormed?.() === false ? escapeLoneSurrogates(value) : value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeLoneSurrogates(text) {
  return text.replace(LONE_SURROGATE, (unit, offset) => {
    let backslashes = 0;
    while (offset - backslashes > 0 && text.charCodeAt(offset - backslashes - 1) === 0x5c) backslashes++;
    // after an odd run of backslashes the text is an invalid escape: leave it so (U+FFFD)
    return backslashes % 2 === 1 ? unit : `\\u${unit.charCodeAt(0).toString(16)}`;
  });
}

// cojson's canonical text writes strings starting with "encrypted_U" or "binary_U"
// between quotes with no escaping. Such a string holding a quote, a backslash or a
// control character would rewrite the signed content (inject fields), so the glue
// refuses to sign one. (cojson's own encrypted values are base64url.)
const RAW_PREFIX = /^(?:encrypted_U|binary_U)/;
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function refuseUnsafeRawStrings(value, name, depth = 0) {
  if (typeof value === "string") {
    if (RAW_PREFIX.test(value) && (NEEDS_ESCAPE.test(value) || value.isWellFormed?.() === false)) {
      throw new JazzRpcError(
        "ERR_INVALID_ARGUMENT",
        400,
        `${name}: a string starting with "encrypted_U" or "binary_U" cannot hold quotes, backslashes or control characters (cojson writes it unescaped)`,
      );
    }
  } else if (typeof value === "object" && value !== null && depth < 1024) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) refuseUnsafeRawStrings(item, name, depth + 1);
  }
}

function string(value, name) {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  return value;
}

function finite(value, name) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number (milliseconds), got ${describe(value)}`);
  }
  return value;
}

function duration(value, name) {
  if (finite(value, name) < 0) throw new TypeError(`${name} must be >= 0, got ${value}`);
  return value;
}

function limit(value, name) {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new TypeError(`${name} must be an integer from 0 (the default) to ${MAX_U32}, got ${describe(value)}`);
  }
  return value;
}

function fixedBytes(value, length, name) {
  const bytes = bytesOf(value, name);
  if (bytes.length !== length) {
    throw new JazzRpcError("ERR_INVALID_ARGUMENT", 400, `${name} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value === "string" ? "a string" : `${typeof value} ${String(value)}`;
}

// An input over the size limit is refused before it is copied into module memory
// (which never shrinks). UTF-8 never has fewer bytes than UTF-16 code units.
function overLimit(input, maxBytes) {
  return input.length > (maxBytes || DEFAULT_MAX_BYTES);
}

// A report the core wrote, or {} when the input did not parse far enough to have one.
function parseReport(text) {
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new JazzRpcError("ERR_INTERNAL", 500, "Internal error (the core wrote an unreadable report)");
  }
}

const withReport = (abiStatus, fields) => ({ ok: abiStatus === 0, ...describeStatus(abiStatus), ...fields });

// ---- the core ---------------------------------------------------------------------

// The trailing arguments of the verify exports: now, window, skew, maxBytes, maxDepth.
function verifyArgs({ now, window = 60000, skew = 10000, maxBytes, maxDepth } = {}) {
  return [finite(now, "now"), duration(window, "window"), duration(skew, "skew"), limit(maxBytes, "maxBytes"), limit(maxDepth, "maxDepth")];
}

// Small inputs are written into one scratch block of module memory, allocated once
// and wiped (zeroed) after every call; larger ones get a block of their own, freed
// (and wiped) by jazzrpc_free. Calls never nest: wasm calls no JS that calls back.
const SCRATCH_BYTES = 16 << 10;

export class Core {
  #x;
  #replaySets;
  #signers;
  #mem; // a view of module memory, renewed when the memory grows
  #scratch;
  #scratchView = null;

  /** @param {WebAssembly.Exports} exports of an instantiated, initialized jazzrpc module */
  constructor(exports) {
    this.#x = exports;
    this.#replaySets = new FinalizationRegistry((handle) => exports.jazzrpc_replay_destroy(handle));
    this.#signers = new FinalizationRegistry((handle) => exports.jazzrpc_signer_close(handle));
    this.#scratch = exports.jazzrpc_alloc(SCRATCH_BYTES) >>> 0;
    if (this.#scratch === 0) throw new JazzRpcError("ERR_INTERNAL", 500, "Internal error (out of module memory)");
    this.#mem = new Uint8Array(exports.memory.buffer);
  }

  /** Bytes of module memory now: it grows for a large input and never shrinks (freed blocks are reused). */
  get memoryBytes() {
    return this.#x.memory.buffer.byteLength;
  }

  #memory() {
    const buffer = this.#x.memory.buffer;
    if (this.#mem.buffer !== buffer) this.#mem = new Uint8Array(buffer);
    return this.#mem;
  }

  // Calls an ABI function. Strings and bytes become (pointer, length) pairs,
  // PointerOnly a pointer, numbers pass through. Returns the raw result.
  #call(name, ...args) {
    const x = this.#x;
    const scratch = this.#scratch;
    let used = 0; // bytes of the scratch block taken by arguments
    let dirty = 0; // bytes of the scratch block written (an argument that did not fit may have begun there)
    let held = null; // [pointer, length] of blocks of their own: freed (and wiped) by jazzrpc_free
    const allocate = (size) => {
      const ptr = x.jazzrpc_alloc(size) >>> 0;
      if (ptr === 0) throw new JazzRpcError("ERR_INTERNAL", 500, `Internal error (out of module memory for ${size} bytes)`);
      (held ??= []).push(ptr, size);
      return ptr;
    };
    try {
      const flat = [];
      for (const arg of args) {
        if (typeof arg === "number") {
          flat.push(arg);
        } else if (typeof arg === "string") {
          // UTF-8 written straight into module memory, with no copy in JS (which held
          // secrets until wiped): into the scratch block when it fits for sure (three
          // bytes per UTF-16 unit at most) or as ASCII, else into a block of the size
          // UTF-8 may need.
          const free = SCRATCH_BYTES - used;
          let ptr = scratch + used;
          let { read, written } = arg.length <= free ? this.#encode(arg, ptr, free) : { read: -1, written: 0 };
          dirty = Math.max(dirty, used + written);
          if (read === arg.length) {
            used += written;
          } else {
            ptr = allocate(Math.max(1, arg.length * 3));
            ({ written } = this.#encode(arg, ptr, arg.length * 3));
          }
          flat.push(ptr, written);
        } else {
          const fixed = arg instanceof PointerOnly;
          const bytes = fixed ? arg.bytes : arg;
          let ptr;
          if (bytes.length <= SCRATCH_BYTES - used) {
            ptr = scratch + used;
            used += bytes.length;
            dirty = Math.max(dirty, used);
          } else {
            ptr = allocate(bytes.length);
          }
          this.#memory().set(bytes, ptr);
          flat.push(ptr);
          if (!fixed) flat.push(bytes.length);
        }
      }
      return x[name](...flat);
    } finally {
      if (dirty > 0) this.#memory().fill(0, scratch, scratch + dirty);
      if (held !== null) for (let i = 0; i < held.length; i += 2) x.jazzrpc_free(held[i], held[i + 1]);
    }
  }

  // Writes an id (not a secret, so not wiped) into the scratch block for the replay
  // set's exports, one call per request: returns its UTF-8 length, or -1 when it may
  // not fit (then the caller goes through #call).
  #writeId(text) {
    if (text.length * 3 > SCRATCH_BYTES) return -1;
    const buffer = this.#x.memory.buffer;
    if (this.#scratchView?.buffer !== buffer) this.#scratchView = new Uint8Array(buffer, this.#scratch, SCRATCH_BYTES);
    return encoder.encodeInto(text, this.#scratchView).written;
  }

  #replayClaim(handle, id, expiresAt, now) {
    const length = this.#writeId(id);
    return length < 0
      ? this.#call("jazzrpc_replay_claim", handle, id, expiresAt, now)
      : this.#x.jazzrpc_replay_claim(handle, this.#scratch, length, expiresAt, now);
  }

  #replayRelease(handle, id) {
    const length = this.#writeId(id);
    return length < 0 ? this.#call("jazzrpc_replay_release", handle, id) : this.#x.jazzrpc_replay_release(handle, this.#scratch, length);
  }

  #encode(text, ptr, size) {
    return encoder.encodeInto(text, this.#memory().subarray(ptr, ptr + size));
  }

  // Like #call, but a negative result throws the matching JazzRpcError.
  #check(name, ...args) {
    const result = this.#call(name, ...args);
    if (result < 0) throw JazzRpcError.fromStatus(-result);
    return result;
  }

  // The output buffer as a copy; wiped in the module when it held a secret.
  #outputBytes(secret = false) {
    const x = this.#x;
    const ptr = x.jazzrpc_output_ptr() >>> 0;
    const len = x.jazzrpc_output_len() >>> 0;
    const out = this.#memory().slice(ptr, ptr + len);
    if (secret) x.jazzrpc_output_wipe();
    return out;
  }

  #outputText(secret = false) {
    const x = this.#x;
    const ptr = x.jazzrpc_output_ptr() >>> 0;
    const len = x.jazzrpc_output_len() >>> 0;
    const text = decoder.decode(this.#memory().subarray(ptr, ptr + len));
    if (secret) x.jazzrpc_output_wipe();
    return text;
  }

  // The JSON report of the verify and parse functions.
  #outputReport() {
    return parseReport(this.#outputText());
  }

  // Checks what the core would refuse before copying: the size first, then a string's BOM.
  #jsonStatus(input, maxBytes) {
    if (input !== null && overLimit(input, maxBytes)) return STATUS.TOO_LARGE;
    return input === null ? STATUS.NOT_JSON : 0;
  }

  #json(name, text, { maxBytes, maxDepth } = {}) {
    const input = jsonText(text, "text");
    maxBytes = limit(maxBytes, "maxBytes");
    maxDepth = limit(maxDepth, "maxDepth");
    const refused = this.#jsonStatus(input, maxBytes);
    if (refused) throw JazzRpcError.fromStatus(refused);
    this.#check(name, input, maxBytes, maxDepth);
    return this.#outputText();
  }

  // ---- canonical JSON and hashes ----

  /** cojson's stableStringify(JSON.parse(text)), computed by the core. */
  canonicalize(text, limits) {
    return this.#json("jazzrpc_canonicalize", text, limits);
  }

  /** "hash_z…": base58 of BLAKE3-256 of the canonical text. */
  secureHash(text, limits) {
    return this.#json("jazzrpc_secure_hash", text, limits);
  }

  /** "shortHash_z…": base58 of the first 19 bytes of BLAKE3 of the canonical text. */
  shortHash(text, limits) {
    return this.#json("jazzrpc_short_hash", text, limits);
  }

  blake3(bytes, outLen = 32) {
    const input = bytesOf(bytes, "bytes");
    if (!Number.isInteger(outLen) || outLen < 1 || outLen > 65536) {
      throw new JazzRpcError("ERR_INVALID_ARGUMENT", 400, `outLen must be an integer from 1 to 65536, got ${outLen}`);
    }
    this.#check("jazzrpc_blake3", input, outLen);
    return this.#outputBytes();
  }

  // ---- base58 ----

  base58Encode(bytes) {
    this.#check("jazzrpc_base58_encode", bytesOf(bytes, "bytes"));
    return this.#outputText();
  }

  base58Decode(text) {
    this.#check("jazzrpc_base58_decode", string(text, "text"));
    return this.#outputBytes();
  }

  // ---- ed25519 ----

  /** A new identity {signerSecret, signerID}; from a 32-byte seed when given, else from host randomness. */
  signKeypair(seed) {
    if (seed === undefined) this.#check("jazzrpc_sign_keypair");
    else this.#check("jazzrpc_sign_seed_keypair", new PointerOnly(fixedBytes(seed, 32, "seed")));
    const { signerSecret, signerID } = JSON.parse(this.#outputText(true));
    return { signerSecret, signerID };
  }

  /** "signer_z…" of a "signerSecret_z…". */
  signerID(signerSecret) {
    this.#check("jazzrpc_sign_signer_id", string(signerSecret, "signerSecret"));
    return this.#outputText();
  }

  /** A 64-byte ed25519 signature of msg by the key of a 32-byte seed. */
  signDetached(msg, seed32) {
    const seed = new PointerOnly(fixedBytes(seed32, 32, "seed32"));
    this.#check("jazzrpc_sign_detached", bytesOf(msg, "msg"), seed);
    return this.#outputBytes();
  }

  /** true when sig is a valid signature of msg by publicKey; false for any failure. */
  verifyDetached(sig, msg, publicKey) {
    const args = [bytesOf(sig, "sig"), bytesOf(msg, "msg"), bytesOf(publicKey, "publicKey")];
    return this.#call("jazzrpc_sign_verify_detached", ...args) === 0;
  }

  /** cojson's sign: "signature_z…" over UTF-8(stableStringify(JSON.parse(json))). */
  sign(signerSecret, json) {
    const input = jsonText(json, "json");
    if (input === null) throw JazzRpcError.fromStatus(STATUS.NOT_JSON);
    this.#check("jazzrpc_sign_json", string(signerSecret, "signerSecret"), input);
    return this.#outputText();
  }

  /**
   * cojson's verify. false when the signature does not verify or the signature or
   * signer id is not decodable; throws when json is not acceptable JSON.
   */
  verify(signature, json, signerID) {
    const input = jsonText(json, "json");
    if (input === null) throw JazzRpcError.fromStatus(STATUS.NOT_JSON);
    const args = [string(signature, "signature"), input, string(signerID, "signerID")];
    const result = this.#call("jazzrpc_verify_json", ...args);
    if (result >= 0) return true;
    if ([STATUS.BAD_SIGNATURE, STATUS.BAD_KEY, STATUS.BAD_ENCODING].includes(-result)) return false;
    throw JazzRpcError.fromStatus(-result);
  }

  // ---- request envelopes (DESIGN.md section 3) ----

  /** The JSON text of a signed request body {contentPieces, id, createdAt, authToken, signerID}. */
  signEnvelope({ contentPieces, id, createdAt } = {}, signerSecret) {
    if (!Array.isArray(contentPieces)) throw new TypeError(`contentPieces must be an array, got ${describe(contentPieces)}`);
    refuseUnsafeRawStrings(contentPieces, "contentPieces");
    this.#check(
      "jazzrpc_envelope_sign",
      string(signerSecret, "signerSecret"),
      JSON.stringify(contentPieces),
      string(id, "id"),
      finite(createdAt, "createdAt"),
    );
    return this.#outputText();
  }

  /**
   * Verifies a request body at time `now` (the caller's clock; the core has none).
   * Never throws for a bad body: returns {ok:false, code, status, message, ...}.
   */
  verifyEnvelope(body, options = {}) {
    return this.#verifyReported("jazzrpc_envelope_verify", body, options, {});
  }

  /**
   * Verifies a jazz-tools request or response body: the envelope, then that its
   * signer is the account that created the CoValue it names (`creator`).
   * Never throws for a bad body.
   */
  verifyJazzMessage(body, options = {}) {
    return this.#verifyReported("jazzrpc_jazz_message_verify", body, options, { creator: null });
  }

  #verifyReported(exportName, body, options, extra) {
    const input = jsonText(body, "body");
    const args = verifyArgs(options);
    let abiStatus = this.#jsonStatus(input, args[3]);
    let report = {};
    if (!abiStatus) {
      const result = this.#call(exportName, input, ...args);
      abiStatus = result < 0 ? -result : 0;
      report = this.#outputReport();
    }
    const fields = {
      id: report.id ?? null,
      signerID: report.signerID ?? null,
      createdAt: report.createdAt ?? null,
      expiresAt: report.expiresAt ?? null,
    };
    for (const key of Object.keys(extra)) fields[key] = report[key] ?? null;
    return withReport(abiStatus, fields);
  }

  // ---- jazzrpc messages: envelopes bound to url, worker and request ----

  /** "co_z…": the account id of a signer id (the same public key). */
  accountId(signerID) {
    this.#check("jazzrpc_account_id", string(signerID, "signerID"));
    return this.#outputText();
  }

  /** "signer_z…": the signer id of an account id (the same public key). */
  signerIdOfAccount(accountId) {
    this.#check("jazzrpc_account_signer_id", string(accountId, "accountId"));
    return this.#outputText();
  }

  /**
   * Signs a message. spec: {kind: "request"|"response", url, workerId, inResponseTo?,
   * nonce, value, createdAt}; returns the body's JSON text.
   */
  signMessage(signer, spec) {
    if (typeof spec !== "object" || spec === null) throw new TypeError(`spec must be an object, got ${describe(spec)}`);
    refuseUnsafeRawStrings(spec, "spec");
    if (typeof signer === "object" && signer !== null) this.#check("jazzrpc_signer_message_sign", signerHandle(signer, this.#x), JSON.stringify(spec));
    else this.#check("jazzrpc_message_sign", string(signer, "signerSecret"), JSON.stringify(spec));
    return this.#outputText();
  }

  /**
   * A signer secret decoded and expanded once, held in module memory: signMessage
   * with it skips deriving the public key (a scalar multiplication) for every
   * message. Wiped when closed, or when the Signer is garbage-collected.
   */
  openSigner(signerSecret) {
    const handle = this.#check("jazzrpc_signer_open", string(signerSecret, "signerSecret"));
    let signerID;
    try {
      this.#check("jazzrpc_signer_id", handle);
      signerID = this.#outputText();
    } catch (error) {
      this.#x.jazzrpc_signer_close(handle);
      throw error;
    }
    const signer = new Signer(MINT, this.#x, handle, signerID, (h) => {
      this.#signers.unregister(signer);
      this.#x.jazzrpc_signer_close(h);
    });
    this.#signers.register(signer, handle, signer);
    return signer;
  }

  /**
   * Verifies a message against what is expected of it (spec: kind, url, workerId,
   * inResponseTo). Never throws for a bad body; `value` is the parsed value when ok, else null.
   */
  verifyMessage(body, spec, options) {
    if (typeof spec !== "object" || spec === null) throw new TypeError(`spec must be an object, got ${describe(spec)}`);
    const input = jsonText(body, "body");
    const args = verifyArgs(options);
    let abiStatus = this.#jsonStatus(input, args[3]);
    let report = {};
    let value = null;
    if (!abiStatus) {
      const result = this.#call("jazzrpc_message_verify", input, JSON.stringify(spec), ...args);
      abiStatus = result < 0 ? -result : 0;
      if (abiStatus === STATUS.INVALID_ARGUMENT || abiStatus === STATUS.INTERNAL) throw JazzRpcError.fromStatus(abiStatus);
      // The core appends the value's canonical text after the other fields. Canonical
      // text writes strings starting with "encrypted_U"/"binary_U" unescaped, so the
      // value is split off before parsing: it must not be able to shadow madeBy or id.
      // Inside the escaped fields before it, `,"` cannot occur.
      const text = this.#outputText();
      const cut = text.indexOf(',"value":');
      report = parseReport(cut < 0 ? text : text.slice(0, cut) + "}");
      if (abiStatus === 0) {
        if (cut < 0) throw new JazzRpcError("ERR_INTERNAL", 500, "Internal error (the core's report has no value)");
        try {
          value = JSON.parse(text.slice(cut + ',"value":'.length, -1));
        } catch {
          abiStatus = STATUS.MALFORMED;
        }
      }
    }
    return withReport(abiStatus, {
      id: report.id ?? null,
      signerID: report.signerID ?? null,
      madeBy: report.madeBy ?? null,
      createdAt: report.createdAt ?? null,
      expiresAt: report.expiresAt ?? null,
      value,
    });
  }

  // ---- auth tokens: "signature_z…~co_z…~createdAt" ----

  createAuthToken(signerSecret, id, createdAt) {
    this.#check(
      "jazzrpc_auth_token_create",
      string(signerSecret, "signerSecret"),
      string(id, "id"),
      finite(createdAt, "createdAt"),
    );
    return this.#outputText();
  }

  parseAuthToken(token) {
    this.#check("jazzrpc_auth_token_parse", string(token, "token"));
    const { signature, id, createdAt } = this.#outputReport();
    return { signature, id, createdAt };
  }

  /** Never throws for a bad token: returns {ok, code, status, message}. */
  verifyAuthToken(token, signerID, { now, expiration = 60000, skew = 10000 } = {}) {
    const result = this.#call(
      "jazzrpc_auth_token_verify",
      string(token, "token"),
      string(signerID, "signerID"),
      finite(now, "now"),
      duration(expiration, "expiration"),
      duration(skew, "skew"),
    );
    return withReport(result < 0 ? -result : 0, {});
  }

  // ---- replay sets ----

  createReplaySet() {
    const handle = this.#check("jazzrpc_replay_create");
    const set = new ReplaySet(
      {
        call: (name, ...args) => this.#call(name, ...args),
        claim: (h, id, expiresAt, now) => this.#replayClaim(h, id, expiresAt, now),
        release: (h, id) => this.#replayRelease(h, id),
      },
      handle,
      () => this.#replaySets.unregister(set),
    );
    this.#replaySets.register(set, handle, set);
    return set;
  }
}

// What only this module can do with a Signer: make one (openSigner passes MINT) and
// read its handle (signers holds it). JavaScript outside cannot build a Signer from a
// number, subclass one into being, or read or borrow a handle (issue 17.5).
const MINT = Symbol("jazzrpc.Signer");
const signers = new WeakMap(); // Signer -> { owner: Core's exports, handle, close }

/** A secret expanded once in module memory (Core#openSigner); signMessage takes it in place of the secret. */
export class Signer {
  /** Made by Core#openSigner only. */
  constructor(mint, owner, handle, signerID, close) {
    if (mint !== MINT || new.target !== Signer) throw new TypeError("jazzrpc: a Signer is made by core.openSigner(signerSecret)");
    signers.set(this, { owner, handle, close });
    /** "signer_z…": the public key */
    this.signerID = signerID;
  }

  /** Wipes the secret from module memory; the signer is unusable afterwards. Safe to call twice. */
  close() {
    const state = signers.get(this);
    if (state === undefined || state.handle === 0) return;
    const handle = state.handle;
    state.handle = 0;
    state.close(handle);
  }
}

// The handle of a Signer the core `owner` opened; throws for anything else.
function signerHandle(signer, owner) {
  const state = signers.get(signer);
  if (state === undefined || state.owner !== owner) throw new TypeError("jazzrpc: not a Signer of this core (make one with core.openSigner)");
  if (state.handle === 0) throw new Error("jazzrpc: this Signer was closed");
  return state.handle;
}

/** The ids claimed in one core replay set, each held until its expiresAt. */
export class ReplaySet {
  #abi;
  #handle;
  #forget;

  /** Made by Core#createReplaySet. */
  constructor(abi, handle, forget) {
    this.#abi = abi;
    this.#handle = handle;
    this.#forget = forget;
  }

  #live() {
    if (this.#handle === 0) throw new Error("jazzrpc: this ReplaySet was freed");
    return this.#handle;
  }

  /** true the first time id is claimed while live; false when it was seen (or expiresAt <= now). */
  claim(id, expiresAt, now) {
    const result = this.#abi.claim(this.#live(), string(id, "id"), finite(expiresAt, "expiresAt"), finite(now, "now"));
    if (result < 0) throw JazzRpcError.fromStatus(-result);
    return result === 1;
  }

  /** Forgets a live id so that it can be claimed again; true when it was live. */
  release(id) {
    const result = this.#abi.release(this.#live(), string(id, "id"));
    if (result < 0) throw JazzRpcError.fromStatus(-result);
    return result === 1;
  }

  /** Ids held now. */
  get count() {
    return this.#abi.call("jazzrpc_replay_count", this.#live());
  }

  /** Bytes of module memory the set holds. */
  get bytes() {
    return this.#abi.call("jazzrpc_replay_bytes", this.#live());
  }

  /** Releases the set's memory; the set is unusable afterwards. Safe to call twice. */
  free() {
    if (this.#handle === 0) return;
    this.#abi.call("jazzrpc_replay_destroy", this.#handle);
    this.#handle = 0;
    this.#forget();
  }
}
