#include <catch2/catch.hpp>

#include "auth_token.h"
#include "envelope.h"
#include "sign.h"

using namespace jazzrpc;

namespace {

constexpr double kNow = 1'700'000'000'000.0;

// A body made by Node's WebCrypto-free ed25519 (node:crypto) and @noble/hashes'
// BLAKE3 following the jazz-tools recipe, with seed 32 × 0x07.
constexpr const char *kForeignBody =
    R"({"contentPieces":[{"a":1}],"id":"co_zTest","createdAt":1700000000000,)"
    R"("authToken":"signature_z2XaNMkPaXuZz2bf7g4kspcooghhqBtMRdTHRbdVk7eCxvUaKondEekh55cKrP7mJrP8mwwbo51QRDeHyEDe4ALvV",)"
    R"("signerID":"signer_zGmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB"})";
constexpr const char *kForeignSecret = "signerSecret_zUS517G5965aydkZ46HS38QLi7UQiSojurfbQfKCELFx";

Status verify(const std::string &body, double now = kNow, EnvelopeOptions options = {}) {
  EnvelopeInfo info;
  return envelope_verify(body, now, options, info);
}

std::string signed_body(const std::string &secret, double created_at, const std::string &pieces = R"([{"a":1}])",
                        const std::string &id = "co_zTest") {
  std::string body;
  REQUIRE(envelope_sign(secret, pieces, id, created_at, {}, body) == Status::ok);
  return body;
}

std::string replace(std::string text, const std::string &from, const std::string &to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a body signed the jazz-tools way by another implementation verifies", "[envelope]") {
  EnvelopeInfo info;
  REQUIRE(envelope_verify(kForeignBody, kNow + 1000, {}, info) == Status::ok);
  CHECK(info.id == "co_zTest");
  CHECK(info.signer_id == "signer_zGmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB");
  CHECK(info.created_at == kNow);
  CHECK(info.expires_at == kNow + 60'000);
  // and ours signs the same bytes the same way (ed25519 is deterministic)
  CHECK(signed_body(kForeignSecret, kNow).find("signature_z2XaNMkPaXuZz2bf7g4kspcoog") != std::string::npos);
}

TEST_CASE("each envelope failure has its own result code", "[envelope]") {
  SignerKeypair keypair;
  REQUIRE(sign_keypair(keypair) == Status::ok);
  const std::string body = signed_body(keypair.signer_secret, kNow);
  CHECK(verify(body) == Status::ok);

  SECTION("not JSON, too large, too deep") {
    CHECK(verify("{not json") == Status::not_json);
    CHECK(verify("") == Status::not_json);
    EnvelopeOptions small;
    small.limits.max_bytes = 64;
    CHECK(verify(body, kNow, small) == Status::too_large);
    EnvelopeOptions shallow;
    shallow.limits.max_depth = 4;
    CHECK(verify(signed_body(keypair.signer_secret, kNow, R"([[[[[1]]]]])"), kNow, shallow) == Status::too_deep);
  }
  SECTION("JSON of the wrong shape is malformed") {
    CHECK(verify("[]") == Status::malformed);
    CHECK(verify("null") == Status::malformed);
    CHECK(verify(replace(body, "\"contentPieces\":[", "\"contentPieces\":{\"x\":[")) != Status::ok);
    CHECK(verify(replace(body, "\"id\":\"co_zTest\"", "\"id\":\"zTest\"")) == Status::malformed);
    CHECK(verify(replace(body, "\"id\":\"co_zTest\"", "\"id\":7")) == Status::malformed);
    CHECK(verify(replace(body, "\"createdAt\":1700000000000", "\"createdAt\":\"1700000000000\"")) ==
          Status::malformed);
    CHECK(verify(replace(body, "\"authToken\":\"signature_z", "\"authToken\":\"sig_z")) == Status::malformed);
    CHECK(verify(replace(body, "\"signerID\":\"signer_z", "\"signerID\":\"sealer_z")) == Status::malformed);
    CHECK(verify(replace(body, "\"contentPieces\":", "\"pieces\":")) == Status::malformed);
  }
  SECTION("tampering with any signed field breaks the signature") {
    CHECK(verify(replace(body, "{\"a\":1}", "{\"a\":2}")) == Status::bad_signature);
    CHECK(verify(replace(body, "co_zTest", "co_zTesu")) == Status::bad_signature);
    CHECK(verify(replace(body, "1700000000000", "1700000000001")) == Status::bad_signature);
    const auto sig_at = body.find("signature_z") + 12;
    std::string tampered = body;
    tampered[sig_at] = tampered[sig_at] == 'A' ? 'B' : 'A';
    CHECK(verify(tampered) == Status::bad_signature);
    SignerKeypair other;
    REQUIRE(sign_keypair(other) == Status::ok);
    CHECK(verify(replace(body, keypair.signer_id, other.signer_id)) == Status::bad_signature);
    CHECK(verify(replace(body, keypair.signer_id, "signer_z1")) == Status::bad_signature);
  }
  SECTION("the time window: expired, within, and the future skew") {
    CHECK(verify(body, kNow + 60'000) == Status::ok);      // exactly at the window's edge
    CHECK(verify(body, kNow + 60'001) == Status::expired);
    CHECK(verify(body, kNow - 10'000) == Status::ok);      // 10 s ahead is within the skew
    CHECK(verify(body, kNow - 10'001) == Status::future);
    EnvelopeOptions options;
    options.window_ms = 5'000;
    options.skew_ms = 0;
    CHECK(verify(body, kNow + 5'001, options) == Status::expired);
    CHECK(verify(body, kNow - 1, options) == Status::future);
    CHECK(verify(body, kNow, options) == Status::ok);
    // An expired body is refused before its signature is even checked.
    CHECK(verify(replace(body, "{\"a\":1}", "{\"a\":2}"), kNow + 120'000) == Status::expired);
  }
  SECTION("time is an argument and must be a number") {
    CHECK(verify(body, std::nan("")) == Status::invalid_argument);
    EnvelopeOptions negative;
    negative.window_ms = -1;
    CHECK(verify(body, kNow, negative) == Status::invalid_argument);
  }
}

TEST_CASE("content whose canonical text is ambiguous is refused", "[envelope]") {
  // cojson writes encrypted_U/binary_U strings raw, so members can be folded into
  // such a string without changing the signed text. Found by the node differential suite.
  SignerKeypair keypair;
  REQUIRE(sign_keypair(keypair) == Status::ok);
  const std::string body = signed_body(keypair.signer_secret, kNow,
                                       R"([{"encryptedChanges":"encrypted_Uabc","keyUsed":"key_z1"}])");
  CHECK(verify(body) == Status::ok);
  const std::string folded = replace(body, R"({"encryptedChanges":"encrypted_Uabc","keyUsed":"key_z1"})",
                                     R"({"encryptedChanges":"encrypted_Uabc\",\"keyUsed\":\"key_z1"})");
  CHECK(verify(folded) == Status::malformed);
  std::string out;
  for (const char *bad : {R"(["encrypted_U\""])", R"(["binary_U\\"])", R"(["binary_U\n"])", R"(["encrypted_U\ud800"])"}) {
    INFO(bad);
    CHECK(envelope_sign(keypair.signer_secret, bad, "co_zX", kNow, {}, out) == Status::malformed);
  }
  CHECK(envelope_sign(keypair.signer_secret, R"(["encrypted_U\ud83d\ude00 ok", "x\"encrypted_U"])", "co_zX", kNow, {}, out) ==
        Status::ok);
}

TEST_CASE("a body re-signed with another key verifies under that key", "[envelope]") {
  // The envelope alone cannot tie a signer to the request's creator; the API layer
  // (issue: API) adds that binding. Here: the signer id changes with the key.
  SignerKeypair first, second;
  REQUIRE(sign_keypair(first) == Status::ok);
  REQUIRE(sign_keypair(second) == Status::ok);
  EnvelopeInfo info;
  REQUIRE(envelope_verify(signed_body(second.signer_secret, kNow), kNow, {}, info) == Status::ok);
  CHECK(info.signer_id == second.signer_id);
}

TEST_CASE("envelope_sign refuses bad input", "[envelope]") {
  std::string body;
  CHECK(envelope_sign(kForeignSecret, "{}", "co_zX", kNow, {}, body) == Status::malformed);
  CHECK(envelope_sign(kForeignSecret, "[", "co_zX", kNow, {}, body) == Status::not_json);
  CHECK(envelope_sign(kForeignSecret, "[]", "x", kNow, {}, body) == Status::malformed);
  CHECK(envelope_sign("signerSecret_z1", "[]", "co_zX", kNow, {}, body) == Status::bad_key);
  CHECK(envelope_sign(kForeignSecret, "[]", "co_zX", std::nan(""), {}, body) == Status::invalid_argument);
}

TEST_CASE("auth tokens: create, parse and verify", "[auth_token]") {
  SignerKeypair keypair;
  REQUIRE(sign_keypair(keypair) == Status::ok);
  std::string token;
  REQUIRE(auth_token_create(keypair.signer_secret, "co_zAccount", kNow, token) == Status::ok);
  CHECK(token.rfind("signature_z", 0) == 0);
  CHECK(token.substr(token.find('~')) == "~co_zAccount~1700000000000");

  AuthToken parsed;
  REQUIRE(auth_token_parse(token, parsed) == Status::ok);
  CHECK(parsed.id == "co_zAccount");
  CHECK(parsed.created_at == kNow);

  CHECK(auth_token_verify(token, keypair.signer_id, kNow + 1000, 60'000, 10'000, parsed) == Status::ok);
  CHECK(auth_token_verify(token, keypair.signer_id, kNow + 60'001, 60'000, 10'000, parsed) == Status::expired);
  CHECK(auth_token_verify(token, keypair.signer_id, kNow - 10'001, 60'000, 10'000, parsed) == Status::future);
  SignerKeypair other;
  REQUIRE(sign_keypair(other) == Status::ok);
  CHECK(auth_token_verify(token, other.signer_id, kNow, 60'000, 10'000, parsed) == Status::bad_signature);
  const std::string moved = token.substr(0, token.find('~')) + "~co_zOther~1700000000000";
  CHECK(auth_token_verify(moved, keypair.signer_id, kNow, 60'000, 10'000, parsed) == Status::bad_signature);
  const std::string later = token.substr(0, token.rfind('~')) + "~1700000000001";
  CHECK(auth_token_verify(later, keypair.signer_id, kNow, 60'000, 10'000, parsed) == Status::bad_signature);

  for (const char *bad : {"", "a~b~c", "signature_zA~co_zB", "signature_zA~co_zB~12~3", "signature_zA~co_zB~abc",
                          "signature_zA~co_zB~", "signature_zA~zB~12", "signature_zA~co_zB~1e3",
                          "signature_zA~co_zB~-5"}) {
    INFO("token: " << bad);
    CHECK(auth_token_parse(bad, parsed) == Status::malformed);
  }
}
