// A jazz-tools request or response body (src/jazz.cpp): the envelope, then that its
// signer is the account that created the CoValue it names.
import { verifyReported } from "./envelope.js";

/**
 * Verifies a jazz-tools request or response body: the envelope, then that its
 * signer is the account that created the CoValue it names (`creator`).
 * Never throws for a bad body.
 */
export function verifyJazzMessage(abi, body, options = {}) {
  return verifyReported(abi, "jazzrpc_jazz_message_verify", body, options, { creator: null });
}
