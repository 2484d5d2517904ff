// Core: the JavaScript face of the wasm module's C ABI (wasm/jazzrpc_abi.h), one method
// per operation, each a line to the file of its concept (all in this folder):
//
//  - abi-caller.js   how arguments cross into module memory and results come out (the
//                    scratch block, wiped after every call); abi.js the exports and statuses;
//  - arguments.js    the checks of every argument; json-text.js JSON text as the core reads
//                    it; raw-strings.js the strings cojson writes unescaped; report.js verdicts;
//  - canonical.js    canonicalize, secureHash, shortHash;  blake3.js;  base58.js;
//  - ed25519.js      signKeypair, signerID, signDetached, verifyDetached;
//  - json-signature.js  cojson's sign and verify;
//  - envelope.js     signEnvelope, verifyEnvelope;  jazz-message.js verifyJazzMessage;
//  - message.js      signMessage, verifyMessage (what send() and handle() sign and verify);
//  - account-id.js   accountId, signerIdOfAccount;  signer.js openSigner, Signer;
//  - auth-token.js   createAuthToken, parseAuthToken, verifyAuthToken;
//  - replay-set.js   createReplaySet, ReplaySet.
//
// wasm.js makes the one Core of a program (instantiate.js, host-imports.js); errors.js
// turns a core status into a stable code, an HTTP status and a message.
import { AbiCaller } from "./abi-caller.js";
import { canonicalize, secureHash, shortHash } from "./canonical.js";
import { blake3 } from "./blake3.js";
import { base58Decode, base58Encode } from "./base58.js";
import { signDetached, signKeypair, signerID, verifyDetached } from "./ed25519.js";
import { sign, verify } from "./json-signature.js";
import { signEnvelope, verifyEnvelope } from "./envelope.js";
import { verifyJazzMessage } from "./jazz-message.js";
import { signMessage, verifyMessage } from "./message.js";
import { accountId, signerIdOfAccount } from "./account-id.js";
import { openSigner } from "./signer.js";
import { createAuthToken, parseAuthToken, verifyAuthToken } from "./auth-token.js";
import { createReplaySet } from "./replay-set.js";

export { CLIENT_EXPORTS, REQUIRED_EXPORTS, SERVER_EXPORTS } from "./abi.js";
export { Signer } from "./signer.js";
export { ReplaySet } from "./replay-set.js";

export class Core {
  #abi;
  #replaySets;
  #signers;

  #kind;

  /**
   * @param {WebAssembly.Exports} exports of an instantiated, initialized jazzrpc module
   * @param {"server" | "browser"} [kind]
   */
  constructor(exports, kind = "server") {
    this.#kind = kind;
    this.#replaySets = new FinalizationRegistry((handle) => exports.jazzrpc_replay_destroy(handle));
    this.#signers = new FinalizationRegistry((handle) => exports.jazzrpc_signer_close(handle));
    this.#abi = new AbiCaller(exports);
  }

  /**
   * Which core this is: "server" (jazzrpc.wasm, everything) or "browser"
   * (jazzrpc-client.wasm: keys, signing with an open signer, checking answers; the
   * server paths throw ERR_SERVER_CORE).
   * @returns {"server" | "browser"}
   */
  get kind() {
    return this.#kind;
  }

  /** Bytes of module memory now: it grows for a large input and never shrinks (freed blocks are reused). */
  get memoryBytes() {
    return this.#abi.exports.memory.buffer.byteLength;
  }

  // ---- canonical JSON and hashes (canonical.js, blake3.js) ----

