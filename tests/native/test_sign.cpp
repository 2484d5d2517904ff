#include <catch2/catch.hpp>

#include "base58.h"
#include "hash.h"
#include "sign.h"
#include "test_util.h"

using namespace jazzrpc;
using test_util::from_hex;
using test_util::to_hex;

TEST_CASE("ed25519 verify agrees with every Wycheproof case", "[sign][vectors]") {
  const auto vectors = test_util::load_vectors("wycheproof_ed25519_test.json");
  std::size_t valid = 0, invalid = 0;
  for (const auto &group : vectors.at("testGroups")) {
    const auto pk = from_hex(group.at("publicKey").at("pk").get<std::string>());
    for (const auto &t : group.at("tests")) {
      const auto msg = from_hex(t.at("msg").get<std::string>());
      const auto sig = from_hex(t.at("sig").get<std::string>());
      const std::string result = t.at("result").get<std::string>();
      const bool ok = pk.size() == sign_public_key_bytes && sig.size() == sign_bytes &&
                      sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data());
      INFO("tcId " << t.at("tcId").get<int>() << " " << t.at("comment").get<std::string>());
      if (result == "valid") {
        CHECK(ok);
        ++valid;
      } else {
        REQUIRE(result == "invalid");
        CHECK_FALSE(ok);
        ++invalid;
      }
    }
  }
  CHECK(valid + invalid == vectors.at("numberOfTests").get<std::size_t>());
  WARN("Wycheproof Ed25519: " << valid << " valid and " << invalid << " invalid cases agreed");
}

TEST_CASE("RFC 8032 section 7.1, tests 1 to 3", "[sign][vectors]") {
  struct Case {
    const char *seed, *pk, *msg, *sig;
  };
  const Case cases[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto &c : cases) {
    const auto seed = from_hex(c.seed);
    const auto pk = from_hex(c.pk);
    auto msg = from_hex(c.msg);
    SignerKeypair keypair;
    REQUIRE(sign_seed_keypair(seed.data(), keypair) == Status::ok);
    CHECK(keypair.signer_id == prefixed_encode(prefix::signer, pk.data(), pk.size()));
    CHECK(keypair.signer_secret == prefixed_encode(prefix::signer_secret, seed.data(), seed.size()));
    std::uint8_t sig[64];
    REQUIRE(sign_detached(msg.data(), msg.size(), seed.data(), sig) == Status::ok);
    CHECK(to_hex(sig, sizeof sig) == c.sig);
    CHECK(sign_verify_detached(sig, msg.data(), msg.size(), pk.data()));
    msg.push_back(0);  // a changed message no longer verifies
    CHECK_FALSE(sign_verify_detached(sig, msg.data(), msg.size(), pk.data()));
    sig[0] ^= 1;
    msg.pop_back();
    CHECK_FALSE(sign_verify_detached(sig, msg.data(), msg.size(), pk.data()));
  }
}

TEST_CASE("cojson signatures: signature_z over the canonical message", "[sign]") {
  SignerKeypair keypair;
  REQUIRE(sign_keypair(keypair) == Status::ok);
  CHECK(keypair.signer_secret.rfind("signerSecret_z", 0) == 0);
  std::string derived;
  REQUIRE(sign_signer_id(keypair.signer_secret, derived) == Status::ok);
  CHECK(derived == keypair.signer_id);

  const std::string message = quoted_hash_message(secure_hash_canonical("{}"));
  CHECK(message.front() == '"');
  CHECK(message.back() == '"');
  std::string signature;
  REQUIRE(sign_canonical(keypair.signer_secret, message, signature) == Status::ok);
  CHECK(signature.rfind("signature_z", 0) == 0);
  CHECK(verify_canonical(signature, message, keypair.signer_id) == Status::ok);
  CHECK(verify_canonical(signature, message.substr(1, message.size() - 2), keypair.signer_id) ==
        Status::bad_signature);  // the quotes are part of the message

  SignerKeypair other;
  REQUIRE(sign_keypair(other) == Status::ok);
  CHECK(other.signer_id != keypair.signer_id);
  CHECK(verify_canonical(signature, message, other.signer_id) == Status::bad_signature);
  CHECK(verify_canonical("signature_z111", message, keypair.signer_id) == Status::bad_signature);
  CHECK(verify_canonical(signature, message, "signer_zzz") == Status::bad_key);
  CHECK(sign_canonical("signerSecret_z0OIl", message, signature) == Status::bad_key);
  CHECK(sign_canonical(keypair.signer_id, message, signature) == Status::bad_key);  // a public id is no secret
}
