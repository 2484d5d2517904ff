// The answers handle() gives when it does not succeed, built so that building
// them cannot fail: whatever was thrown (any value, a Proxy whose traps throw, a
// JazzRequestError whose details JSON cannot write), the client gets a Response
// and the server's own code learns what happened through onError (or console.error).

import { JazzRequestError } from "./request-error.js";

const ERROR_HEADERS = Object.freeze({ "Content-Type": "application/json", "X-Jazz-Request-Error": "true" });
const INTERNAL = '{"message":"Internal server error","code":500}';

/** 500 "Internal server error": nothing of the cause reaches the client. */
export function internalError() {
  return new Response(INTERNAL, { status: 500, headers: ERROR_HEADERS });
}

/** The Response of a JazzRequestError: status = code, X-Jazz-Request-Error (as jazz-tools). Throws when details cannot be written. */
export function errorResponse(error) {
  return new Response(JSON.stringify(error.toJSON()), { status: error.code, headers: ERROR_HEADERS });
}

/**
 * The answer to anything handle() caught. A JazzRequestError of ours (a refusal,
 * or the handler's own, already read into plain values) is answered as it says;
 * everything else, and a JazzRequestError that cannot be written, is a 500 told to
 * onError.
 */
export function answerError(error, opts) {
  if (isOurs(error)) {
    try {
      return errorResponse(error);
    } catch (cause) {
      report(opts, new Error("the handler's JazzRequestError cannot be sent: its details are not JSON", { cause }));
      return internalError();
    }
  }
  report(opts, error);
  return internalError();
}

function isOurs(error) {
  try {
    return error instanceof JazzRequestError;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/** Tells onError, or console.error when there is none; never throws. */
export function report(opts, error) {
  try {
    if (typeof opts?.onError === "function") opts.onError(error);
    else console.error("jazzrpc: handle() answered 500 or 503 because of:", error);
  } catch {
    // an onError (or a thrown value's inspection) that throws must not turn an answer into a rejection
  }
}
