// Stable reasons: every JazzRequestError that handle() answers with, or that send(),
// deliver() and verify() throw, carries one of these in `reason` (on the wire, a
// `reason` field beside message and code, which jazz-tools clients ignore). The
// core's codes keep their names (core/errors.js); the rest are the glue's.

/** @type {Readonly<Record<string, { status: number, meaning: string }>>} */
export const REASONS = Object.freeze({
  // The body, before any signature is checked.
  ERR_METHOD: { status: 405, meaning: "not a POST" },
  ERR_TOO_LARGE: { status: 413, meaning: "the body is larger than maxBodyBytes" },
  ERR_BODY_TIMEOUT: { status: 408, meaning: "the body did not arrive within bodyTimeoutMs" },
  ERR_BODY_INCOMPLETE: { status: 400, meaning: "the client closed the connection before the body's end" },
  ERR_NOT_JSON: { status: 400, meaning: "the body is not JSON" },
  ERR_TOO_DEEP: { status: 400, meaning: "the body is nested deeper than maxDepth" },
  ERR_MALFORMED: { status: 400, meaning: "the body is not a request of this format" },
  // The signature and the time window.
  ERR_BAD_SIGNATURE: { status: 401, meaning: "the signature, key, encoding or id does not check out" },
  ERR_UNBOUND_SIGNER: { status: 401, meaning: "the body is not signed by the account that made it" },
  ERR_EXPIRED: { status: 401, meaning: "older than the window, and no answer of it is stored" },
  ERR_FUTURE: { status: 401, meaning: "dated further in the future than skew" },
  ERR_WRONG_ROUTE: { status: 400, meaning: "signed for another route's url" },
  ERR_WRONG_WORKER: { status: 400, meaning: "signed for another worker" },
  ERR_SCHEMA: { status: 400, meaning: "the value does not match the request schema (details.issues)" },
  // The id's life.
  ERR_BEING_HANDLED: { status: 409, meaning: "a copy of this request is running: retry after Retry-After" },
  ERR_ALREADY_HANDLED: { status: 400, meaning: "a duplicate, with duplicates: \"reject\"" },
  ERR_ANSWER_NOT_STORED: { status: 500, meaning: "the request was handled, but its answer was too large to keep (or dropped at the guard's cap)" },
  ERR_OUTCOME_UNKNOWN: { status: 500, meaning: "the copy that ran died before it answered and the guard cannot know whether its effect happened: reconcile" },
  ERR_GUARD_UNAVAILABLE: { status: 503, meaning: "the replay guard failed or did not answer in time: retry" },
  ERR_IDEMPOTENCY_KEY_REUSED: { status: 422, meaning: "an idempotency key used before by this signer on this route, with other values" },
  ERR_RATE_LIMITED: { status: 429, meaning: "the signer sent more requests than the route's rateLimit allows in its window: retry after Retry-After" },
  // The handler.
  ERR_HANDLER: { status: 0, meaning: "the handler's own JazzRequestError (its status)" },
  ERR_INTERNAL: { status: 500, meaning: "the handler or the server failed; nothing of the cause is sent" },
  ERR_NOT_FOUND: { status: 404, meaning: "no route at this path (toFetchHandler with a list of routes)" },
  // send() and deliver(), on the client.
  ERR_NETWORK: { status: 503, meaning: "the server could not be reached, through every retry" },
  ERR_RESPONSE_INCOMPLETE: { status: 502, meaning: "the answer could not be read in full or parsed, through every retry" },
  ERR_RESPONSE_REFUSED: { status: 502, meaning: "the answer is not signed by the worker, or answers another request (details.code)" },
  ERR_RESPONSE_SCHEMA: { status: 502, meaning: "the answer does not match the response schema (details.issues)" },
  ERR_HTTP: { status: 0, meaning: "an answer that is not jazzrpc's (a proxy's 404, say): its status" },
});

/** The reason of a core verdict's code: key, encoding and id failures are, to the sender, a bad signature. */
export function reasonOfCode(code) {
  if (code === "ERR_BAD_KEY" || code === "ERR_BAD_ENCODING" || code === "ERR_BAD_ID") return "ERR_BAD_SIGNATURE";
  return Object.prototype.hasOwnProperty.call(REASONS, code) ? code : "ERR_INTERNAL";
}
