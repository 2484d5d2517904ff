#include <catch2/catch.hpp>

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
