// ed25519 through libsodium, with cojson's encodings:
//   secret    "signerSecret_z" + base58(seed32)
//   signer id "signer_z" + base58(public key 32)
//   signature "signature_z" + base58(sig64)
// cojson signs UTF-8(stableStringify(message)); for a hash string that is the
// hash *with* its two double quotes.
#ifndef JAZZRPC_SIGN_H
#define JAZZRPC_SIGN_H

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "secret.h"
#include "status.h"

namespace jazzrpc {

inline constexpr std::size_t sign_seed_bytes = crypto_sign_SEEDBYTES;
inline constexpr std::size_t sign_public_key_bytes = crypto_sign_PUBLICKEYBYTES;
inline constexpr std::size_t sign_bytes = crypto_sign_BYTES;

struct SignerKeypair {
  std::string signer_secret;  // wiped on destruction
  std::string signer_id;
  SignerKeypair() = default;
  SignerKeypair(const SignerKeypair &) = delete;
  SignerKeypair &operator=(const SignerKeypair &) = delete;
  SignerKeypair(SignerKeypair &&) = default;
  ~SignerKeypair();
};

// Fills out from the seed; the seed stays the caller's to wipe.
Status sign_seed_keypair(const std::uint8_t *seed, SignerKeypair &out);
// A keypair from randombytes_buf (the host's randomness in the wasm build).
Status sign_keypair(SignerKeypair &out);
Status sign_signer_id(std::string_view signer_secret, std::string &out);

// Raw ed25519 over bytes.
Status sign_detached(const std::uint8_t *msg, std::size_t msg_len, const std::uint8_t *seed, std::uint8_t *sig);
bool sign_verify_detached(const std::uint8_t *sig, const std::uint8_t *msg, std::size_t msg_len,
                          const std::uint8_t *public_key);

// A signer secret decoded and expanded once (libsodium's 64-byte secret key: seed
// and public key) with its signer id, for signing more than once without deriving
// the public key again: each derivation is a full scalar multiplication.
struct ExpandedSigner {
  SecretBytes<crypto_sign_SECRETKEYBYTES> secret_key;
  std::string signer_id;
};
Status sign_expand(std::string_view signer_secret, ExpandedSigner &out);

// A 64-byte detached signature of msg by an expanded signer (no key derivation).
Status sign_detached(const ExpandedSigner &signer, const std::uint8_t *msg, std::size_t msg_len, std::uint8_t *sig);

// "signature_z…" over UTF-8 bytes that are already canonical.
Status sign_canonical(std::string_view signer_secret, std::string_view canonical, std::string &signature);
Status sign_canonical(const ExpandedSigner &signer, std::string_view canonical, std::string &signature);
Status verify_canonical(std::string_view signature, std::string_view canonical, std::string_view signer_id);

// The message cojson signs for a hash string H: "\"" + H + "\"".
std::string quoted_hash_message(std::string_view hash);

}  // namespace jazzrpc

#endif
