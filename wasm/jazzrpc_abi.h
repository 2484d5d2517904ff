/*
 * jazzrpc C ABI: what the WebAssembly module exports to JavaScript.
 *
 * Conventions (libsodium-like: one verb per function, lengths explicit):
 * - Every function returns an int. A negative value is -jazzrpc_status (see below);
 *   zero or positive is success. Functions that produce text or bytes write them to
 *   the module's output buffer and return its length; read it through
 *   jazzrpc_output_ptr() before the next call, then call jazzrpc_output_wipe()
 *   when it held a secret.
 * - Inputs are (pointer, length) pairs in the module's memory, allocated with
 *   jazzrpc_alloc and released with jazzrpc_free (which wipes before freeing).
 * - Time is always an argument (milliseconds since the epoch, as a double); the
 *   module has no clock. Randomness comes from the host (WASI random_get).
 * - No function throws or aborts on bad input.
 */
#ifndef JAZZRPC_ABI_H
#define JAZZRPC_ABI_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Status codes, returned negated. Stable: JS maps them to error codes. */
enum jazzrpc_status {
  JAZZRPC_OK = 0,
  JAZZRPC_ERR_NOT_JSON = 1,        /* input is not JSON text */
  JAZZRPC_ERR_TOO_LARGE = 2,       /* input over the size limit */
  JAZZRPC_ERR_TOO_DEEP = 3,        /* nesting over the depth limit */
  JAZZRPC_ERR_MALFORMED = 4,       /* JSON, but not the expected shape */
  JAZZRPC_ERR_BAD_SIGNATURE = 5,   /* signature does not verify */
  JAZZRPC_ERR_EXPIRED = 6,         /* createdAt older than the window */
  JAZZRPC_ERR_FUTURE = 7,          /* createdAt beyond the allowed skew */
  JAZZRPC_ERR_BAD_KEY = 8,         /* secret or signer id not decodable */
  JAZZRPC_ERR_BAD_ENCODING = 9,    /* base58 or prefix invalid */
  JAZZRPC_ERR_INVALID_ARGUMENT = 10,
  JAZZRPC_ERR_INTERNAL = 11,
  JAZZRPC_ERR_WRONG_ROUTE = 12,    /* signed for another url path */
  JAZZRPC_ERR_WRONG_WORKER = 13,   /* signed for another worker */
  JAZZRPC_ERR_BAD_ID = 14,         /* id not derived from the content and signer */
  JAZZRPC_ERR_WRONG_SIGNER = 15,   /* a response not signed by the worker */
  JAZZRPC_ERR_WRONG_REQUEST = 16,  /* a response to another request */
  JAZZRPC_ERR_UNBOUND_SIGNER = 17  /* jazz-tools body: the signer did not create the request */
};

/* memory and output */
void *jazzrpc_alloc(size_t len);
void jazzrpc_free(void *ptr, size_t len);
const uint8_t *jazzrpc_output_ptr(void);
size_t jazzrpc_output_len(void);
void jazzrpc_output_wipe(void);

int jazzrpc_init(void);

/* canonical JSON and hashes; max_bytes/max_depth: 0 means the default (1 MiB, 64) */
int jazzrpc_canonicalize(const char *json, size_t json_len, size_t max_bytes, uint32_t max_depth);
int jazzrpc_secure_hash(const char *json, size_t json_len, size_t max_bytes, uint32_t max_depth);  /* "hash_z…" */
int jazzrpc_short_hash(const char *json, size_t json_len, size_t max_bytes, uint32_t max_depth);   /* "shortHash_z…" */
int jazzrpc_blake3(const uint8_t *in, size_t in_len, size_t out_len);   /* raw bytes, any out_len <= 65536 */

/* base58 (Bitcoin alphabet), for short values: its cost is quadratic in the length, so
   encode refuses more than 1024 bytes and decode more than 1399 characters (TOO_LARGE) */
int jazzrpc_base58_encode(const uint8_t *in, size_t in_len);
int jazzrpc_base58_decode(const char *in, size_t in_len);

/* ed25519 */
int jazzrpc_sign_keypair(void);                        /* output: JSON {"signerSecret","signerID"} */
int jazzrpc_sign_seed_keypair(const uint8_t *seed32);  /* same, from a 32-byte seed */
int jazzrpc_sign_signer_id(const char *secret, size_t secret_len);   /* "signer_z…" */
int jazzrpc_sign_detached(const uint8_t *msg, size_t msg_len, const uint8_t *seed32);  /* 64 raw bytes */
int jazzrpc_sign_verify_detached(const uint8_t *sig, size_t sig_len, const uint8_t *msg, size_t msg_len,
                                 const uint8_t *pk, size_t pk_len);   /* 0 valid, -5 invalid */
