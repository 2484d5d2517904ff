#include <catch2/catch.hpp>

#include <limits>

#include "base58.h"
#include "jazzrpc_abi.h"
#include "message.h"
#include "sign.h"

using namespace jazzrpc;

namespace {

constexpr double kNow = 1'700'000'000'000.0;

struct Parties {
  SignerKeypair client, worker;
  std::string client_account, worker_account;
  Parties() {
    REQUIRE(sign_keypair(client) == Status::ok);
    REQUIRE(sign_keypair(worker) == Status::ok);
    REQUIRE(account_id_from_signer(client.signer_id, client_account) == Status::ok);
    REQUIRE(account_id_from_signer(worker.signer_id, worker_account) == Status::ok);
  }
};

MessageSpec request_spec(const std::string &worker, const std::string &url = "/api/book") {
  MessageSpec spec;
  spec.kind = MessageKind::request;
  spec.url = url;
  spec.worker_id = worker;
  spec.nonce = "z1";
  spec.value_json = R"({"eventId":"e1"})";
  spec.created_at = kNow;
  return spec;
}

std::string sign(const std::string &secret, const MessageSpec &spec) {
  std::string body;
  REQUIRE(message_sign(secret, spec, {}, body) == Status::ok);
  return body;
}

Status verify(const std::string &body, const MessageSpec &expected, MessageInfo &info) {
  return message_verify(body, kNow, {}, expected, info);
}

}  // namespace

TEST_CASE("account ids derive from signer ids", "[message]") {
  Parties p;
  CHECK(p.client_account.rfind("co_z", 0) == 0);
  CHECK(p.client_account != p.worker_account);
  std::string again;
  REQUIRE(account_id_from_signer(p.client.signer_id, again) == Status::ok);
  CHECK(again == p.client_account);
  CHECK(account_id_from_signer("signer_zNotAKey", again) == Status::bad_key);
  // The account id is the key: it turns back into the signer id.
  CHECK(p.client_account.substr(4) == p.client.signer_id.substr(8));
  REQUIRE(signer_from_account_id(p.client_account, again) == Status::ok);
  CHECK(again == p.client.signer_id);
  CHECK(signer_from_account_id("co_zShortHashId1234", again) == Status::bad_key);
}

TEST_CASE("a request verifies on its route and names its sender", "[message]") {
  Parties p;
  const auto spec = request_spec(p.worker_account);
  const std::string body = sign(p.client.signer_secret, spec);
  MessageInfo info;
  REQUIRE(verify(body, spec, info) == Status::ok);
  CHECK(info.made_by == p.client_account);
  CHECK(info.value_canonical == R"({"eventId":"e1"})");
  CHECK(info.envelope.signer_id == p.client.signer_id);

  SECTION("moved to another route or another worker") {
    CHECK(verify(body, request_spec(p.worker_account, "/api/other"), info) == Status::wrong_route);
    CHECK(verify(body, request_spec(p.client_account), info) == Status::wrong_worker);
  }
  SECTION("a response is not a request") {
    MessageSpec expected = request_spec(p.worker_account);
    expected.kind = MessageKind::response;
    CHECK(verify(body, expected, info) == Status::malformed);
  }
  SECTION("re-signed by another key with a fresh date: the id no longer matches") {
    // Take the signed content and sign it again as the envelope layer allows.
    const std::string pieces = body.substr(body.find("[{"), body.find("}]") + 2 - body.find("[{"));
    const auto id_at = body.find("\"id\":\"") + 6;
    const std::string original_id = body.substr(id_at, body.find('"', id_at) - id_at);
    std::string resigned;
    REQUIRE(envelope_sign(p.worker.signer_secret, pieces, original_id, kNow + 5, {}, resigned) == Status::ok);
    CHECK(verify(resigned, spec, info) == Status::bad_id);
  }
}

TEST_CASE("a response must come from the worker and answer this request", "[message]") {
  Parties p;
  MessageSpec spec = request_spec(p.worker_account);
  spec.kind = MessageKind::response;
  spec.in_response_to = "co_zRequest1";
  spec.value_json = R"({"ticketId":"t1"})";
  MessageInfo info;
  CHECK(verify(sign(p.worker.signer_secret, spec), spec, info) == Status::ok);
  CHECK(info.value_canonical == R"({"ticketId":"t1"})");
  CHECK(verify(sign(p.client.signer_secret, spec), spec, info) == Status::wrong_signer);
  MessageSpec other = spec;
  other.in_response_to = "co_zRequest2";
  CHECK(verify(sign(p.worker.signer_secret, spec), other, info) == Status::wrong_request);
  MessageSpec missing = spec;
  missing.in_response_to.clear();
  std::string body;
  CHECK(message_sign(p.worker.signer_secret, missing, {}, body) == Status::invalid_argument);
}

