// Reads a request body as bytes, with a size limit and a deadline: more than
// maxBytes is refused without reading it all, and a body not read in full within
// timeoutMs (a client sending a byte at a time) is refused, its stream cancelled.

import { JazzRequestError } from "./request-error.js";
import { describeStatus } from "../core/errors.js";

export const TOO_LARGE = describeStatus(2);
export const BODY_TIMED_OUT = Object.freeze({ code: "ERR_BODY_TIMEOUT", status: 408, message: "Request body timed out" });
export const BODY_INCOMPLETE = Object.freeze({ code: "ERR_BODY_INCOMPLETE", status: 400, message: "Request body is incomplete: the client closed the connection" });

/**
 * A Request made by a server adapter may carry its body's source under this key
 * (toNodeListener: the IncomingMessage, read without web streams); readBody reads
 * from it directly while the Request's own stream is untouched.
 */
export const BODY_SOURCE = Symbol.for("jazzrpc.bodySource");

const tooLarge = () => new JazzRequestError(TOO_LARGE.message, TOO_LARGE.status, undefined, { reason: TOO_LARGE.code });

/**
 * @param {Request} request
 * @param {number} maxBytes
 * @param {number} timeoutMs
 * @returns {Promise<Uint8Array>} the body; throws a JazzRequestError 413 or 408
 */
export async function readBody(request, maxBytes, timeoutMs) {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  const source = request[BODY_SOURCE];
  if (source !== undefined && !source.taken && !request.bodyUsed) return source.read(maxBytes, timeoutMs);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs, null);
  });
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      let step;
      try {
        step = await Promise.race([reader.read(), deadline]);
      } catch (cause) {
        // The platform's stream failed: the client went away mid-body (Hono's "aborted",
        // Deno's BadResource, workerd's "Network connection lost"). Not a server error.
        throw new JazzRequestError(BODY_INCOMPLETE.message, BODY_INCOMPLETE.status, undefined, { cause, reason: BODY_INCOMPLETE.code });
      }
      if (step === null) {
        reader.cancel().catch(() => {});
        throw new JazzRequestError(BODY_TIMED_OUT.message, BODY_TIMED_OUT.status, undefined, { reason: BODY_TIMED_OUT.code });
      }
      if (step.done) break;
      const chunk = step.value;
      total += chunk.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  return concat(chunks, total);
}

function concat(chunks, total) {
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
