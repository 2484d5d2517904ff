// A request's nonce: 16 random bytes in base58, or, for a request sent with an
// idempotency key, "idem_" + the key. Either way inside what the signature covers.

import { getCore } from "../core/wasm.js";

/** The nonce of a request or response without an idempotency key. */
export const randomNonce = () => "z" + getCore().base58Encode(randomBytes16());

// Nonces are public (they travel in the signed text), so their randomness is drawn from
// one 4 KiB buffer filled by crypto.getRandomValues, 16 bytes at a time: one call per
// 256 nonces instead of one each (Node's getRandomValues costs ~6 us a call; a pooled
// nonce ~0.55 us, `node build/scratch/rn.mjs`-style loop). Filled on first use, never
// at module load (Workers give no randomness at a module's top level). Each part is
// handed out once.
const POOL_BYTES = 4096;
let pool = null;
let taken = POOL_BYTES;

function randomBytes16() {
  if (taken > POOL_BYTES - 16) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    taken = 0;
  }
  return pool.subarray(taken, (taken += 16));
}

/** A request's nonce carries its idempotency key after this prefix. */
export const KEY_NONCE_PREFIX = "idem_";

const KEY_MARKER = new TextEncoder().encode(`"nonce":"${KEY_NONCE_PREFIX}`);

/**
 * The idempotency key a verified body of ours carries in its nonce, if any. The body's
 * bytes are scanned for the marker first (no decoding of a body without one); only a body
 * that has it is parsed, which a value holding a "nonce" key can also cause (linear cost).
 * @param {Uint8Array} body
 */
export function idempotencyKeyOf(body) {
  if (!includesBytes(body, KEY_MARKER)) return undefined;
  const nonce = JSON.parse(new TextDecoder().decode(body)).contentPieces?.[0]?.nonce;
  return typeof nonce === "string" && nonce.startsWith(KEY_NONCE_PREFIX) ? nonce.slice(KEY_NONCE_PREFIX.length) : undefined;
}

// Whether needle occurs in haystack: indexOf of its first byte, then a compare; a short
// needle keeps this linear in the haystack.
function includesBytes(haystack, needle) {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}
