#include "jazz.h"

#include "base58.h"
#include "hash.h"

namespace jazzrpc {
namespace {

const JsonValue *member_of_kind(const JsonValue &object, std::u16string_view key, JsonValue::Kind kind) {
  if (object.kind != JsonValue::Kind::object) return nullptr;
  const JsonValue *v = object.find(key);
  return v != nullptr && v->kind == kind ? v : nullptr;
}

std::string string_member(const JsonValue &object, std::u16string_view key) {
  const JsonValue *v = member_of_kind(object, key, JsonValue::Kind::string);
  return v != nullptr ? json_string_utf8(*v) : std::string();
}

// The piece of contentPieces whose "id" is id, or nullptr.
const JsonValue *piece_with_id(const JsonValue &pieces, std::string_view id) {
  for (const auto &piece : pieces.array) {
    if (piece.kind == JsonValue::Kind::object && string_member(piece, u"id") == id) return &piece;
  }
  return nullptr;
}

// The one account whose sessions wrote the piece, or "" if none or several.
std::string writing_account(const JsonValue &piece) {
  const JsonValue *sessions = member_of_kind(piece, u"new", JsonValue::Kind::object);
  if (sessions == nullptr || sessions->object.empty()) return {};
  std::string account;
  for (const auto &session : sessions->object) {
    std::string id;
    utf8_append(session.first, id);
    const std::string_view owner = session_account(id);
    if (owner.empty() || (!account.empty() && owner != account)) return {};
    account = std::string(owner);
  }
  return account;
}

}  // namespace

std::string_view session_account(std::string_view session_id) {
  const std::size_t at = session_id.find("_session_");
  if (at == std::string_view::npos) return {};
  const std::string_view owner = session_id.substr(0, at);
  return owner.substr(0, prefix::co_id.size()) == prefix::co_id ? owner : std::string_view();
}

Status jazz_message_verify(std::string_view body, double now, const EnvelopeOptions &options, JazzInfo &info) {
  info = JazzInfo{};
  JsonValue root;
  const Status status = envelope_verify(body, now, options, info.envelope, root);
  if (status != Status::ok) return status;
  const JsonValue &pieces = *root.find(u"contentPieces");

  // The request CoValue: its id is the envelope's, and the hash of its header.
  const JsonValue *request = piece_with_id(pieces, info.envelope.id);
  if (request == nullptr) return Status::malformed;
  const JsonValue *header = member_of_kind(*request, u"header", JsonValue::Kind::object);
  if (header == nullptr || co_id_of(*header) != info.envelope.id) return Status::malformed;

  // Written by one account only.
  const std::string creator = writing_account(*request);
  if (creator.empty()) return Status::malformed;

  // That account's own piece: its id is the hash of its header, and its header
  // makes the envelope's signer its initial admin.
  const JsonValue *account = piece_with_id(pieces, creator);
  const JsonValue *account_header =
      account != nullptr ? member_of_kind(*account, u"header", JsonValue::Kind::object) : nullptr;
  if (account_header == nullptr || co_id_of(*account_header) != creator) return Status::unbound_signer;
  const JsonValue *meta = member_of_kind(*account_header, u"meta", JsonValue::Kind::object);
  const JsonValue *ruleset = member_of_kind(*account_header, u"ruleset", JsonValue::Kind::object);
  if (meta == nullptr || string_member(*meta, u"type") != "account" || ruleset == nullptr ||
      string_member(*ruleset, u"type") != "group") {
    return Status::unbound_signer;
  }
  const std::string agent = string_member(*ruleset, u"initialAdmin");
  const std::size_t slash = agent.find('/');
  if (slash == std::string::npos || agent.compare(slash + 1, std::string::npos, info.envelope.signer_id) != 0) {
    return Status::unbound_signer;
  }
  info.creator = creator;
  return Status::ok;
}

}  // namespace jazzrpc
