#include "message.h"

#include <array>
#include <cmath>

#include "base58.h"
#include "hash.h"
#include "sign.h"

namespace jazzrpc {
namespace {

constexpr std::u16string_view kind_name(MessageKind kind) {
  return kind == MessageKind::request ? u"request" : u"response";
}

JsonValue make_object(std::vector<JsonValue::Member> members) {
  JsonValue object;
  object.kind = JsonValue::Kind::object;
  object.object = std::move(members);
  json_sort_members(object.object);
  return object;
}

JsonValue make_string(std::u16string_view s) {
  JsonValue v;
  v.kind = JsonValue::Kind::string;
  v.string = std::u16string(s);
  return v;
}

// The id of a message: from its contentPieces and its signer.
// co_id_of({contentPieces, signerID}) written straight (the keys are in order), with no
// copy of contentPieces: a copy doubled the memory a large body holds.
// The same from contentPieces' canonical text, hashed in three parts (no copy of it).
std::string message_id_of_canonical(std::string_view pieces_canonical, std::string_view signer_id) {
  std::string tail = ",\"signerID\":";
  json_write_canonical(JsonValue::from_string(signer_id), tail);
  tail += '}';
  Blake3Stream hasher;
  hasher.update("{\"contentPieces\":");
  hasher.update(pieces_canonical);
  hasher.update(tail);
  return hasher.co_id();
}

std::string message_id(const JsonValue &content_pieces, std::string_view signer_id) {
  std::string canonical;
  canonical += "{\"contentPieces\":";
  json_write_canonical(content_pieces, canonical);
  canonical += ",\"signerID\":";
  json_write_canonical(JsonValue::from_string(signer_id), canonical);
  canonical += '}';
  return co_id_of_canonical(canonical);
}

bool string_equals(const JsonValue *value, std::string_view expected) {
  return value != nullptr && value->kind == JsonValue::Kind::string &&
         value->string == utf16_from_utf8(expected);
}

}  // namespace

namespace {

Status swap_key_prefix(std::string_view id, std::string_view from, std::string_view to, std::string &out) {
  std::array<std::uint8_t, sign_public_key_bytes> key{};
  if (prefixed_decode(id, from, key.size(), key.data()) != Status::ok) return Status::bad_key;
  out = prefixed_encode(to, key.data(), key.size());
  return Status::ok;
}

}  // namespace

Status account_id_from_signer(std::string_view signer_id, std::string &account_id) {
  return swap_key_prefix(signer_id, prefix::signer, prefix::co_id, account_id);
}

Status signer_from_account_id(std::string_view account_id, std::string &signer_id) {
  return swap_key_prefix(account_id, prefix::co_id, prefix::signer, signer_id);
}

Status message_sign(std::string_view signer_secret, const MessageSpec &spec, const ParseLimits &limits,
                    std::string &body) {
  ExpandedSigner signer;  // the public key is derived once for the id and the signature
  const Status status = sign_expand(signer_secret, signer);
  return status == Status::ok ? message_sign(signer, spec, limits, body) : status;
}

Status message_sign(const ExpandedSigner &signer, const MessageSpec &spec, const ParseLimits &limits,
                    std::string &body) {
  JsonValue value;
  Status status = json_parse(spec.value_json, limits, value);
  if (status != Status::ok) return status;
  if (value.kind != JsonValue::Kind::object) return Status::malformed;
  if (spec.kind == MessageKind::response && spec.in_response_to.empty()) return Status::invalid_argument;
  if (!std::isfinite(spec.created_at)) return Status::invalid_argument;

  std::vector<JsonValue::Member> members;
  members.emplace_back(u"jazzrpc", make_string(kind_name(spec.kind)));
  members.emplace_back(u"url", JsonValue::from_string(spec.url));
  members.emplace_back(u"workerId", JsonValue::from_string(spec.worker_id));
  members.emplace_back(u"nonce", JsonValue::from_string(spec.nonce));
  if (spec.kind == MessageKind::response) {
    members.emplace_back(u"inResponseTo", JsonValue::from_string(spec.in_response_to));
  }
  members.emplace_back(u"value", std::move(value));
  JsonValue content_pieces;
  content_pieces.kind = JsonValue::Kind::array;
  content_pieces.array.push_back(make_object(std::move(members)));

  // A raw encrypted_U/binary_U string that holds a quote, a backslash, a control or a
  // lone surrogate has no canonical text of its own: refused here, as the verifier
  // refuses it, rather than written into text that no longer parses (found by the
  // resign_message fuzz target).
  if (!json_canonical_is_unambiguous(content_pieces)) return Status::malformed;

  std::string pieces_text;
  json_write_canonical(content_pieces, pieces_text);
  return envelope_sign(signer, pieces_text, message_id(content_pieces, signer.signer_id), spec.created_at, limits,
                       body);
}

Status message_verify(std::string_view body, double now, const EnvelopeOptions &options, const MessageSpec &expected,
                      MessageInfo &info) {
  info = MessageInfo{};
  JsonValue root;
  std::string pieces_canonical;  // written once, for the signature and for the id
  Status status = envelope_verify(body, now, options, info.envelope, root, &pieces_canonical);
  if (status != Status::ok) return status;
  const JsonValue &content_pieces = *root.find(u"contentPieces");
  if (content_pieces.array.size() != 1 || content_pieces.array[0].kind != JsonValue::Kind::object) {
    return Status::malformed;
  }
  const JsonValue &piece = content_pieces.array[0];
  const JsonValue *value = piece.find(u"value");
  const JsonValue *nonce = piece.find(u"nonce");
  if (!string_equals(piece.find(u"jazzrpc"), expected.kind == MessageKind::request ? "request" : "response") ||
      value == nullptr || value->kind != JsonValue::Kind::object || nonce == nullptr ||
      nonce->kind != JsonValue::Kind::string) {
    return Status::malformed;
  }
  if (!string_equals(piece.find(u"url"), expected.url)) return Status::wrong_route;
  if (!string_equals(piece.find(u"workerId"), expected.worker_id)) return Status::wrong_worker;
  if (message_id_of_canonical(pieces_canonical, info.envelope.signer_id) != info.envelope.id) return Status::bad_id;
  pieces_canonical = std::string();  // freed before the value's text is written
  status = account_id_from_signer(info.envelope.signer_id, info.made_by);
  if (status != Status::ok) return Status::bad_signature;
  if (expected.kind == MessageKind::response) {
    if (info.made_by != expected.worker_id) return Status::wrong_signer;
    if (!string_equals(piece.find(u"inResponseTo"), expected.in_response_to)) return Status::wrong_request;
  }
  json_write_canonical(*value, info.value_canonical);
  return Status::ok;
}

}  // namespace jazzrpc
