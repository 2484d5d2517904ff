#include "envelope.h"

#include <cmath>

#include "base58.h"
#include "hash.h"
#include "sign.h"

namespace jazzrpc {
namespace {

bool has_prefix(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

const JsonNode *string_member(const JsonNode &object, std::u16string_view key) {
  const JsonNode *v = object.find(key);
  return v != nullptr && v->kind() == JsonNode::Kind::string ? v : nullptr;
}

}  // namespace

bool is_valid_time(double ms) noexcept { return std::isfinite(ms); }

namespace {

constexpr std::string_view kPiecesKey = "{\"contentPieces\":";

// The hash, and in canonical the text it hashes, whose contentPieces end at pieces_end.
std::string signed_hash_text(const JsonNode &content_pieces, std::u16string_view id, double created_at,
                             std::u16string_view signer_id, std::size_t reserve, std::string &canonical,
                             std::size_t &pieces_end) {
  // The canonical text of contentPieces is written straight after its key; the
  // other members follow in sorted order.
  canonical.clear();
  canonical.reserve(reserve);
  canonical += kPiecesKey;
  json_write_canonical(content_pieces, canonical);
  pieces_end = canonical.size();
  canonical += ",\"createdAt\":";
  js_number_append(created_at, canonical);
  canonical += ",\"id\":";
  json_write_canonical_string(id, canonical);
  canonical += ",\"signerID\":";
  json_write_canonical_string(signer_id, canonical);
  canonical += '}';
  return secure_hash_canonical(canonical);
}

}  // namespace

std::string envelope_signed_hash(const JsonNode &content_pieces, std::u16string_view id, double created_at,
                                 std::u16string_view signer_id, std::size_t reserve) {
  std::string canonical;
  std::size_t pieces_end = 0;
  return signed_hash_text(content_pieces, id, created_at, signer_id, reserve, canonical, pieces_end);
}

Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info) {
  JsonDocument root;
  return envelope_verify(body, now, options, info, root);
}

Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                       JsonDocument &root) {
  return envelope_verify(body, now, options, info, root, nullptr);
}

Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                       JsonDocument &doc, std::string *content_pieces_canonical) {
  info = EnvelopeInfo{};
  if (!is_valid_time(now) || !(options.window_ms >= 0) || !(options.skew_ms >= 0)) return Status::invalid_argument;

  Status status = json_parse(body, options.limits, doc);
  if (status != Status::ok) return status;
  const JsonNode &root = doc.root();
  if (root.kind() != JsonNode::Kind::object) return Status::malformed;

  const JsonNode *content_pieces = root.find(u"contentPieces");
  const JsonNode *id = string_member(root, u"id");
  const JsonNode *created_at = root.find(u"createdAt");
  const JsonNode *auth_token = string_member(root, u"authToken");
  const JsonNode *signer_id = string_member(root, u"signerID");
  if (content_pieces == nullptr || content_pieces->kind() != JsonNode::Kind::array || id == nullptr ||
      created_at == nullptr || created_at->kind() != JsonNode::Kind::number || !std::isfinite(created_at->number()) ||
      auth_token == nullptr || signer_id == nullptr) {
    return Status::malformed;
  }
  info.id = json_string_utf8(*id);
  info.signer_id = json_string_utf8(*signer_id);
  const std::string token = json_string_utf8(*auth_token);
  if (!has_prefix(info.id, prefix::co_id) || !has_prefix(info.signer_id, prefix::signer) ||
      !has_prefix(token, prefix::signature)) {
    return Status::malformed;
  }
  // A body whose content has another value with the same canonical text is refused:
  // the signature would not pin what the layers above read.
  if (!json_canonical_is_unambiguous(*content_pieces)) return Status::malformed;
  info.parsed = true;
  info.created_at = created_at->number();
  info.expires_at = info.created_at + options.window_ms;

  if (info.expires_at < now) return Status::expired;
  if (info.created_at > now + options.skew_ms) return Status::future;

  std::string canonical;
  std::size_t pieces_end = 0;
  const std::string hash =
      signed_hash_text(*content_pieces, id->string(), info.created_at, signer_id->string(), body.size(), canonical, pieces_end);
  if (content_pieces_canonical != nullptr) {
    canonical.resize(pieces_end);  // in place: no second copy of a large text
    canonical.erase(0, kPiecesKey.size());
    *content_pieces_canonical = std::move(canonical);
  }
  status = verify_canonical(token, quoted_hash_message(hash), info.signer_id);
  return status == Status::ok ? Status::ok : Status::bad_signature;
}

namespace {

Status parse_content_pieces(std::string_view content_pieces_json, std::string_view id, double created_at,
                            const ParseLimits &limits, JsonDocument &content_pieces) {
  if (!is_valid_time(created_at)) return Status::invalid_argument;
  if (!has_prefix(id, prefix::co_id)) return Status::malformed;
  const Status status = json_parse(content_pieces_json, limits, content_pieces);
  if (status != Status::ok) return status;
  const JsonNode &pieces = content_pieces.root();
  if (pieces.kind() != JsonNode::Kind::array || !json_canonical_is_unambiguous(pieces)) return Status::malformed;
  return Status::ok;
}

Status sign_parsed(const ExpandedSigner &signer, const JsonNode &content_pieces, std::string_view id, double created_at,
                   std::string &body) {
  const std::u16string id16 = utf16_from_utf8(id);
  const std::u16string signer_id16 = utf16_from_utf8(signer.signer_id);
  std::string auth_token;
  const Status status = sign_canonical(
      signer, quoted_hash_message(envelope_signed_hash(content_pieces, id16, created_at, signer_id16)), auth_token);
  if (status != Status::ok) return status;

  // The body: the signed content plus the token, written canonically (key order is free
  // on the wire): its keys in order, authToken first.
  body.clear();
  body += "{\"authToken\":";
  json_write_canonical_string(utf16_from_utf8(auth_token), body);
  body += ",\"contentPieces\":";
  json_write_canonical(content_pieces, body);
  body += ",\"createdAt\":";
  js_number_append(created_at, body);
  body += ",\"id\":";
  json_write_canonical_string(id16, body);
  body += ",\"signerID\":";
  json_write_canonical_string(signer_id16, body);
  body += '}';
  return Status::ok;
}

}  // namespace

Status envelope_sign(std::string_view signer_secret, std::string_view content_pieces_json, std::string_view id,
                     double created_at, const ParseLimits &limits, std::string &body) {
  JsonDocument content_pieces;
  Status status = parse_content_pieces(content_pieces_json, id, created_at, limits, content_pieces);
  if (status != Status::ok) return status;
  ExpandedSigner signer;
  status = sign_expand(signer_secret, signer);
  if (status != Status::ok) return status;
  return sign_parsed(signer, content_pieces.root(), id, created_at, body);
}

Status envelope_sign(const ExpandedSigner &signer, std::string_view content_pieces_json, std::string_view id,
                     double created_at, const ParseLimits &limits, std::string &body) {
  JsonDocument content_pieces;
  const Status status = parse_content_pieces(content_pieces_json, id, created_at, limits, content_pieces);
  if (status != Status::ok) return status;
  return sign_parsed(signer, content_pieces.root(), id, created_at, body);
}

}  // namespace jazzrpc
