#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "hash.h"
#include "jazz.h"
#include "json.h"
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

namespace {

json &piece_of(json &pieces, const std::string &wanted) {
  for (auto &p : pieces) {
    if (p.at("id") == wanted) return p;
  }
  FAIL("no piece " << wanted);
  return pieces;
}

// cojson's id of a header (its JSON as nlohmann writes it, read by the core).
std::string co_id(const json &header) {
  JsonValue value;
  REQUIRE(json_parse(header.dump(), {}, value) == Status::ok);
  return co_id_of(value);
}

// lastSignature for transactions, continuing chain: BLAKE3 over each transaction's
// canonical JSON, the quoted "hash_z…" signed by secret.
std::string session_signature(const std::string &secret, const json &transactions, Blake3Stream &chain) {
  for (const auto &transaction : transactions) {
    std::string text;
    REQUIRE(json_canonicalize(transaction.dump(), {}, text) == Status::ok);
    chain.update(text);
  }
  std::string signature;
  REQUIRE(sign_canonical(secret, quoted_hash_message(chain.secure_hash()), signature) == Status::ok);
  return signature;
}

// A jazz-tools account of a new key: its piece (no sessions needed by the core) and id.
struct Thief {
  SignerKeypair keypair;
  json piece;
  std::string id;
  Thief() {
    REQUIRE(sign_keypair(keypair) == Status::ok);
    const json header = {{"type", "comap"},
                         {"ruleset", {{"type", "group"}, {"initialAdmin", "sealer_zThief/" + keypair.signer_id}}},
                         {"meta", {{"type", "account"}}},
                         {"createdAt", nullptr},
                         {"uniqueness", nullptr}};
    id = co_id(header);
    piece = {{"action", "content"}, {"id", id}, {"header", header}, {"priority", 0}, {"new", json::object()}};
  }
};

// The request piece's sessions renamed to another account's.
void rename_sessions(json &request_piece, const std::string &account) {
  json renamed = json::object();
  for (auto &[session, content] : request_piece.at("new").items()) {
    renamed[account + session.substr(session.find("_session_"))] = content;
  }
  request_piece["new"] = renamed;
}

struct Fixture {
  json accounts = fixture("accounts.json");
  json request = fixture("request.json");
  std::string secret = accounts.at("client").at("signerSecret");
  std::string id = request.at("id");
  double now = request.at("createdAt").get<double>() + 1000;
  json &session(json &pieces) { return piece_of(pieces, id).at("new").begin().value(); }
};

}  // namespace

TEST_CASE("the request's session signatures are verified before anything is claimed", "[jazz]") {
  Fixture f;
  JazzInfo info;
  SECTION("a tampered transaction") {
    json changed = f.request;
    json &transaction = f.session(changed["contentPieces"])["newTransactions"][0];
    transaction["madeAt"] = transaction.at("madeAt").get<std::int64_t>() + 1;
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
    changed = f.request;
    f.session(changed["contentPieces"])["newTransactions"][0]["keyUsed"] = "key_zOther";
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
  }
  SECTION("a transaction added, or two swapped") {
    json changed = f.request;
    json &content = f.session(changed["contentPieces"]);
    json &transactions = content["newTransactions"];
    transactions.push_back(transactions[0]);
    transactions[1]["madeAt"] = transactions[1].at("madeAt").get<std::int64_t>() + 1;
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
    Blake3Stream chain;
    content["lastSignature"] = session_signature(f.secret, transactions, chain);
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::ok);  // signed by the creator
    std::swap(transactions[0], transactions[1]);
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
  }
  SECTION("a wrong signature: another key's, or of other transactions") {
    json changed = f.request;
    Blake3Stream chain;
    json &content = f.session(changed["contentPieces"]);
    content["lastSignature"] =
        session_signature(f.accounts.at("worker").at("signerSecret"), content.at("newTransactions"), chain);
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
    content["lastSignature"] = piece_of(changed["contentPieces"], f.accounts.at("client").at("id"))
                                   .at("new")
                                   .begin()
                                   .value()
                                   .at("lastSignature");
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
    content["lastSignature"] = "signature_z" + std::string(1'000'000, 'z');  // refused on its length
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::bad_signature);
  }
  SECTION("the same transactions signed again by the creator: still fine") {
    json changed = f.request;
    Blake3Stream chain;
    json &content = f.session(changed["contentPieces"]);
    content["lastSignature"] = session_signature(f.secret, content.at("newTransactions"), chain);
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::ok);
  }
  SECTION("a request is new: its sessions start at after 0") {
    json changed = f.request;
    f.session(changed["contentPieces"])["after"] = 1;
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::malformed);
    changed = f.request;
    f.session(changed["contentPieces"]).erase("lastSignature");
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::malformed);
    changed = f.request;
    f.session(changed["contentPieces"])["newTransactions"] = json::array();
    CHECK(verify(resign(changed, f.secret), f.now, info) == Status::malformed);
  }
}

