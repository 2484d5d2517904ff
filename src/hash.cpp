#include "hash.h"

#include <blake3.h>

#include "base58.h"

namespace jazzrpc {

void blake3_hash(const std::uint8_t *in, std::size_t in_len, std::uint8_t *out, std::size_t out_len) {
  blake3_hasher hasher;
  blake3_hasher_init(&hasher);
  blake3_hasher_update(&hasher, in, in_len);
  blake3_hasher_finalize(&hasher, out, out_len);
}

std::array<std::uint8_t, blake3_bytes> blake3_hash(std::string_view text) {
  std::array<std::uint8_t, blake3_bytes> digest{};
  blake3_hash(reinterpret_cast<const std::uint8_t *>(text.data()), text.size(), digest.data(), digest.size());
  return digest;
}

std::string secure_hash_canonical(std::string_view canonical) {
  const auto digest = blake3_hash(canonical);
  return prefixed_encode(prefix::hash, digest.data(), digest.size());
}

Status secure_hash(std::string_view json_text, const ParseLimits &limits, std::string &out) {
  std::string canonical;
  const Status status = json_canonicalize(json_text, limits, canonical);
  if (status != Status::ok) return status;
  out = secure_hash_canonical(canonical);
  return Status::ok;
}

Status short_hash(std::string_view json_text, const ParseLimits &limits, std::string &out) {
  std::string canonical;
  const Status status = json_canonicalize(json_text, limits, canonical);
  if (status != Status::ok) return status;
  const auto digest = blake3_hash(canonical);
  out = prefixed_encode(prefix::short_hash, digest.data(), short_hash_bytes);
  return Status::ok;
}

std::string co_id_of(const JsonValue &value) {
  std::string canonical;
  json_write_canonical(value, canonical);
  return co_id_of_canonical(canonical);
}

std::string co_id_of(const JsonNode &value) {
  std::string canonical;
  json_write_canonical(value, canonical);
  return co_id_of_canonical(canonical);
}

std::string co_id_of_canonical(std::string_view canonical) {
  const auto digest = blake3_hash(canonical);
  return prefixed_encode(prefix::co_id, digest.data(), short_hash_bytes);
}

Blake3Stream::Blake3Stream() noexcept { blake3_hasher_init(&hasher_); }

void Blake3Stream::update(std::string_view text) noexcept { blake3_hasher_update(&hasher_, text.data(), text.size()); }

std::string Blake3Stream::co_id() const {
  std::array<std::uint8_t, short_hash_bytes> digest{};
  blake3_hasher_finalize(&hasher_, digest.data(), digest.size());
  return prefixed_encode(prefix::co_id, digest.data(), digest.size());
}

std::string Blake3Stream::secure_hash() const {
  std::array<std::uint8_t, blake3_bytes> digest{};
  blake3_hasher_finalize(&hasher_, digest.data(), digest.size());
  return prefixed_encode(prefix::hash, digest.data(), digest.size());
}

}  // namespace jazzrpc