/* cojson's sign/verify: the message is UTF-8(stableStringify(JSON.parse(json))) */
int jazzrpc_sign_json(const char *secret, size_t secret_len, const char *json, size_t json_len);   /* "signature_z…" */
int jazzrpc_verify_json(const char *sig, size_t sig_len, const char *json, size_t json_len,
                        const char *signer_id, size_t signer_id_len);

/* envelope {contentPieces, id, createdAt, signerID, authToken} */
int jazzrpc_envelope_sign(const char *secret, size_t secret_len, const char *content_pieces_json,
                          size_t content_pieces_len, const char *id, size_t id_len, double created_at);
int jazzrpc_envelope_verify(const char *body, size_t body_len, double now, double window_ms, double skew_ms,
                            size_t max_bytes, uint32_t max_depth);
/* envelope_verify writes JSON {"id","signerID","createdAt","expiresAt"} to the output when the
   body parsed far enough to know them, whatever the verdict. */

/* auth tokens: "signature_z…~co_z…~createdAt" */
int jazzrpc_auth_token_create(const char *secret, size_t secret_len, const char *id, size_t id_len, double created_at);
int jazzrpc_auth_token_parse(const char *token, size_t token_len);   /* output JSON {"signature","id","createdAt"} */
int jazzrpc_auth_token_verify(const char *token, size_t token_len, const char *signer_id, size_t signer_id_len,
                              double now, double expiration_ms, double skew_ms);

/* jazzrpc messages (src/message.h): an envelope bound to its route.
   spec: {"kind":"request"|"response","url","workerId","inResponseTo"?,"nonce","value":{…},"createdAt"}
   message_verify reads kind, url, workerId and inResponseTo from spec, and writes
   {"id","signerID","madeBy","createdAt","expiresAt","value"} (value as canonical JSON)
   when the envelope parsed, whatever the verdict (value only when valid). */
int jazzrpc_account_id(const char *signer_id, size_t signer_id_len);   /* "co_z…": the same key */
int jazzrpc_account_signer_id(const char *account_id, size_t account_id_len);   /* "signer_z…" */
int jazzrpc_message_sign(const char *secret, size_t secret_len, const char *spec_json, size_t spec_len);
int jazzrpc_message_verify(const char *body, size_t body_len, const char *spec_json, size_t spec_len, double now,
                           double window_ms, double skew_ms, size_t max_bytes, uint32_t max_depth);

/* open signers: a secret decoded and expanded once, kept in module memory until
   closed (then wiped), for a worker that signs every response. A handle is an integer
   from 1 to 2^53 - 1, passed as a double (exact in a JavaScript number), given once in
   the life of the module: never again after it was closed. Any number that is not an
   open handle is refused (invalid argument). signer_open returns the handle, or a
   negative status. */
double jazzrpc_signer_open(const char *secret, size_t secret_len);
int jazzrpc_signer_close(double handle);
int jazzrpc_signer_id(double handle);  /* "signer_z…" */
int jazzrpc_signer_message_sign(double handle, const char *spec_json, size_t spec_len);
int jazzrpc_signer_sign_detached(double handle, const uint8_t *msg, size_t msg_len);  /* output: 64-byte signature */

/* jazz-tools bodies (src/jazz.h): envelope_verify plus the signer binding; writes
   {"id","signerID","createdAt","expiresAt","creator"} when the envelope parsed. */
int jazzrpc_jazz_message_verify(const char *body, size_t body_len, double now, double window_ms, double skew_ms,
                                size_t max_bytes, uint32_t max_depth);

/* replay set: handles > 0 */
int jazzrpc_replay_create(void);
int jazzrpc_replay_destroy(int handle);
int jazzrpc_replay_claim(int handle, const char *id, size_t id_len, double expires_at, double now);  /* 1 first, 0 seen */
int jazzrpc_replay_release(int handle, const char *id, size_t id_len);  /* 1 released, 0 not live */
double jazzrpc_replay_count(int handle);
double jazzrpc_replay_bytes(int handle);

#ifdef __cplusplus
}
#endif
#endif
