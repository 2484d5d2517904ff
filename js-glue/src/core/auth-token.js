// Auth tokens: "signature_z…~co_z…~createdAt".
import { duration, finite, string } from "./arguments.js";
import { parseReport, withReport } from "./report.js";

export function createAuthToken(abi, signerSecret, id, createdAt) {
  abi.check(
    "jazzrpc_auth_token_create",
    string(signerSecret, "signerSecret"),
    string(id, "id"),
    finite(createdAt, "createdAt"),
  );
  return abi.outputText();
}

export function parseAuthToken(abi, token) {
  abi.check("jazzrpc_auth_token_parse", string(token, "token"));
  const { signature, id, createdAt } = parseReport(abi.outputText());
  return { signature, id, createdAt };
}

/** Never throws for a bad token: returns {ok, code, status, message}. */
export function verifyAuthToken(abi, token, signerID, { now, expiration = 60000, skew = 10000 } = {}) {
  const result = abi.call(
    "jazzrpc_auth_token_verify",
    string(token, "token"),
    string(signerID, "signerID"),
    finite(now, "now"),
    duration(expiration, "expiration"),
    duration(skew, "skew"),
  );
  return withReport(result < 0 ? -result : 0, {});
}
