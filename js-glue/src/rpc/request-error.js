// JazzRequestError: the error a handler throws to answer with a status, and the
// error send() throws for every failure. Same shape as jazz-tools'.

export class JazzRequestError extends Error {
  /**
   * @param {string} message
   * @param {number} code  the HTTP status
   * @param {unknown} [details]
   * @param {{ cause?: unknown, reason?: string }} [options] reason: a stable reason (rpc/reasons.js, or an app's own)
   */
  constructor(message, code, details, options) {
    super(message, options);
    this.name = "JazzRequestError";
    this.code = code;
    this.details = details;
    this.isJazzRequestError = true;
    if (typeof options?.reason === "string") this.reason = options.reason;
  }

  toJSON() {
    const json = this.details === undefined ? { message: this.message, code: this.code } : { message: this.message, code: this.code, details: this.details };
    if (this.reason !== undefined) json.reason = this.reason;
    return json;
  }
}

/** True for a JazzRequestError, ours or jazz-tools', or its plain JSON shape. */
export function isJazzRequestError(error) {
  if (error instanceof JazzRequestError) return true;
  if (typeof error !== "object" || error === null) return false;
  if ("isJazzRequestError" in error && Boolean(error.isJazzRequestError)) return true;
  return typeof error.message === "string" && Number.isInteger(error.code) && error.code >= 400 && error.code <= 599;
}
