#include "sign.h"

#include <array>

#include "base58.h"

namespace jazzrpc {

namespace {

void wipe(std::string &text) {
  if (!text.empty()) sodium_memzero(&text[0], text.size());
}

// "signer_z…" of the key pair of seed.
Status signer_id_of_seed(const std::uint8_t *seed, std::string &signer_id) {
  std::array<std::uint8_t, sign_public_key_bytes> public_key{};
  SecretBytes<crypto_sign_SECRETKEYBYTES> secret_key;
  if (crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed) != 0) return Status::internal;
  signer_id = prefixed_encode(prefix::signer, public_key.data(), public_key.size());
  return Status::ok;
}

}  // namespace

SignerKeypair::~SignerKeypair() { wipe(signer_secret); }

Status sign_seed_keypair(const std::uint8_t *seed, SignerKeypair &out) {
  const Status status = signer_id_of_seed(seed, out.signer_id);
  if (status != Status::ok) return status;
  wipe(out.signer_secret);  // a secret it held before is freed by the assignment
  out.signer_secret = prefixed_encode(prefix::signer_secret, seed, sign_seed_bytes);
  return Status::ok;
}

Status sign_keypair(SignerKeypair &out) {
  SecretBytes<sign_seed_bytes> seed;
  randombytes_buf(seed.data(), seed.size());
  return sign_seed_keypair(seed.data(), out);
}

namespace {

Status decode_seed(std::string_view signer_secret, SecretBytes<sign_seed_bytes> &seed) {
  return prefixed_decode(signer_secret, prefix::signer_secret, seed.size(), seed.data()) == Status::ok
             ? Status::ok
             : Status::bad_key;
}

}  // namespace

Status sign_signer_id(std::string_view signer_secret, std::string &out) {
  SecretBytes<sign_seed_bytes> seed;
  const Status status = decode_seed(signer_secret, seed);
  return status == Status::ok ? signer_id_of_seed(seed.data(), out) : status;
}

Status sign_detached(const std::uint8_t *msg, std::size_t msg_len, const std::uint8_t *seed, std::uint8_t *sig) {
  std::array<std::uint8_t, sign_public_key_bytes> public_key{};
  SecretBytes<crypto_sign_SECRETKEYBYTES> secret_key;
  if (crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed) != 0) return Status::internal;
  if (crypto_sign_detached(sig, nullptr, msg, msg_len, secret_key.data()) != 0) return Status::internal;
  return Status::ok;
}

bool sign_verify_detached(const std::uint8_t *sig, const std::uint8_t *msg, std::size_t msg_len,
                          const std::uint8_t *public_key) {
  return crypto_sign_verify_detached(sig, msg, msg_len, public_key) == 0;
}

Status sign_expand(std::string_view signer_secret, ExpandedSigner &out) {
  SecretBytes<sign_seed_bytes> seed;
  Status status = decode_seed(signer_secret, seed);
  if (status != Status::ok) return status;
  std::array<std::uint8_t, sign_public_key_bytes> public_key{};
  if (crypto_sign_seed_keypair(public_key.data(), out.secret_key.data(), seed.data()) != 0) return Status::internal;
  out.signer_id = prefixed_encode(prefix::signer, public_key.data(), public_key.size());
  return Status::ok;
}

Status sign_detached(const ExpandedSigner &signer, const std::uint8_t *msg, std::size_t msg_len, std::uint8_t *sig) {
  return crypto_sign_detached(sig, nullptr, msg, msg_len, signer.secret_key.data()) == 0 ? Status::ok : Status::internal;
}

Status sign_canonical(const ExpandedSigner &signer, std::string_view canonical, std::string &signature) {
  std::array<std::uint8_t, sign_bytes> sig{};
  if (crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const std::uint8_t *>(canonical.data()),
                           canonical.size(), signer.secret_key.data()) != 0) {
    return Status::internal;
  }
  signature = prefixed_encode(prefix::signature, sig.data(), sig.size());
  return Status::ok;
}

Status sign_canonical(std::string_view signer_secret, std::string_view canonical, std::string &signature) {
  ExpandedSigner signer;
  const Status status = sign_expand(signer_secret, signer);
  return status == Status::ok ? sign_canonical(signer, canonical, signature) : status;
}

Status verify_canonical(std::string_view signature, std::string_view canonical, std::string_view signer_id) {
  std::array<std::uint8_t, sign_bytes> sig{};
  std::array<std::uint8_t, sign_public_key_bytes> public_key{};
  if (prefixed_decode(signer_id, prefix::signer, public_key.size(), public_key.data()) != Status::ok) {
    return Status::bad_key;
  }
  if (prefixed_decode(signature, prefix::signature, sig.size(), sig.data()) != Status::ok) {
    return Status::bad_signature;
  }
  return sign_verify_detached(sig.data(), reinterpret_cast<const std::uint8_t *>(canonical.data()),
                              canonical.size(), public_key.data())
             ? Status::ok
             : Status::bad_signature;
}

std::string quoted_hash_message(std::string_view hash) {
  std::string message;
  message.reserve(hash.size() + 2);
  message += '"';
  message += hash;
  message += '"';
  return message;
}

}  // namespace jazzrpc
