#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <random>

#include "base58.h"
#include "test_util.h"

using namespace jazzrpc;

TEST_CASE("base58 encodes the known values", "[base58]") {
  // Bitcoin Core's base58_encode_decode.json
  const std::vector<std::pair<std::string, std::string>> known = {
      {"", ""},
      {"61", "2g"},
      {"626262", "a3gV"},
      {"636363", "aPEr"},
      {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
      {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
      {"516b6fcd0f", "ABnLTmg"},
      {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
      {"572e4794", "3EFU7m"},
      {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
      {"10c8511e", "Rt5zm"},
      {"00000000000000000000", "1111111111"},
      {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
       "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
  };
  for (const auto &[hex, text] : known) {
    const auto bytes = test_util::from_hex(hex);
    CHECK(base58_encode(bytes.data(), bytes.size()) == text);
    std::vector<std::uint8_t> decoded;
    REQUIRE(base58_decode(text, decoded) == Status::ok);
    CHECK(decoded == bytes);
  }
}

TEST_CASE("base58 round-trips random bytes, leading zeros included", "[base58]") {
  std::mt19937 rng(58);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint8_t> bytes(rng() % 70);
    for (auto &b : bytes) b = static_cast<std::uint8_t>(rng());
    for (std::size_t z = 0; z < bytes.size() && round % 3 == 0 && z < 4; ++z) bytes[z] = 0;
    const std::string text = base58_encode(bytes.data(), bytes.size());
    std::vector<std::uint8_t> back;
    REQUIRE(base58_decode(text, back) == Status::ok);
    REQUIRE(back == bytes);
  }
}

TEST_CASE("base58 refuses characters outside the alphabet", "[base58]") {
  std::vector<std::uint8_t> out;
  for (const char *bad : {"0", "O", "I", "l", "abc+", "z z", "\xc3\xa9"}) {
    CHECK(base58_decode(bad, out) == Status::bad_encoding);
  }
}

TEST_CASE("prefixed ids check the prefix and the length", "[base58]") {
  std::uint8_t key[32] = {1, 2, 3};
  const std::string id = prefixed_encode(prefix::signer, key, sizeof key);
  CHECK(id.rfind("signer_z", 0) == 0);
  std::uint8_t back[32];
  REQUIRE(prefixed_decode(id, prefix::signer, 32, back) == Status::ok);
  CHECK(std::equal(std::begin(key), std::end(key), std::begin(back)));
  CHECK(prefixed_decode(id, prefix::signature, 32, back) == Status::bad_encoding);  // wrong prefix
  CHECK(prefixed_decode(id, prefix::signer, 31, back) == Status::bad_encoding);     // wrong length
  CHECK(prefixed_decode("signer_z", prefix::signer, 32, back) == Status::bad_encoding);
}

TEST_CASE("the longest base58 text of n bytes is the text of n bytes of 0xff", "[base58]") {
  std::mt19937 rng(1);
  for (std::size_t n = 0; n <= base58_max_bytes; ++n) {
    const std::vector<std::uint8_t> ones(n, 0xff);
    INFO("bytes: " << n);
    REQUIRE(base58_encode(ones.data(), ones.size()).size() == base58_max_text_len(n));
    // Leading zero bytes or any other value never write more.
    std::vector<std::uint8_t> other(n);
    for (auto &b : other) b = static_cast<std::uint8_t>(rng());
    if (n > 1) other[0] = 0;
    REQUIRE(base58_encode(other.data(), other.size()).size() <= base58_max_text_len(n));
    const std::vector<std::uint8_t> zeros(n, 0);
    REQUIRE(base58_encode(zeros.data(), zeros.size()).size() <= base58_max_text_len(n));
  }
}

TEST_CASE("prefixed ids: the longest text of their length decodes, one character more is refused", "[base58]") {
  for (const std::size_t n : {std::size_t{19}, std::size_t{32}, std::size_t{64}}) {
    INFO("bytes: " << n);
    const std::vector<std::uint8_t> max(n, 0xff);
    const std::string longest = prefixed_encode(prefix::signer, max.data(), max.size());
    REQUIRE(longest.size() == prefix::signer.size() + base58_max_text_len(n));
    std::vector<std::uint8_t> out(n + 1);
    REQUIRE(prefixed_decode(longest, prefix::signer, n, out.data()) == Status::ok);
    CHECK(std::equal(max.begin(), max.end(), out.begin()));
    // One leading '1' more is a zero byte more: n + 1 bytes, and a text one character
    // too long for n bytes, refused on its length.
    CHECK(prefixed_decode("signer_z1" + longest.substr(8), prefix::signer, n, out.data()) == Status::bad_encoding);
    // All zeros: n '1's decode, n + 1 do not.
    const std::string zeros = "signer_z" + std::string(n, '1');
    REQUIRE(prefixed_decode(zeros, prefix::signer, n, out.data()) == Status::ok);
    CHECK(std::all_of(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), [](std::uint8_t b) { return b == 0; }));
    CHECK(prefixed_decode(zeros + "1", prefix::signer, n, out.data()) == Status::bad_encoding);
  }
  // A text of the right length whose value needs one byte more: refused after decoding.
  std::array<std::uint8_t, 32> key{};
  CHECK(prefixed_decode("signer_z" + std::string(44, 'z'), prefix::signer, 32, key.data()) == Status::bad_encoding);
  // A million characters are refused on the length alone, before any decoding.
  const std::string huge = "signer_z" + std::string(1'000'000, 'z');
  CHECK(prefixed_decode(huge, prefix::signer, 32, key.data()) == Status::bad_encoding);
  const std::string huge_bad = "signer_z" + std::string(1'000'000, '0');  // not even base58
  CHECK(prefixed_decode(huge_bad, prefix::signer, 32, key.data()) == Status::bad_encoding);
}

TEST_CASE("base58 decodes at most base58_max_text characters", "[base58]") {
  std::vector<std::uint8_t> out;
  const std::vector<std::uint8_t> max(base58_max_bytes, 0xff);
  const std::string longest = base58_encode(max.data(), max.size());
  REQUIRE(longest.size() == base58_max_text);
  REQUIRE(base58_decode(longest, out) == Status::ok);
  CHECK(out == max);
  CHECK(base58_decode(longest + "z", out) == Status::too_large);
  CHECK(base58_decode(std::string(1'000'000, 'z'), out) == Status::too_large);
}
