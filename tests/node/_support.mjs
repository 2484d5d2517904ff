// Shared helpers of the node:test suites: the core under test, independent JS
// references (cojson's stableStringify, base58, BLAKE3 from @noble/hashes,
// ed25519 from node:crypto), a seeded PRNG and an error matcher.
// Not a test file itself (the runner only picks up *.test.mjs here).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { blake3 } from "@noble/hashes/blake3";

const glue = await import("../../js-glue/src/entries/node.js");
export const core = glue.core;
export const JazzRpcError = glue.JazzRpcError;

// ---- where the published vectors live ---------------------------------------
// tests/vectors in the repository (with their licenses); JAZZRPC_VECTORS overrides.
export const vectorsURL = process.env.JAZZRPC_VECTORS
  ? pathToFileURL(process.env.JAZZRPC_VECTORS.replace(/\/?$/, "/"))
  : new URL("../vectors/", import.meta.url);

// ---- cojson's stableStringify, copied exactly --------------------------------
export function stableStringify(node) {
  if (node === undefined) return;
  if (typeof node == "number") return isFinite(node) ? "" + node : "null";
  if (typeof node !== "object") {
    if (typeof node === "string" && (node.startsWith("encrypted_U") || node.startsWith("binary_U"))) return `"${node}"`;
    return JSON.stringify(node);
  }
  if (Array.isArray(node)) { let out = "["; for (let i = 0; i < node.length; i++) { if (i) out += ","; out += stableStringify(node[i]) || "null"; } return out + "]"; }
  if (node === null) return "null";
  const keys = Object.keys(node).sort(); let out = "";
  for (const key of keys) { const value = stableStringify(node[key]); if (!value) continue; if (out) out += ","; out += JSON.stringify(key) + ":" + value; }
  return "{" + out + "}";
}

// ---- base58 (Bitcoin alphabet), BigInt-free ------------------------------------
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const ALPHABET_INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

export function refBase58Encode(bytes) {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits = []; // base-58 digits, least significant first
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i];
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j] * 256;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) { digits.push(carry % 58); carry = Math.floor(carry / 58); }
  }
  let out = "1".repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i]];
  return out;
}

export function refBase58Decode(text) {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  const bytes = []; // base-256 digits, least significant first
  for (let i = zeros; i < text.length; i++) {
    let carry = ALPHABET_INDEX.get(text[i]);
    if (carry === undefined) throw new Error(`not base58: ${JSON.stringify(text[i])}`);
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j] * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i];
  return out;
}

// ---- reference hashes, as cojson computes them -------------------------------
const encoder = new TextEncoder();
export const utf8 = (s) => encoder.encode(s);

export function refSecureHashOfCanonical(canonical) {
  return "hash_z" + refBase58Encode(blake3(utf8(canonical)));
}
export function refSecureHash(value) {
  return refSecureHashOfCanonical(stableStringify(value));
}
export function refShortHash(value) {
  return "shortHash_z" + refBase58Encode(blake3(utf8(stableStringify(value))).subarray(0, 19));
}
export { blake3 as nobleBlake3 };

// ---- ed25519 from node:crypto (OpenSSL), independent of the core --------------
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function nodeKeyFromSeed(seed) {
  assert.equal(seed.length, 32);
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]),
    format: "der",
    type: "pkcs8",
  });
  const spki = crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  return { privateKey, publicKey };
}

export function nodeSign(msg, seed) {
  return new Uint8Array(crypto.sign(null, Buffer.from(msg), nodeKeyFromSeed(seed).privateKey));
}

// A jazz-tools style identity from a seed: the strings cojson uses.
export function refIdentity(seed) {
  const { publicKey } = nodeKeyFromSeed(seed);
  return {
    seed,
    publicKey,
    signerSecret: "signerSecret_z" + refBase58Encode(seed),
    signerID: "signer_z" + refBase58Encode(publicKey),
  };
}

// cojson's sign(secret, value): ed25519 over UTF-8(stableStringify(value)).
export function refSignValue(seed, value) {
  return "signature_z" + refBase58Encode(nodeSign(utf8(stableStringify(value)), seed));
}

// DESIGN.md section 3: the authToken of an envelope.
export function refEnvelopeAuthToken(seed, { contentPieces, id, createdAt, signerID }) {
  const hash = refSecureHash({ contentPieces, id, createdAt, signerID });
  return refSignValue(seed, hash); // the message is "\"hash_z…\""
}

// ---- bytes -------------------------------------------------------------------
export const hex = (s) => new Uint8Array(Buffer.from(s, "hex"));
export const toHex = (b) => Buffer.from(b).toString("hex");

// ---- seeded PRNG (xoshiro128**) ------------------------------------------------
export function makeRng(seed) {
  let s0 = 0x9e3779b9 ^ seed, s1 = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b), s2 = 0xb7e15162, s3 = 0x7f4a7c15 ^ (seed >>> 16);
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    return result;
  };
  function rotl(x, k) { return (x << k) | (x >>> (32 - k)); }
  for (let i = 0; i < 16; i++) next();
  const rng = {
    u32: next,
    float: () => next() / 4294967296,
    int: (n) => Math.floor((next() / 4294967296) * n), // 0 <= k < n
    pick: (arr) => arr[Math.floor((next() / 4294967296) * arr.length)],
    chance: (p) => next() / 4294967296 < p,
    bytes: (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = next() & 0xff; return b; },
  };
  return rng;
}

// ---- errors --------------------------------------------------------------------
// assert.throws predicate: a JazzRpcError with this code (and status, when given).
export function jazzError(code, status) {
  return (err) => {
    if (JazzRpcError) assert.ok(err instanceof JazzRpcError, `expected a JazzRpcError, got ${err?.name}: ${err?.message}`);
    assert.equal(typeof err.code, "string", `error without a string code: ${err?.name}: ${err?.message}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  };
}
