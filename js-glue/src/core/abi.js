// The C ABI's names and numbers (wasm/jazzrpc_abi.h): the exports the glue calls, and
// the status codes they return (negated: a negative result is -status).

/**
 * The exports every core has. The browser core (dist/jazzrpc-client.wasm, what the
 * "browser" condition loads) has these only: a client signs requests with an open signer
 * and checks the worker's answers (wasm/exports-client.txt).
 */
export const CLIENT_EXPORTS = [
  "memory", "jazzrpc_alloc", "jazzrpc_free", "jazzrpc_output_ptr", "jazzrpc_output_len", "jazzrpc_output_wipe",
  "jazzrpc_init", "jazzrpc_base58_encode", "jazzrpc_base58_decode", "jazzrpc_sign_keypair", "jazzrpc_sign_seed_keypair",
  "jazzrpc_sign_signer_id", "jazzrpc_sign_detached", "jazzrpc_sign_verify_detached", "jazzrpc_account_id",
  "jazzrpc_message_sign", "jazzrpc_message_verify", "jazzrpc_auth_token_create", "jazzrpc_signer_open",
  "jazzrpc_signer_close", "jazzrpc_signer_id", "jazzrpc_signer_message_sign", "jazzrpc_signer_sign_detached",
];

/** The server core's (dist/jazzrpc.wasm) exports beyond those: checking requests, replay sets, the jazz-tools format. */
export const SERVER_EXPORTS = [
  "jazzrpc_canonicalize", "jazzrpc_secure_hash", "jazzrpc_short_hash", "jazzrpc_blake3", "jazzrpc_sign_json",
  "jazzrpc_verify_json", "jazzrpc_envelope_sign", "jazzrpc_envelope_verify", "jazzrpc_account_signer_id",
  "jazzrpc_auth_token_parse", "jazzrpc_auth_token_verify", "jazzrpc_replay_create", "jazzrpc_replay_destroy",
  "jazzrpc_replay_claim", "jazzrpc_replay_count", "jazzrpc_replay_bytes", "jazzrpc_replay_release",
  "jazzrpc_jazz_message_verify",
];

/** The exports Core calls: the server core has all of them; init() refuses a module that lacks one of either list (a stale build). */
export const REQUIRED_EXPORTS = [...CLIENT_EXPORTS, ...SERVER_EXPORTS];

/** The core's status codes the glue tells apart (errors.js has the whole table: code, HTTP status, message). */
export const STATUS = { NOT_JSON: 1, TOO_LARGE: 2, MALFORMED: 4, BAD_SIGNATURE: 5, BAD_KEY: 8, BAD_ENCODING: 9, INVALID_ARGUMENT: 10, INTERNAL: 11 };
