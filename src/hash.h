// BLAKE3 hashes as cojson computes them.
#ifndef JAZZRPC_HASH_H
#define JAZZRPC_HASH_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <blake3.h>

#include "json.h"

namespace jazzrpc {

inline constexpr std::size_t blake3_bytes = 32;
inline constexpr std::size_t short_hash_bytes = 19;  // cojson's shortHashLength

void blake3_hash(const std::uint8_t *in, std::size_t in_len, std::uint8_t *out, std::size_t out_len);
std::array<std::uint8_t, blake3_bytes> blake3_hash(std::string_view text);

// "hash_z" + base58(BLAKE3(text)), for a text that is already canonical.
std::string secure_hash_canonical(std::string_view canonical);
// "hash_z" + base58(BLAKE3(UTF-8(stableStringify(JSON.parse(text)))))
Status secure_hash(std::string_view json_text, const ParseLimits &limits, std::string &out);
// "shortHash_z" + base58(first 19 bytes of the same BLAKE3)
Status short_hash(std::string_view json_text, const ParseLimits &limits, std::string &out);
// cojson's CoValue id of a value (its header): "co_z" + the same 19 bytes in base58.
std::string co_id_of(const JsonValue &value);
std::string co_id_of(const JsonNode &value);
// The same from the value's canonical text.
std::string co_id_of_canonical(std::string_view canonical);

// BLAKE3 over text given in parts, as cojson hashes a session's transactions; a copy
// carries the state on from where the original was.
class Blake3Stream {
 public:
  Blake3Stream() noexcept;
  void update(std::string_view text) noexcept;
  // "hash_z" + base58(BLAKE3 of everything given so far); the stream can go on after it.
  std::string secure_hash() const;
  // "co_z" + base58 of the first short_hash_bytes of the digest, as co_id_of.
  std::string co_id() const;

 private:
  blake3_hasher hasher_;
};

}  // namespace jazzrpc

#endif