  /** cojson's stableStringify(JSON.parse(text)), computed by the core. */
  canonicalize(text, limits) {
    return canonicalize(this.#abi, text, limits);
  }

  /** "hash_z…": base58 of BLAKE3-256 of the canonical text. */
  secureHash(text, limits) {
    return secureHash(this.#abi, text, limits);
  }

  /** "shortHash_z…": base58 of the first 19 bytes of BLAKE3 of the canonical text. */
  shortHash(text, limits) {
    return shortHash(this.#abi, text, limits);
  }

  blake3(bytes, outLen = 32) {
    return blake3(this.#abi, bytes, outLen);
  }

  // ---- base58 (base58.js) ----

  base58Encode(bytes) {
    return base58Encode(this.#abi, bytes);
  }

  base58Decode(text) {
    return base58Decode(this.#abi, text);
  }

  // ---- ed25519 (ed25519.js, json-signature.js) ----

  /** A new identity {signerSecret, signerID}; from a 32-byte seed when given, else from host randomness. */
  signKeypair(seed) {
    return signKeypair(this.#abi, seed);
  }

  /** "signer_z…" of a "signerSecret_z…". */
  signerID(signerSecret) {
    return signerID(this.#abi, signerSecret);
  }

  /** A 64-byte ed25519 signature of msg by the key of a 32-byte seed, or by an open Signer (core.openSigner). */
  signDetached(msg, key) {
    return signDetached(this.#abi, msg, key);
  }

  /** true when sig is a valid signature of msg by publicKey; false for any failure. */
  verifyDetached(sig, msg, publicKey) {
    return verifyDetached(this.#abi, sig, msg, publicKey);
  }

  /** cojson's sign: "signature_z…" over UTF-8(stableStringify(JSON.parse(json))). */
  sign(signerSecret, json) {
    return sign(this.#abi, signerSecret, json);
  }

  /**
   * cojson's verify. false when the signature does not verify or the signature or
   * signer id is not decodable; throws when json is not acceptable JSON.
   */
  verify(signature, json, signerID) {
    return verify(this.#abi, signature, json, signerID);
  }

  // ---- request envelopes, DESIGN.md section 3 (envelope.js, jazz-message.js) ----

  /** The JSON text of a signed request body {contentPieces, id, createdAt, authToken, signerID}. */
  signEnvelope(envelope = {}, signerSecret) {
    return signEnvelope(this.#abi, envelope, signerSecret);
  }

  /**
   * Verifies a request body at time `now` (the caller's clock; the core has none).
   * Never throws for a bad body: returns {ok:false, code, status, message, ...}.
   */
  verifyEnvelope(body, options = {}) {
    return verifyEnvelope(this.#abi, body, options);
  }

  /**
   * Verifies a jazz-tools request or response body: the envelope, then that its
   * signer is the account that created the CoValue it names (`creator`).
   * Never throws for a bad body.
   */
  verifyJazzMessage(body, options = {}) {
    return verifyJazzMessage(this.#abi, body, options);
  }

  // ---- jazzrpc messages: envelopes bound to url, worker and request (message.js, account-id.js, signer.js) ----

  /** "co_z…": the account id of a signer id (the same public key). */
  accountId(signerID) {
    return accountId(this.#abi, signerID);
  }

  /** "signer_z…": the signer id of an account id (the same public key). */
  signerIdOfAccount(accountId) {
    return signerIdOfAccount(this.#abi, accountId);
  }

  /**
   * Signs a message. spec: {kind: "request"|"response", url, workerId, inResponseTo?,
   * nonce, value, createdAt}; returns the body's JSON text.
   */
  signMessage(signer, spec) {
    return signMessage(this.#abi, signer, spec);
  }

  /**
   * A signer secret decoded and expanded once, held in module memory: signMessage
   * with it skips deriving the public key (a scalar multiplication) for every
   * message. Wiped when closed, or when the Signer is garbage-collected.
   */
  openSigner(signerSecret) {
    return openSigner(this.#abi, this.#signers, signerSecret);
  }

  /**
   * Verifies a message against what is expected of it (spec: kind, url, workerId,
   * inResponseTo). Never throws for a bad body; `value` is the parsed value when ok, else null.
   */
  verifyMessage(body, spec, options) {
    return verifyMessage(this.#abi, body, spec, options);
  }

  // ---- auth tokens: "signature_z…~co_z…~createdAt" (auth-token.js) ----

  createAuthToken(signerSecret, id, createdAt) {
    return createAuthToken(this.#abi, signerSecret, id, createdAt);
  }

  parseAuthToken(token) {
    return parseAuthToken(this.#abi, token);
  }

  /** Never throws for a bad token: returns {ok, code, status, message}. */
  verifyAuthToken(token, signerID, options = {}) {
    return verifyAuthToken(this.#abi, token, signerID, options);
  }

  // ---- replay sets (replay-set.js) ----

  createReplaySet() {
    return createReplaySet(this.#abi, this.#replaySets);
  }
}
