// A node:http request body, read from the IncomingMessage itself.
//
// Node 20's web-stream adapter (Readable.toWeb) throws an uncaught ERR_INVALID_STATE
// when data arrives after its stream was cancelled, which is what a size limit does:
// one oversized POST killed the process. This reader never hands a chunk to a closed
// controller: past the limit, the deadline or an abort it stops listening, pauses the
// socket and marks the body abandoned, so the listener answers with `Connection: close`
// and closes the connection once the answer is written. Its cost is one 'data' event
// per chunk, as a bare node:http server pays, whatever the chunking.

import { JazzRequestError } from "../rpc/request-error.js";
import { BODY_INCOMPLETE, BODY_TIMED_OUT, TOO_LARGE } from "../rpc/body.js";

/** The body of an IncomingMessage: read in full once (read), or as a web stream (stream). */
export class NodeBody {
  #req;
  #taken = false;
  /** True once reading stopped before the end: the connection is closed after the answer. */
  abandoned = false;

  /** @param {import("node:http").IncomingMessage} req */
  constructor(req) {
    this.#req = req;
    req.on("error", () => {}); // an aborted upload: answered by read()/stream(), never an uncaught error
  }

  /** True once read() or stream() took the body. */
  get taken() {
    return this.#taken;
  }

  /**
   * The whole body, or a JazzRequestError: 413 past maxBytes, 408 past timeoutMs,
   * 400 when the client closed the connection before the end.
   * @returns {Promise<Uint8Array>}
   */
  read(maxBytes, timeoutMs) {
    const req = this.#req;
    if (this.#taken) return Promise.reject(new TypeError("jazzrpc: the request body was already read"));
    this.#taken = true;
    return new Promise((resolve, reject) => {
      const chunks = [];
      let total = 0;
      const finish = (error) => {
        clearTimeout(timer);
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("aborted", onAborted);
        req.off("close", onClose);
        if (error) {
          this.#abandon();
          reject(error);
        } else {
          resolve(total === 0 ? new Uint8Array(0) : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
        }
      };
      const onData = (chunk) => {
        total += chunk.length;
        if (total > maxBytes) finish(new JazzRequestError(TOO_LARGE.message, TOO_LARGE.status, undefined, { reason: TOO_LARGE.code }));
        else chunks.push(chunk);
      };
      const onEnd = () => finish(null);
      const onAborted = () => finish(new JazzRequestError(BODY_INCOMPLETE.message, BODY_INCOMPLETE.status, undefined, { reason: BODY_INCOMPLETE.code }));
      const onClose = () => {
        if (!req.complete) onAborted();
      };
      const timer = setTimeout(() => finish(new JazzRequestError(BODY_TIMED_OUT.message, BODY_TIMED_OUT.status, undefined, { reason: BODY_TIMED_OUT.code })), timeoutMs);
      // `req.complete` only says the parser has the whole message: its data may still be
      // buffered in the stream (the app awaited before this read), and resume() delivers
      // it with 'end'. Only a stream that already ended has nothing left to give.
      if (req.readableEnded) {
        finish(null);
        return;
      }
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("aborted", onAborted);
      req.on("close", onClose);
      req.resume();
    });
  }

  /**
   * The body as a web ReadableStream, for handlers that read `request.body` themselves.
   * Built on the same events; cancelling it stops reading (never a late enqueue).
   */
  stream() {
    const req = this.#req;
    let closed = false;
    let started = false;
    const stop = () => {
      closed = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onAborted);
    };
    let controller;
    const onData = (chunk) => {
      if (closed) return;
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (controller.desiredSize <= 0) req.pause();
    };
    const onEnd = () => {
      if (closed) return;
      stop();
      controller.close();
    };
    const onAborted = () => {
      if (closed) return;
      stop();
      controller.error(new JazzRequestError(BODY_INCOMPLETE.message, BODY_INCOMPLETE.status, undefined, { reason: BODY_INCOMPLETE.code }));
    };
    return new ReadableStream(
      {
        pull: (c) => {
          controller = c;
          if (!started) {
            if (this.#taken) throw new TypeError("jazzrpc: the request body was already read");
            this.#taken = started = true;
            req.on("data", onData);
            req.on("end", onEnd);
            req.on("aborted", onAborted);
          }
          req.resume();
        },
        cancel: () => {
          stop();
          this.#abandon();
        },
      },
      { highWaterMark: 0 }, // pulled only when read: building the Request takes nothing
    );
  }

  // Stops reading: no more data is taken from the socket; the listener closes it.
  #abandon() {
    this.abandoned = true;
    this.#req.pause();
  }
}
