// Sharding: which of a guard's `shards` objects owns an id.

import { getCore } from "../../core/wasm.js";

export const MAX_SHARDS = 4096;
const encoder = new TextEncoder();

/** The shard of an id: BLAKE3 of its UTF-8, first 4 bytes as an unsigned integer, modulo shards. */
export function shardOf(id, shards) {
  const digest = getCore().blake3(encoder.encode(id), 4);
  return (((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0) % shards;
}
