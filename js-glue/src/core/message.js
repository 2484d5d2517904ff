// jazzrpc messages: envelopes bound to a url, a worker and, for a response, the request
// it answers (src/message.cpp). What send() signs and handle() verifies, and back.
import { JazzRpcError } from "./errors.js";
import { describe, string, verifyArgs } from "./arguments.js";
import { jsonStatus, jsonText } from "./json-text.js";
import { refuseUnsafeRawStrings } from "./raw-strings.js";
import { parseReport, withReport } from "./report.js";
import { signerHandle } from "./signer.js";
import { STATUS } from "./abi.js";

/**
 * Signs a message. spec: {kind: "request"|"response", url, workerId, inResponseTo?,
 * nonce, value, createdAt}; returns the body's JSON text. `signer` is a Signer this
 * core opened, or a "signerSecret_z…".
 */
export function signMessage(abi, signer, spec) {
  if (typeof spec !== "object" || spec === null) throw new TypeError(`spec must be an object, got ${describe(spec)}`);
  refuseUnsafeRawStrings(spec, "spec");
  if (typeof signer === "object" && signer !== null) abi.check("jazzrpc_signer_message_sign", signerHandle(signer, abi.exports), JSON.stringify(spec));
  else abi.check("jazzrpc_message_sign", string(signer, "signerSecret"), JSON.stringify(spec));
  return abi.outputText();
}

/**
 * Verifies a message against what is expected of it (spec: kind, url, workerId,
 * inResponseTo). Never throws for a bad body; `value` is the parsed value when ok, else null.
 */
export function verifyMessage(abi, body, spec, options) {
  if (typeof spec !== "object" || spec === null) throw new TypeError(`spec must be an object, got ${describe(spec)}`);
  const input = jsonText(body, "body");
  const args = verifyArgs(options);
  let abiStatus = jsonStatus(input, args[3]);
  let report = {};
  let value = null;
  if (!abiStatus) {
    const result = abi.call("jazzrpc_message_verify", input, JSON.stringify(spec), ...args);
    abiStatus = result < 0 ? -result : 0;
    if (abiStatus === STATUS.INVALID_ARGUMENT || abiStatus === STATUS.INTERNAL) throw JazzRpcError.fromStatus(abiStatus);
    // The core appends the value's canonical text after the other fields. Canonical
    // text writes strings starting with "encrypted_U"/"binary_U" unescaped, so the
    // value is split off before parsing: it must not be able to shadow madeBy or id.
    // Inside the escaped fields before it, `,"` cannot occur.
    const text = abi.outputText();
    const cut = text.indexOf(',"value":');
    report = parseReport(cut < 0 ? text : text.slice(0, cut) + "}");
    if (abiStatus === 0) {
      if (cut < 0) throw new JazzRpcError("ERR_INTERNAL", 500, "Internal error (the core's report has no value)");
      try {
        value = JSON.parse(text.slice(cut + ',"value":'.length, -1));
      } catch {
        abiStatus = STATUS.MALFORMED;
      }
    }
  }
  return withReport(abiStatus, {
    id: report.id ?? null,
    signerID: report.signerID ?? null,
    madeBy: report.madeBy ?? null,
    createdAt: report.createdAt ?? null,
    expiresAt: report.expiresAt ?? null,
    value,
  });
}
