// The C ABI's names and numbers (wasm/jazzrpc_abi.h): the exports the glue calls, and
// the status codes they return (negated: a negative result is -status).

/** The exports Core calls; init() refuses a module that lacks one (a stale build). */
export const REQUIRED_EXPORTS = [
  "memory", "jazzrpc_alloc", "jazzrpc_free", "jazzrpc_output_ptr", "jazzrpc_output_len", "jazzrpc_output_wipe",
  "jazzrpc_init", "jazzrpc_canonicalize", "jazzrpc_secure_hash", "jazzrpc_short_hash", "jazzrpc_blake3",
  "jazzrpc_base58_encode", "jazzrpc_base58_decode", "jazzrpc_sign_keypair", "jazzrpc_sign_seed_keypair",
  "jazzrpc_sign_signer_id", "jazzrpc_sign_detached", "jazzrpc_sign_verify_detached", "jazzrpc_sign_json",
  "jazzrpc_verify_json", "jazzrpc_envelope_sign", "jazzrpc_envelope_verify", "jazzrpc_account_id", "jazzrpc_account_signer_id",
  "jazzrpc_message_sign", "jazzrpc_message_verify", "jazzrpc_auth_token_create", "jazzrpc_auth_token_parse",
  "jazzrpc_auth_token_verify", "jazzrpc_replay_create", "jazzrpc_replay_destroy", "jazzrpc_replay_claim",
  "jazzrpc_replay_count", "jazzrpc_replay_bytes", "jazzrpc_replay_release", "jazzrpc_signer_open", "jazzrpc_signer_close",
  "jazzrpc_signer_id", "jazzrpc_signer_message_sign", "jazzrpc_jazz_message_verify",
];

/** The core's status codes the glue tells apart (errors.js has the whole table: code, HTTP status, message). */
export const STATUS = { NOT_JSON: 1, TOO_LARGE: 2, MALFORMED: 4, BAD_SIGNATURE: 5, BAD_KEY: 8, BAD_ENCODING: 9, INVALID_ARGUMENT: 10, INTERNAL: 11 };
