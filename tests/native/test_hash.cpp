#include <catch2/catch.hpp>

#include <blake3.h>

#include "hash.h"
#include "test_util.h"

using namespace jazzrpc;

TEST_CASE("BLAKE3 agrees with every case of the published vectors", "[hash][vectors]") {
  const auto vectors = test_util::load_vectors("blake3_test_vectors.json");
  std::size_t cases = 0;
  for (const auto &c : vectors.at("cases")) {
    const std::size_t input_len = c.at("input_len").get<std::size_t>();
    std::vector<std::uint8_t> input(input_len);
    for (std::size_t i = 0; i < input_len; ++i) input[i] = static_cast<std::uint8_t>(i % 251);
    const std::string expected = c.at("hash").get<std::string>();
    std::vector<std::uint8_t> out(expected.size() / 2);
    blake3_hash(input.data(), input.size(), out.data(), out.size());  // extended output
    INFO("input_len " << input_len);
    CHECK(test_util::to_hex(out.data(), out.size()) == expected);
    std::uint8_t first[32];
    blake3_hash(input.data(), input.size(), first, sizeof first);
    CHECK(test_util::to_hex(first, sizeof first) == expected.substr(0, 64));
    // The keyed and derive-key modes of the same file, through BLAKE3's own API.
    const std::string key = vectors.at("key").get<std::string>();
    const std::string context = vectors.at("context_string").get<std::string>();
    const std::string keyed = c.at("keyed_hash").get<std::string>();
    const std::string derived = c.at("derive_key").get<std::string>();
    blake3_hasher hasher;
    blake3_hasher_init_keyed(&hasher, reinterpret_cast<const std::uint8_t *>(key.data()));
    blake3_hasher_update(&hasher, input.data(), input.size());
    std::vector<std::uint8_t> keyed_out(keyed.size() / 2);
    blake3_hasher_finalize(&hasher, keyed_out.data(), keyed_out.size());
    CHECK(test_util::to_hex(keyed_out.data(), keyed_out.size()) == keyed);
    blake3_hasher_init_derive_key(&hasher, context.c_str());
    blake3_hasher_update(&hasher, input.data(), input.size());
    std::vector<std::uint8_t> derived_out(derived.size() / 2);
    blake3_hasher_finalize(&hasher, derived_out.data(), derived_out.size());
    CHECK(test_util::to_hex(derived_out.data(), derived_out.size()) == derived);
    ++cases;
  }
  CHECK(cases == vectors.at("cases").size());
  CHECK(cases >= 30);
  WARN("BLAKE3 vectors: " << cases << " cases passed");
}
