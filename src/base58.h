// Base58 with the Bitcoin alphabet, as @scure/base writes it: each leading zero
// byte becomes '1'. And the prefixed identifiers cojson uses ("signer_z" + base58…).
#ifndef JAZZRPC_BASE58_H
#define JAZZRPC_BASE58_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace jazzrpc {

std::string base58_encode(const std::uint8_t *bytes, std::size_t len);
// Decodes into out; Status::bad_encoding on a character outside the alphabet.
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

std::string prefixed_encode(std::string_view prefix, const std::uint8_t *bytes, std::size_t len);
// Checks the prefix, decodes the rest and requires exactly expected_len bytes.
// Status::bad_encoding when the prefix, an alphabet character or the length is wrong.
Status prefixed_decode(std::string_view text, std::string_view prefix, std::size_t expected_len,
                       std::uint8_t *out);

}  // namespace jazzrpc

#endif
