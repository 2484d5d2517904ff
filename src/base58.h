// Base58 with the Bitcoin alphabet, as @scure/base writes it: each leading zero
// byte becomes '1'. And the prefixed identifiers cojson uses ("signer_z" + base58…).
//
// Base58 costs time quadratic in the length in both directions, so it is for short
// values (keys, hashes, signatures): decoding refuses text longer than
// base58_max_text, and a prefixed id is refused, before anything is decoded, when
// its text is longer than the longest text of its byte length. Every buffer that may
// hold a secret's bytes or digits is sized once and wiped before it is freed.
#ifndef JAZZRPC_BASE58_H
#define JAZZRPC_BASE58_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace jazzrpc {

// The longest base58 text of `bytes` bytes: the digits of the largest value, 256^bytes - 1
// (a leading zero byte is one '1', and saves more than one digit), i.e. the least d with
// 58^d >= 256^bytes, which is floor(bytes * 8 / log2(58)) + 1 for bytes > 0 since
// 8 / log2(58) is irrational. Exact for every length up to 13,000 bytes (checked with
// exact integers; the tests check it against the encoder up to base58_max_bytes).
constexpr std::size_t base58_max_text_len(std::size_t bytes) noexcept {
  // 8 / log2(58) = 1.3656582373097610369…; 16 digits keep bytes * r exact in 64 bits here.
  return bytes == 0 ? 0 : bytes * 1'365'658'237'309'761ull / 1'000'000'000'000'000ull + 1;
}
static_assert(base58_max_text_len(19) == 26 && base58_max_text_len(32) == 44 && base58_max_text_len(64) == 88,
              "short hashes, keys and signatures");

// The most bytes base58 encodes here, and the longest text it decodes.
inline constexpr std::size_t base58_max_bytes = 1024;
inline constexpr std::size_t base58_max_text = base58_max_text_len(base58_max_bytes);  // 1,399

// Any length is encoded; callers with untrusted lengths check base58_max_bytes first.
std::string base58_encode(const std::uint8_t *bytes, std::size_t len);
// Decodes into out; Status::bad_encoding on a character outside the alphabet,
// Status::too_large for text longer than base58_max_text.
Status base58_decode(std::string_view text, std::vector<std::uint8_t> &out);

// The prefixes of cojson's identifiers.
namespace prefix {
inline constexpr std::string_view signer = "signer_z";
inline constexpr std::string_view signer_secret = "signerSecret_z";
inline constexpr std::string_view signature = "signature_z";
inline constexpr std::string_view hash = "hash_z";
inline constexpr std::string_view short_hash = "shortHash_z";
inline constexpr std::string_view co_id = "co_z";
}  // namespace prefix

// prefix + base58(bytes), written into one buffer of the exact size.
std::string prefixed_encode(std::string_view prefix, const std::uint8_t *bytes, std::size_t len);
// Checks the prefix and the text's length (at most base58_max_text_len(expected_len)),
// then decodes straight into out, which must receive exactly expected_len bytes.
// Status::bad_encoding when the prefix, the length or an alphabet character is wrong.
Status prefixed_decode(std::string_view text, std::string_view prefix, std::size_t expected_len,
                       std::uint8_t *out);

}  // namespace jazzrpc

#endif
