#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "jazz.h"
#include "sign.h"
#include "test_util.h"

using namespace jazzrpc;
using nlohmann::json;

namespace {

// Bodies made by jazz-tools 0.20.19 (tests/fixtures/jazz-tools-0.20.19, written by
// tests/interop/capture-fixtures.mjs) and the throwaway keys that signed them.
json fixture(const std::string &name) {
  std::ifstream file(std::string(JAZZRPC_FIXTURES_DIR) + "/jazz-tools-0.20.19/" + name);
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

Status verify(const std::string &body, double now, JazzInfo &info) {
  return jazz_message_verify(body, now, {}, info);
}

// The body's pieces, changed, and signed again by secret.
std::string resign(const json &body, const std::string &secret, const std::function<void(json &)> &change = {}) {
  json pieces = body.at("contentPieces");
  if (change) change(pieces);
  std::string out;
  REQUIRE(envelope_sign(secret, pieces.dump(), body.at("id").get<std::string>(), body.at("createdAt").get<double>(), {},
                        out) == Status::ok);
  return out;
}

}  // namespace

TEST_CASE("real jazz-tools bodies verify and name their creator", "[jazz]") {
  const json accounts = fixture("accounts.json");
  const json request = fixture("request.json");
  const json response = fixture("response.json").at("payload");
  JazzInfo info;
  REQUIRE(verify(request.dump(), request.at("createdAt").get<double>() + 1000, info) == Status::ok);
  CHECK(info.creator == accounts.at("client").at("id").get<std::string>());
  CHECK(info.envelope.id == request.at("id").get<std::string>());
  REQUIRE(verify(response.dump(), response.at("createdAt").get<double>() + 1000, info) == Status::ok);
  CHECK(info.creator == accounts.at("worker").at("id").get<std::string>());
  // The envelope checks still come first.
  CHECK(verify(request.dump(), request.at("createdAt").get<double>() + 60'001, info) == Status::expired);
}

TEST_CASE("a jazz-tools body re-signed by anyone but its creator is refused", "[jazz]") {
  const json accounts = fixture("accounts.json");
  const json request = fixture("request.json");
  const double now = request.at("createdAt").get<double>() + 1000;
  JazzInfo info;
  // The genuine signer re-signing the same content: still fine.
  CHECK(verify(resign(request, accounts.at("client").at("signerSecret")), now, info) == Status::ok);
  // An unrelated key (accepted by jazz-tools 0.20.19), and the worker's own key.
  SignerKeypair thief;
  REQUIRE(sign_keypair(thief) == Status::ok);
  CHECK(verify(resign(request, thief.signer_secret), now, info) == Status::unbound_signer);
  CHECK(verify(resign(request, accounts.at("worker").at("signerSecret")), now, info) == Status::unbound_signer);
}

TEST_CASE("a jazz-tools body must carry its creator's account and a header matching its id", "[jazz]") {
  const json accounts = fixture("accounts.json");
  const json request = fixture("request.json");
  const std::string secret = accounts.at("client").at("signerSecret");
  const std::string client = accounts.at("client").at("id");
  const std::string id = request.at("id");
  const double now = request.at("createdAt").get<double>() + 1000;
  auto piece = [](json &pieces, const std::string &wanted) -> json & {
    for (auto &p : pieces) {
      if (p.at("id") == wanted) return p;
    }
    FAIL("no piece " << wanted);
    return pieces;
  };
  JazzInfo info;
  SECTION("the creator's account piece is missing") {
    const auto body = resign(request, secret, [&](json &pieces) {
      pieces.erase(std::remove_if(pieces.begin(), pieces.end(), [&](const json &p) { return p.at("id") == client; }),
                   pieces.end());
    });
    CHECK(verify(body, now, info) == Status::unbound_signer);
  }
  SECTION("the account header names another agent") {
    const auto body = resign(request, secret, [&](json &pieces) {
      piece(pieces, client)["header"]["ruleset"]["initialAdmin"] = "sealer_zX/signer_zY";
    });
    CHECK(verify(body, now, info) == Status::unbound_signer);  // its id no longer matches its header
  }
  SECTION("the request piece's header does not hash to the id") {
    const auto body = resign(request, secret, [&](json &pieces) { piece(pieces, id)["header"]["uniqueness"] = "z1"; });
    CHECK(verify(body, now, info) == Status::malformed);
  }
  SECTION("sessions of two accounts wrote the request") {
    const auto body = resign(request, secret, [&](json &pieces) {
      json &sessions = piece(pieces, id)["new"];
      const auto first = sessions.begin();
      sessions["co_zSomeoneElse_session_zAAAA"] = first.value();
    });
    CHECK(verify(body, now, info) == Status::malformed);
  }
  SECTION("no piece for the envelope's id") {
    const auto body = resign(request, secret, [&](json &pieces) {
      pieces.erase(std::remove_if(pieces.begin(), pieces.end(), [&](const json &p) { return p.at("id") == id; }),
                   pieces.end());
    });
    CHECK(verify(body, now, info) == Status::malformed);
  }
}

TEST_CASE("session ids name their account", "[jazz]") {
  CHECK(session_account("co_zAbc_session_zXyz") == "co_zAbc");
  CHECK(session_account("sealer_zA/signer_zB_session_zXyz").empty());  // an agent, not an account
  CHECK(session_account("co_zAbc").empty());
}
