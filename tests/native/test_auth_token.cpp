#include <catch2/catch.hpp>

#include <string>

#include "auth_token.h"
#include "sign.h"

using namespace jazzrpc;

namespace {

constexpr double kNow = 1'700'000'000'000.0;

struct Token {
  SignerKeypair keypair;
  std::string text;
  explicit Token(double created_at) {
    REQUIRE(sign_keypair(keypair) == Status::ok);
    REQUIRE(auth_token_create(keypair.signer_secret, "co_zAccount", created_at, text) == Status::ok);
  }
  // The token with its createdAt written as `created_at`, the signature kept.
  std::string with_created_at(const std::string &created_at) const {
    return text.substr(0, text.rfind('~') + 1) + created_at;
  }
};

}  // namespace

TEST_CASE("an auth token has one text: createdAt is written only as String(n)", "[auth_token]") {
  const Token token(kNow);
  AuthToken parsed;
  REQUIRE(auth_token_verify(token.text, token.keypair.signer_id, kNow, 60'000, 10'000, parsed) == Status::ok);
  // The same signature with createdAt spelt another way (each was accepted before: one token, many texts).
  for (const char *other : {"01700000000000", "001700000000000", "+1700000000000", "1700000000000.0", "1.7e12",
                            " 1700000000000", "1700000000000 "}) {
    INFO("createdAt: " << other);
    CHECK(auth_token_parse(token.with_created_at(other), parsed) == Status::malformed);
    CHECK(auth_token_verify(token.with_created_at(other), token.keypair.signer_id, kNow, 60'000, 10'000, parsed) ==
          Status::malformed);
  }
  // Zero is "0", never "00"; the largest is 2^53, past which integers are not all doubles
  // (9007199254740993 would be read as ...992, a second text of the same token).
  REQUIRE(auth_token_parse(token.with_created_at("0"), parsed) == Status::ok);
  CHECK(parsed.created_at == 0);
  CHECK(auth_token_parse(token.with_created_at("00"), parsed) == Status::malformed);
  REQUIRE(auth_token_parse(token.with_created_at("9007199254740992"), parsed) == Status::ok);
  CHECK(parsed.created_at == 9007199254740992.0);
  CHECK(auth_token_parse(token.with_created_at("9007199254740993"), parsed) == Status::malformed);
  CHECK(auth_token_parse(token.with_created_at("9999999999999999"), parsed) == Status::malformed);
}

TEST_CASE("auth tokens are made only for createdAt values they can carry", "[auth_token]") {
  SignerKeypair keypair;
  REQUIRE(sign_keypair(keypair) == Status::ok);
  std::string token;
  for (const double bad : {-1.0, 0.5, kNow + 0.25, 9007199254740994.0, 1e21}) {
    INFO("createdAt: " << bad);
    CHECK(auth_token_create(keypair.signer_secret, "co_zAccount", bad, token) == Status::invalid_argument);
  }
  REQUIRE(auth_token_create(keypair.signer_secret, "co_zAccount", 0, token) == Status::ok);
  CHECK(token.substr(token.rfind('~')) == "~0");
  AuthToken parsed;
  CHECK(auth_token_verify(token, keypair.signer_id, 0, 60'000, 10'000, parsed) == Status::ok);
}

TEST_CASE("an auth token's signature is refused on its length before it is decoded", "[auth_token]") {
  const Token token(kNow);
  AuthToken parsed;
  const std::string huge = "signature_z" + std::string(128'000, 'z') + token.text.substr(token.text.find('~'));
  CHECK(auth_token_verify(huge, token.keypair.signer_id, kNow, 60'000, 10'000, parsed) == Status::bad_signature);
  CHECK(auth_token_verify(token.text, "signer_z" + std::string(128'000, 'z'), kNow, 60'000, 10'000, parsed) ==
        Status::bad_key);
}
