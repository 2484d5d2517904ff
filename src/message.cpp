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

// The id of a message: from its contentPieces and its signer.
// co_id_of({contentPieces, signerID}) written straight (the keys are in order), with no
// copy of contentPieces: a copy doubled the memory a large body holds.
// The same from contentPieces' canonical text, hashed in three parts (no copy of it).
std::string message_id_of_canonical(std::string_view pieces_canonical, std::string_view signer_id) {
  std::string tail = ",\"signerID\":";
  json_write_canonical_string(utf16_from_utf8(signer_id), tail);
  tail += '}';
  Blake3Stream hasher;
  hasher.update("{\"contentPieces\":");
  hasher.update(pieces_canonical);
  hasher.update(tail);
  return hasher.co_id();
}

bool string_equals(const JsonNode *value, std::string_view expected) {
  return value != nullptr && value->kind() == JsonNode::Kind::string && value->string() == utf16_from_utf8(expected);
}

// A member of a piece, a string value written canonically.
void append_string_member(std::string_view key, std::u16string_view value, std::string &out) {
  out += '"';
  out += key;
  out += "\":";
  json_write_canonical_string(value, out);
  out += ',';
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
  JsonDocument value;
  Status status = json_parse(spec.value_json, limits, value);
  if (status != Status::ok) return status;
  if (value.root().kind() != JsonNode::Kind::object) return Status::malformed;
  if (spec.kind == MessageKind::response && spec.in_response_to.empty()) return Status::invalid_argument;
  if (!std::isfinite(spec.created_at)) return Status::invalid_argument;

  const std::u16string url = utf16_from_utf8(spec.url);
  const std::u16string worker_id = utf16_from_utf8(spec.worker_id);
  const std::u16string nonce = utf16_from_utf8(spec.nonce);
  const std::u16string in_response_to = utf16_from_utf8(spec.in_response_to);
  // A raw encrypted_U/binary_U string that holds a quote, a backslash, a control or a
  // lone surrogate has no canonical text of its own: refused here, as the verifier
  // refuses it, rather than written into text that no longer parses (found by the
  // resign_message fuzz target).
  if (!json_canonical_is_unambiguous(value.root()) || !json_canonical_is_unambiguous(url) ||
      !json_canonical_is_unambiguous(worker_id) || !json_canonical_is_unambiguous(nonce) ||
      (spec.kind == MessageKind::response && !json_canonical_is_unambiguous(in_response_to))) {
    return Status::malformed;
  }

  // contentPieces: one piece, its members written in key order (UTF-16 code units).
  std::string pieces_text = "[{";
  if (spec.kind == MessageKind::response) append_string_member("inResponseTo", in_response_to, pieces_text);
  append_string_member("jazzrpc", kind_name(spec.kind), pieces_text);
  append_string_member("nonce", nonce, pieces_text);
  append_string_member("url", url, pieces_text);
  pieces_text += "\"value\":";
  json_write_canonical(value.root(), pieces_text);
  pieces_text += ',';
  append_string_member("workerId", worker_id, pieces_text);
  pieces_text.back() = '}';
  pieces_text += ']';
  value = JsonDocument();
  return envelope_sign(signer, pieces_text, message_id_of_canonical(pieces_text, signer.signer_id), spec.created_at,
                       limits, body);
}

Status message_verify(std::string_view body, double now, const EnvelopeOptions &options, const MessageSpec &expected,
                      MessageInfo &info) {
  info = MessageInfo{};
  JsonDocument root;
  std::string pieces_canonical;  // written once, for the signature and for the id
  Status status = envelope_verify(body, now, options, info.envelope, root, &pieces_canonical);
  if (status != Status::ok) return status;
  const JsonItems content_pieces = root.root().find(u"contentPieces")->array();
  if (content_pieces.size() != 1 || content_pieces[0].kind() != JsonNode::Kind::object) return Status::malformed;
  const JsonNode &piece = content_pieces[0];
  const JsonNode *value = piece.find(u"value");
  const JsonNode *nonce = piece.find(u"nonce");
  if (!string_equals(piece.find(u"jazzrpc"), expected.kind == MessageKind::request ? "request" : "response") ||
      value == nullptr || value->kind() != JsonNode::Kind::object || nonce == nullptr ||
      nonce->kind() != JsonNode::Kind::string) {
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