TEST_CASE("message values must be objects", "[message]") {
  Parties p;
  MessageSpec spec = request_spec(p.worker_account);
  spec.value_json = "[1]";
  std::string body;
  CHECK(message_sign(p.client.signer_secret, spec, {}, body) == Status::malformed);
  spec.value_json = "{";
  CHECK(message_sign(p.client.signer_secret, spec, {}, body) == Status::not_json);
}

TEST_CASE("a value with a raw string that has no canonical text of its own is refused as malformed", "[message]") {
  // cojson writes encrypted_U/binary_U strings raw: one holding a control, a quote, a
  // backslash or a lone surrogate would be written as text that does not parse (found
  // by the resign_message fuzz target: it answered not_json) or parses to another value.
  Parties p;
  MessageSpec spec = request_spec(p.worker_account);
  std::string body;
  for (const char *value : {R"({"v":"encrypted_Ux\ny"})", R"({"v":"encrypted_Ux\"y"})", R"({"v":"binary_Ux\\y"})",
                            R"({"v":"encrypted_Ux\ud800y"})"}) {
    spec.value_json = value;
    CHECK(message_sign(p.client.signer_secret, spec, {}, body) == Status::malformed);
  }
  spec.value_json = R"({"v":"encrypted_Uplain"})";
  CHECK(message_sign(p.client.signer_secret, spec, {}, body) == Status::ok);
  spec.created_at = std::numeric_limits<double>::infinity();
  spec.value_json = R"({"v":"encrypted_Ux\ny"})";
  CHECK(message_sign(p.client.signer_secret, spec, {}, body) == Status::invalid_argument);
}

TEST_CASE("a signer expanded once signs as its secret does", "[message]") {
  Parties p;
  ExpandedSigner signer;
  REQUIRE(sign_expand(p.client.signer_secret, signer) == Status::ok);
  CHECK(signer.signer_id == p.client.signer_id);
  const MessageSpec spec = request_spec(p.worker_account);
  std::string body;
  REQUIRE(message_sign(signer, spec, {}, body) == Status::ok);
  CHECK(body == sign(p.client.signer_secret, spec));
}

TEST_CASE("the ABI's open signers: one per handle, refused once closed, also when the slot is reused",
          "[message][abi]") {
  REQUIRE(jazzrpc_init() == 0);
  Parties p;
  const std::string spec =
      R"({"kind":"request","url":"/api/book","workerId":")" + p.worker_account +
      R"(","nonce":"z1","value":{"eventId":"e1"},"createdAt":1700000000000})";
  const auto output = [] {
    return std::string(reinterpret_cast<const char *>(jazzrpc_output_ptr()), jazzrpc_output_len());
  };
  const double client = jazzrpc_signer_open(p.client.signer_secret.data(), p.client.signer_secret.size());
  REQUIRE(client > 0);
  REQUIRE(jazzrpc_signer_id(client) > 0);
  CHECK(output() == p.client.signer_id);
  REQUIRE(jazzrpc_signer_message_sign(client, spec.data(), spec.size()) > 0);
  const std::string by_handle = output();
  REQUIRE(jazzrpc_message_sign(p.client.signer_secret.data(), p.client.signer_secret.size(), spec.data(), spec.size()) > 0);
  CHECK(by_handle == output());

  CHECK(jazzrpc_signer_close(client) == 0);
  CHECK(jazzrpc_signer_close(client) == -static_cast<int>(Status::invalid_argument));
  CHECK(jazzrpc_signer_message_sign(client, spec.data(), spec.size()) == -static_cast<int>(Status::invalid_argument));
  // The next signer gets a new handle; the old handle names nothing.
  const double worker = jazzrpc_signer_open(p.worker.signer_secret.data(), p.worker.signer_secret.size());
  REQUIRE(worker > 0);
  CHECK(worker != client);
  CHECK(jazzrpc_signer_id(client) == -static_cast<int>(Status::invalid_argument));
  REQUIRE(jazzrpc_signer_id(worker) > 0);
  CHECK(output() == p.worker.signer_id);
  CHECK(jazzrpc_signer_open("signerSecret_zNotBase58!", 24) < 0);
  CHECK(jazzrpc_signer_id(0) == -static_cast<int>(Status::invalid_argument));
  CHECK(jazzrpc_signer_id(-5) == -static_cast<int>(Status::invalid_argument));
  CHECK(jazzrpc_signer_close(worker) == 0);
  jazzrpc_output_wipe();
}
