// Base58 and cojson's prefixed ids (src/base58.h, account ids in src/message.h).
// Invariants, for any input bytes:
//  - the input as base58 text: decoding refuses text over base58_max_text, succeeds
//    only on the alphabet, and encode(decode(s)) == s (base58 with '1' for each
//    leading zero byte is one-to-one);
//  - the input as bytes (up to base58_max_bytes): decode(encode(b)) == b, and the text
//    uses the alphabet only, no longer than base58_max_text_len(bytes);
//  - prefixed_decode of the input (any length up to the body limit: it must stay
//    cheap whatever the length) accepts exactly the texts prefix + base58 of
//    expected_len bytes, for each prefix and length the wire uses;
//  - signer id <-> account id swap the prefix and keep the key.
#include <algorithm>
#include <vector>

#include "fuzz_common.h"

using namespace jazzrpc;

namespace {

bool in_alphabet(std::string_view s) {
  static constexpr std::string_view alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  return s.find_first_not_of(alphabet) == std::string_view::npos;
}

void check_prefixed(std::string_view text, std::string_view prefix, std::size_t len) {
  std::vector<std::uint8_t> out(len, 0xA5);
  const Status status = prefixed_decode(text, prefix, len, out.data());
  FUZZ_CHECK(status == Status::ok || status == Status::bad_encoding, "prefixed_decode", status);
  if (status != Status::ok) return;
  FUZZ_CHECK(text.substr(0, prefix.size()) == prefix);
  // Accepted: the text is exactly prefix + base58 of these bytes.
  FUZZ_CHECK(prefixed_encode(prefix, out.data(), out.size()) == text, "accepted", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  // Raw base58 is quadratic in the length: decoding refuses text longer than
  // base58_max_text before reading it, and callers encode at most base58_max_bytes.
  {
    std::vector<std::uint8_t> bytes;
    const Status status = base58_decode(text, bytes);
    const Status expected =
        size > base58_max_text ? Status::too_large : in_alphabet(text) ? Status::ok : Status::bad_encoding;
    FUZZ_CHECK(status == expected, "base58_decode", status);
    if (status == Status::ok) {
      FUZZ_CHECK(base58_encode(bytes.data(), bytes.size()) == text, "round trip of", text);
    }
  }
  if (size <= base58_max_bytes) {
    const std::string encoded = base58_encode(data, size);
    FUZZ_CHECK(in_alphabet(encoded) && encoded.size() <= base58_max_text_len(size), "encoded", encoded);
    std::vector<std::uint8_t> decoded;
    FUZZ_CHECK(base58_decode(encoded, decoded) == Status::ok, "encoded", encoded);
    FUZZ_CHECK(decoded.size() == size && std::equal(decoded.begin(), decoded.end(), data), "encoded", encoded);
  }

  // Every prefix with the lengths the core decodes it to (and a wrong one).
  check_prefixed(text, prefix::signer, sign_public_key_bytes);
  check_prefixed(text, prefix::signer_secret, sign_seed_bytes);
  check_prefixed(text, prefix::signature, sign_bytes);
  check_prefixed(text, prefix::co_id, sign_public_key_bytes);
  check_prefixed(text, prefix::co_id, 19);
  check_prefixed(text, prefix::hash, 32);
  check_prefixed(text, prefix::short_hash, 19);
  check_prefixed(text, "", 0);
  // The input after each prefix, so the fuzzer need not find the prefixes itself.
  if (size > 0) {
    const std::string_view body = text.substr(1);
    for (const std::string_view p : {prefix::signer, prefix::signature, prefix::co_id}) {
      const std::size_t len = p == prefix::signature ? sign_bytes : sign_public_key_bytes;
      check_prefixed(std::string(p) + std::string(body), p, len);
    }
  }

  // Account ids and signer ids name the same key.
  std::string account, signer;
  if (account_id_from_signer(text, account) == Status::ok) {
    FUZZ_CHECK(signer_from_account_id(account, signer) == Status::ok && signer == text, "signer id", text);
  }
  if (signer_from_account_id(text, signer) == Status::ok) {
    FUZZ_CHECK(account_id_from_signer(signer, account) == Status::ok && account == text, "account id", text);
  }
  return 0;
}
