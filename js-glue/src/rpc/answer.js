// The answers handle() gives, as plain values ({ status, headers, body }) until the
// last moment, so that an answer can be stored for a request id and given again,
// byte for byte, to its duplicates. Building an answer cannot fail: whatever was
// thrown (any value, a Proxy whose traps throw, a JazzRequestError whose details JSON
// cannot write), the client gets a Response and the server's own code learns what
// happened through onError (or console.error).

import { JazzRequestError } from "./request-error.js";
import { ALREADY_HANDLED } from "../core/errors.js";

const JSON_HEADERS = Object.freeze({ "Content-Type": "application/json" });
const ERROR_HEADERS = Object.freeze({ "Content-Type": "application/json", "X-Jazz-Request-Error": "true" });
const INTERNAL = '{"message":"Internal server error","code":500,"reason":"ERR_INTERNAL"}';
/** What a duplicate of a request still running is told; send() retries it. */
export const BEING_HANDLED = Object.freeze({ code: "ERR_BEING_HANDLED", status: 409, message: "Request is being handled, retry" });
/** What a duplicate of a request whose answer was not kept is told: definitive, never a retry loop. */
export const ANSWER_NOT_STORED = Object.freeze({
  code: "ERR_ANSWER_NOT_STORED",
  status: 500,
  message: "Request was handled, but its answer was not kept (too large, or dropped at the guard's cap)",
});
const RETRY_AFTER_SECONDS = "1";

/** A success: the signed payload. */
export const successAnswer = (payload) => ({ status: 200, headers: JSON_HEADERS, body: `{"type":"success","payload":${payload}}` });

/** The answer of a JazzRequestError: status = code, X-Jazz-Request-Error (as jazz-tools). Throws when details cannot be written. */
export const errorAnswer = (error) => ({ status: error.code, headers: ERROR_HEADERS, body: JSON.stringify(error.toJSON()) });

/** 500 "Internal server error": nothing of the cause reaches the client. */
export const internalAnswer = () => ({ status: 500, headers: ERROR_HEADERS, body: INTERNAL });

/** Where a Response made by handle() keeps its answer: a server adapter writes it without reading the stream. */
export const ANSWER = Symbol.for("jazzrpc.answer");

/** A Response of an answer, with extra headers. */
export function responseOf(answer, extraHeaders) {
  const headers = extraHeaders ? { ...answer.headers, ...extraHeaders } : answer.headers;
  const response = new Response(answer.body, { status: answer.status, headers });
  response[ANSWER] = { status: answer.status, headers, body: answer.body };
  return response;
}

/** The answer a Response holds (the jazz-tools path answers with Responses). */
export async function answerOf(response) {
  const headers = {};
  for (const name of ["Content-Type", "X-Jazz-Request-Error"]) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: response.status, headers, body: await response.text() };
}

const encoder = new TextEncoder();
/** UTF-8 bytes of a string, without encoding it when it is plainly small enough. */
export const byteLength = (text) => (text.length * 3 <= 1024 ? text.length : encoder.encode(text).length);

/**
 * The answer to anything handle() caught. A JazzRequestError of ours (a refusal,
 * or the handler's own, already read into plain values) is answered as it says;
 * everything else, and a JazzRequestError that cannot be written, is a 500 told to
 * onError. `info` ({ route, requestId }) goes into the log line.
 */
export function answerForError(error, opts, info) {
  if (isOurs(error)) {
    try {
      return { ...errorAnswer(error), fromHandler: error.fromHandler === true };
    } catch (cause) {
      report(opts, new Error("the handler's JazzRequestError cannot be sent: its details are not JSON", { cause }), { ...info, status: 500, reason: "ERR_INTERNAL" });
      return internalAnswer();
    }
  }
  report(opts, error, { ...info, status: 500, reason: "ERR_INTERNAL" });
  return internalAnswer();
}

/** The Response to anything handle() caught. */
export const answerError = (error, opts, info) => responseOf(answerForError(error, opts, info));

/** An answer with extra headers. */
export const withHeaders = (answer, extraHeaders) => ({ status: answer.status, headers: { ...answer.headers, ...extraHeaders }, body: answer.body });

/**
 * The answer to a duplicate of a request id. "replay" (the default): the stored
 * answer with X-Jazz-Replayed, 409 with Retry-After while the first is running, and
 * ERR_ANSWER_NOT_STORED (definitive) when its answer was not kept. "reject": 400
 * already handled.
 */
export function duplicateAnswer(claim, mode) {
  if (mode !== "reject" && claim.state === "done" && claim.answer) return withHeaders(claim.answer, { "X-Jazz-Replayed": "true" });
  if (mode !== "reject" && claim.state === "done") {
    return errorAnswer(new JazzRequestError(ANSWER_NOT_STORED.message, ANSWER_NOT_STORED.status, undefined, { reason: ANSWER_NOT_STORED.code }));
  }
  if (mode !== "reject" && claim.state === "running") {
    return withHeaders(errorAnswer(new JazzRequestError(BEING_HANDLED.message, BEING_HANDLED.status, undefined, { reason: BEING_HANDLED.code })), {
      "Retry-After": RETRY_AFTER_SECONDS,
    });
  }
  return errorAnswer(new JazzRequestError(ALREADY_HANDLED.message, ALREADY_HANDLED.status, undefined, { reason: ALREADY_HANDLED.code }));
}

function isOurs(error) {
  try {
    return error instanceof JazzRequestError;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/**
 * Tells onError(error, info), or logs one line (route, request id, status, reason),
 * then the cause, when there is none; never throws. info: { route, requestId, status, reason }.
 */
export function report(opts, error, info = {}) {
  try {
    if (typeof opts?.onError === "function") {
      opts.onError(error, info);
      return;
    }
  } catch {
    // an onError that throws must not turn an answer into a rejection
    return;
  }
  try {
    const { route = "?", requestId = "-", status = "-", reason = "-" } = info;
    console.error(`jazzrpc: ${route} request ${requestId}: ${status} ${reason}:`, describeCause(error));
  } catch {
    // a thrown value whose inspection throws
  }
}

// The cause, printed in full: a schema failure's issues as JSON rather than "[Array]".
function describeCause(error) {
  let text;
  try {
    text = error instanceof Error ? error.stack ?? String(error) : String(error);
  } catch {
    return "(a value that cannot be printed)";
  }
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause.details?.issues) {
      try {
        text += `\n  issues: ${JSON.stringify(cause.details.issues)}`;
      } catch {
        // issues that JSON cannot write
      }
    }
    if (cause.cause instanceof Error && cause.cause !== cause) text += `\n  caused by: ${cause.cause.stack ?? cause.cause}`;
  }
  return text;
}
