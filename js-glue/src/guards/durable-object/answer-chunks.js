// Chunked answers: a stored answer (its JSON, UTF-8) longer than CHUNK_BYTES does not go
// in its id's row of the claim table but in rows of CHUNK_BYTES in the CHUNKS table,
// (id, n, data), written and read in the same transaction as their row (Durable Objects
// allow 2 MB per row and 100 KB per SQL statement). Synchronous, as the claim table is.

export const CHUNKS = "jazzrpc_answer_chunks";
/**
 * A stored answer (its JSON, UTF-8) at most this long is kept in its id's row; a longer
 * one is split into rows of this size in CHUNKS, written and read in one transaction
 * (Durable Objects allow 2 MB per row and 100 KB per SQL statement).
 */
export const CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createChunkTable(sql) {
  sql.exec(`CREATE TABLE IF NOT EXISTS ${CHUNKS} (id TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (id, n))`);
}

/** The text of an answer stored in `count` chunks; throws when any is missing. */
export function readChunks(sql, id, count) {
  const parts = sql.exec(`SELECT data FROM ${CHUNKS} WHERE id = ? AND n < ? ORDER BY n`, id, count).toArray();
  if (parts.length !== count) throw new Error(`jazzrpc: the stored answer of ${id} lacks ${count - parts.length} of its ${count} chunks`);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.data.byteLength, 0));
  let at = 0;
  for (const { data } of parts) {
    bytes.set(new Uint8Array(data), at);
    at += data.byteLength;
  }
  return decoder.decode(bytes);
}

/**
 * Writes an answer's text in chunks when it is longer than CHUNK_BYTES as UTF-8; answers
 * what its row keeps: { inline: the text, or null when chunked; chunks: how many }.
 */
export function writeChunks(sql, id, text) {
  let inline = text;
  let chunks = 0;
  if (text.length > CHUNK_BYTES / 3) {
    const bytes = encoder.encode(text);
    if (bytes.length > CHUNK_BYTES) {
      inline = null;
      for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
        sql.exec(`INSERT OR REPLACE INTO ${CHUNKS} (id, n, data) VALUES (?, ?, ?)`, id, chunks++, bytes.slice(at, at + CHUNK_BYTES).buffer);
      }
    }
  }
  return { inline, chunks };
}
