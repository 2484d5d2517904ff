// Canonical JSON and the hashes of it: cojson's stableStringify(JSON.parse(text)), and
// its "hash_z…" and "shortHash_z…", computed by the core.
import { JazzRpcError } from "./errors.js";
import { limit } from "./arguments.js";
import { jsonStatus, jsonText } from "./json-text.js";

/** cojson's stableStringify(JSON.parse(text)), computed by the core. */
export function canonicalize(abi, text, limits) {
  return onJson(abi, "jazzrpc_canonicalize", text, limits);
}

/** "hash_z…": base58 of BLAKE3-256 of the canonical text. */
export function secureHash(abi, text, limits) {
  return onJson(abi, "jazzrpc_secure_hash", text, limits);
}

/** "shortHash_z…": base58 of the first 19 bytes of BLAKE3 of the canonical text. */
export function shortHash(abi, text, limits) {
  return onJson(abi, "jazzrpc_short_hash", text, limits);
}

// An export that takes JSON text and its limits and writes text.
function onJson(abi, name, text, { maxBytes, maxDepth } = {}) {
  const input = jsonText(text, "text");
  maxBytes = limit(maxBytes, "maxBytes");
  maxDepth = limit(maxDepth, "maxDepth");
  const refused = jsonStatus(input, maxBytes);
  if (refused) throw JazzRpcError.fromStatus(refused);
  abi.check(name, input, maxBytes, maxDepth);
  return abi.outputText();
}