TEST_CASE("a session split over pieces is verified as one chain", "[jazz]") {
  Fixture f;
  JazzInfo info;
  // The request's one transaction, then a second piece going on from it (as cojson
  // splits a session every 100 KB), both signed by the creator.
  json changed = f.request;
  json &first = f.session(changed["contentPieces"]);
  const std::string session = piece_of(changed["contentPieces"], f.id).at("new").begin().key();
  Blake3Stream chain;
  first["lastSignature"] = session_signature(f.secret, first.at("newTransactions"), chain);
  json more = first.at("newTransactions");
  more[0]["madeAt"] = more[0]["madeAt"].get<std::int64_t>() + 5;
  Blake3Stream continued = chain;
  json second = {{"action", "content"},
                 {"id", f.id},
                 {"priority", 0},
                 {"new", {{session, {{"after", 1}, {"newTransactions", more}}}}}};
  second["new"][session]["lastSignature"] = session_signature(f.secret, more, continued);
  changed["contentPieces"].push_back(second);
  CHECK(verify(resign(changed, f.secret), f.now, info) == Status::ok);
  // The second piece must go on where the first stopped.
  json wrong = changed;
  wrong["contentPieces"].back()["new"][session]["after"] = 0;
  CHECK(verify(resign(wrong, f.secret), f.now, info) == Status::malformed);
  // Its signature covers the whole chain, not its own transactions alone.
  Blake3Stream fresh;
  wrong = changed;
  wrong["contentPieces"].back()["new"][session]["lastSignature"] = session_signature(f.secret, more, fresh);
  CHECK(verify(resign(wrong, f.secret), f.now, info) == Status::bad_signature);
  // Beyond jazz_max_session_signatures signatures, a body is refused unverified.
  wrong = changed;
  for (std::size_t i = 0; i < jazz_max_session_signatures; ++i) wrong["contentPieces"].push_back(second);
  CHECK(verify(resign(wrong, f.secret), f.now, info) == Status::malformed);
}

TEST_CASE("a captured jazz-tools body cannot be renewed by another account to burn its id", "[jazz]") {
  Fixture f;
  JazzInfo info;
  Thief thief;
  // The request's sessions renamed to the thief's account, whose piece is added, and the
  // envelope signed again by the thief: the sessions do not verify under the thief's key.
  json stolen = f.request;
  rename_sessions(piece_of(stolen["contentPieces"], f.id), thief.id);
  stolen["contentPieces"].push_back(thief.piece);
  CHECK(verify(resign(stolen, thief.keypair.signer_secret), f.now, info) == Status::bad_signature);
  // The thief signs the sessions again too (their hash does not name the session): the
  // request's group, pinned by the request's id, was made by the creator, not the thief.
  Blake3Stream chain;
  json &content = f.session(stolen["contentPieces"]);
  content["lastSignature"] = session_signature(thief.keypair.signer_secret, content.at("newTransactions"), chain);
  CHECK(verify(resign(stolen, thief.keypair.signer_secret), f.now, info) == Status::unbound_signer);
}

TEST_CASE("a jazz-tools request must be owned by a group its creator made", "[jazz]") {
  Fixture f;
  JazzInfo info;
  const std::string group = piece_of(f.request["contentPieces"], f.id).at("header").at("ruleset").at("group");
  SECTION("the group's piece is missing") {
    const auto body = resign(f.request, f.secret, [&](json &pieces) {
      pieces.erase(std::remove_if(pieces.begin(), pieces.end(), [&](const json &p) { return p.at("id") == group; }),
                   pieces.end());
    });
    CHECK(verify(body, f.now, info) == Status::malformed);
  }
  SECTION("the group's header does not hash to its id") {
    const auto body = resign(f.request, f.secret, [&](json &pieces) {
      piece_of(pieces, group)["header"]["ruleset"]["initialAdmin"] = f.accounts.at("worker").at("id");
    });
    CHECK(verify(body, f.now, info) == Status::malformed);
  }
}
