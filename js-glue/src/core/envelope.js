// Request envelopes (DESIGN.md section 3): jazz-tools' signed body
// {contentPieces, id, createdAt, authToken, signerID}, signed and verified.
import { describe, finite, string, verifyArgs } from "./arguments.js";
import { jsonStatus, jsonText } from "./json-text.js";
import { refuseUnsafeRawStrings } from "./raw-strings.js";
import { parseReport, withReport } from "./report.js";

/** The JSON text of a signed request body {contentPieces, id, createdAt, authToken, signerID}. */
export function signEnvelope(abi, { contentPieces, id, createdAt } = {}, signerSecret) {
  if (!Array.isArray(contentPieces)) throw new TypeError(`contentPieces must be an array, got ${describe(contentPieces)}`);
  refuseUnsafeRawStrings(contentPieces, "contentPieces");
  abi.check(
    "jazzrpc_envelope_sign",
    string(signerSecret, "signerSecret"),
    JSON.stringify(contentPieces),
    string(id, "id"),
    finite(createdAt, "createdAt"),
  );
  return abi.outputText();
}

/**
 * Verifies a request body at time `now` (the caller's clock; the core has none).
 * Never throws for a bad body: returns {ok:false, code, status, message, ...}.
 */
export function verifyEnvelope(abi, body, options = {}) {
  return verifyReported(abi, "jazzrpc_envelope_verify", body, options, {});
}

/**
 * A verify export's verdict: {ok, code, status, message, id, signerID, createdAt,
 * expiresAt} and the report's `extra` fields (null when absent). Never throws for a bad body.
 */
export function verifyReported(abi, exportName, body, options, extra) {
  const input = jsonText(body, "body");
  const args = verifyArgs(options);
  let abiStatus = jsonStatus(input, args[3]);
  let report = {};
  if (!abiStatus) {
    const result = abi.call(exportName, input, ...args);
    abiStatus = result < 0 ? -result : 0;
    report = parseReport(abi.outputText());
  }
  const fields = {
    id: report.id ?? null,
    signerID: report.signerID ?? null,
    createdAt: report.createdAt ?? null,
    expiresAt: report.expiresAt ?? null,
  };
  for (const key of Object.keys(extra)) fields[key] = report[key] ?? null;
  return withReport(abiStatus, fields);
}
