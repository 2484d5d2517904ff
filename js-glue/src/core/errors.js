// The one table from the core's status codes (wasm/jazzrpc_abi.h, negated in
// return values) to stable error codes, HTTP statuses and messages.
// The messages of 1-6 are the ones jazz-tools answers with.

const STATUS_TABLE = [
  ["OK", 200, "OK"],
  ["ERR_NOT_JSON", 400, "Request payload is not valid JSON"],
  ["ERR_TOO_LARGE", 413, "Request payload is too large"],
  ["ERR_TOO_DEEP", 400, "Request payload is nested too deeply"],
  ["ERR_MALFORMED", 400, "Request payload is not valid"],
  ["ERR_BAD_SIGNATURE", 401, "Invalid signature"],
  ["ERR_EXPIRED", 401, "Authentication token is expired"],
  ["ERR_FUTURE", 401, "Request is dated in the future"],
  ["ERR_BAD_KEY", 400, "Invalid key"],
  ["ERR_BAD_ENCODING", 400, "Invalid encoding"],
  ["ERR_INVALID_ARGUMENT", 400, "Invalid argument"],
  ["ERR_INTERNAL", 500, "Internal error"],
  ["ERR_WRONG_ROUTE", 400, "Request is signed for another route"],
  ["ERR_WRONG_WORKER", 400, "Request is signed for another worker"],
  ["ERR_BAD_ID", 400, "Request id does not match its content"],
  ["ERR_WRONG_SIGNER", 401, "Response is not signed by the worker"],
  ["ERR_WRONG_REQUEST", 400, "Response answers another request"],
  ["ERR_UNBOUND_SIGNER", 401, "Request is not signed by its creator"],
].map(([code, status, message]) => Object.freeze({ code, status, message }));

/** The answer to a request id that was already claimed (not a core status). */
export const ALREADY_HANDLED = Object.freeze({
  code: "ERR_ALREADY_HANDLED",
  status: 400,
  message: "Request payload is already handled",
});

/** {code, status, message} of a core status (0..17); unknown values are internal errors. */
export function describeStatus(abiStatus) {
  return (
    STATUS_TABLE[abiStatus] ??
    Object.freeze({ code: "ERR_INTERNAL", status: 500, message: `Internal error (unknown core status ${abiStatus})` })
  );
}

export class JazzRpcError extends Error {
  /**
   * @param {string} code    stable code, e.g. "ERR_BAD_SIGNATURE"
   * @param {number} status  HTTP status
   * @param {string} message
   */
  constructor(code, status, message, options) {
    super(message, options);
    this.name = "JazzRpcError";
    this.code = code;
    this.status = status;
  }

  /** The error of a core status (the positive value, not the negated return). */
  static fromStatus(abiStatus) {
    const { code, status, message } = describeStatus(abiStatus);
    return new JazzRpcError(code, status, message);
  }
}
