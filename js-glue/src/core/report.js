// The verdicts of the verify exports: the JSON report the core wrote, read, and the
// verdict made of it with the status's stable code, HTTP status and message.
import { JazzRpcError, describeStatus } from "./errors.js";

/** A report the core wrote, or {} when the input did not parse far enough to have one. */
export function parseReport(text) {
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new JazzRpcError("ERR_INTERNAL", 500, "Internal error (the core wrote an unreadable report)");
  }
}

/** { ok, code, status, message, ...fields } of a core status. */
export const withReport = (abiStatus, fields) => ({ ok: abiStatus === 0, ...describeStatus(abiStatus), ...fields });
