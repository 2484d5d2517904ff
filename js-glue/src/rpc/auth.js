// Auth tokens with jazz-tools' semantics: "signature_z…~co_z…~createdAt" in
// "Authorization: Jazz <token>", 60 s expiry by default. The account id is the
// signer's key (see account.js), so a token verifies with no lookup.

import { getCore } from "../core/wasm.js";

/** A token for `account`, valid from now for the verifier's expiration. */
export function generateAuthToken(account, options = {}) {
  if (!account || typeof account.secret !== "string") throw new TypeError("generateAuthToken: an Account is required");
  const now = options.now ?? Date.now;
  return getCore().createAuthToken(account.secret, account.id, now());
}

function defaultGetToken(request) {
  const header = request.headers.get("Authorization");
  if (header?.startsWith("Jazz ")) return header.slice("Jazz ".length);
  return undefined;
}

const MESSAGES = {
  ERR_MALFORMED: "Invalid token",
  ERR_EXPIRED: "Token expired",
  ERR_FUTURE: "Token is dated in the future",
  ERR_BAD_SIGNATURE: "Invalid signature",
  ERR_BAD_KEY: "Invalid signature",
};

/**
 * @param {Request} request
 * @param {{ expiration?: number, skew?: number, getToken?: (r: Request) => string | undefined, now?: () => number }} [options]
 * @returns {Promise<{ account?: { id: string, signerID: string }, error?: { message: string, details?: unknown } }>}
 */
export async function authenticateRequest(request, options = {}) {
  const token = options.getToken?.(request) ?? defaultGetToken(request);
  if (!token) return {};
  const core = getCore();
  let parsed;
  try {
    parsed = core.parseAuthToken(token);
  } catch {
    return { error: { message: "Invalid token" } };
  }
  let signerID;
  try {
    signerID = core.signerIdOfAccount(parsed.id);
  } catch {
    return { error: { message: "Failed to load account", details: { id: parsed.id } } };
  }
  const now = (options.now ?? Date.now)();
  const verdict = core.verifyAuthToken(token, signerID, {
    now,
    expiration: options.expiration ?? 60_000,
    skew: options.skew ?? 10_000,
  });
  if (!verdict.ok) return { error: { message: MESSAGES[verdict.code] ?? "Invalid token" } };
  return { account: Object.freeze({ id: parsed.id, signerID }) };
}
