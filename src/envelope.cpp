#include "envelope.h"

#include <cmath>

#include "base58.h"
#include "hash.h"
#include "sign.h"

namespace jazzrpc {
namespace {

bool has_prefix(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

const JsonValue *string_member(const JsonValue &object, std::u16string_view key) {
  const JsonValue *v = object.find(key);
  return v != nullptr && v->kind == JsonValue::Kind::string ? v : nullptr;
}

JsonValue::Member member(std::u16string key, JsonValue value) { return {std::move(key), std::move(value)}; }

JsonValue signed_content(JsonValue content_pieces, std::string_view id, double created_at,
                         std::string_view signer_id) {
  JsonValue object;
  object.kind = JsonValue::Kind::object;
  object.object.push_back(member(u"contentPieces", std::move(content_pieces)));
  object.object.push_back(member(u"createdAt", JsonValue::from_number(created_at)));
  object.object.push_back(member(u"id", JsonValue::from_string(id)));
  object.object.push_back(member(u"signerID", JsonValue::from_string(signer_id)));
  json_sort_members(object.object);
  return object;
}

}  // namespace

bool is_valid_time(double ms) noexcept { return std::isfinite(ms); }

namespace {

constexpr std::string_view kPiecesKey = "{\"contentPieces\":";

// The hash, and in canonical the text it hashes, whose contentPieces end at pieces_end.
std::string signed_hash_text(const JsonValue &content_pieces, const JsonValue &id, double created_at,
                             const JsonValue &signer_id, std::size_t reserve, std::string &canonical,
                             std::size_t &pieces_end) {
  // The canonical text of contentPieces is written straight after its key; the
  // other members follow in sorted order. Same bytes as signed_content() without a copy.
  canonical.clear();
  canonical.reserve(reserve);
  canonical += kPiecesKey;
  json_write_canonical(content_pieces, canonical);
  pieces_end = canonical.size();
  canonical += ",\"createdAt\":";
  js_number_append(created_at, canonical);
  canonical += ",\"id\":";
  json_write_canonical(id, canonical);
  canonical += ",\"signerID\":";
  json_write_canonical(signer_id, canonical);
  canonical += '}';
  return secure_hash_canonical(canonical);
}

}  // namespace

std::string envelope_signed_hash(const JsonValue &content_pieces, const JsonValue &id, double created_at,
                                 const JsonValue &signer_id, std::size_t reserve) {
  std::string canonical;
  std::size_t pieces_end = 0;
  return signed_hash_text(content_pieces, id, created_at, signer_id, reserve, canonical, pieces_end);
}

Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info) {
  JsonValue root;
  return envelope_verify(body, now, options, info, root);
}

Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                       JsonValue &root) {
  return envelope_verify(body, now, options, info, root, nullptr);
}

Status envelope_verify(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                       JsonValue &root, std::string *content_pieces_canonical) {
  info = EnvelopeInfo{};
  if (!is_valid_time(now) || !(options.window_ms >= 0) || !(options.skew_ms >= 0)) return Status::invalid_argument;

  Status status = json_parse(body, options.limits, root);
  if (status != Status::ok) return status;
  if (root.kind != JsonValue::Kind::object) return Status::malformed;

  const JsonValue *content_pieces = root.find(u"contentPieces");
  const JsonValue *id = string_member(root, u"id");
  const JsonValue *created_at = root.find(u"createdAt");
  const JsonValue *auth_token = string_member(root, u"authToken");
  const JsonValue *signer_id = string_member(root, u"signerID");
  if (content_pieces == nullptr || content_pieces->kind != JsonValue::Kind::array || id == nullptr ||
      created_at == nullptr || created_at->kind != JsonValue::Kind::number || !std::isfinite(created_at->number) ||
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
  info.created_at = created_at->number;
  info.expires_at = info.created_at + options.window_ms;

  if (info.expires_at < now) return Status::expired;
  if (info.created_at > now + options.skew_ms) return Status::future;

  std::string canonical;
  std::size_t pieces_end = 0;
  const std::string hash =
      signed_hash_text(*content_pieces, *id, info.created_at, *signer_id, body.size(), canonical, pieces_end);
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
                            const ParseLimits &limits, JsonValue &content_pieces) {
  if (!is_valid_time(created_at)) return Status::invalid_argument;
  if (!has_prefix(id, prefix::co_id)) return Status::malformed;
  const Status status = json_parse(content_pieces_json, limits, content_pieces);
  if (status != Status::ok) return status;
  if (content_pieces.kind != JsonValue::Kind::array || !json_canonical_is_unambiguous(content_pieces)) {
    return Status::malformed;
  }
  return Status::ok;
}

Status sign_parsed(const ExpandedSigner &signer, JsonValue content_pieces, std::string_view id, double created_at,
                   std::string &body) {
  const std::string &signer_id = signer.signer_id;
  std::string auth_token;
  const Status status = sign_canonical(
      signer,
      quoted_hash_message(envelope_signed_hash(content_pieces, JsonValue::from_string(id), created_at,
                                               JsonValue::from_string(signer_id))),
      auth_token);
  if (status != Status::ok) return status;

  // The body: the signed content plus the token, written canonically (key order is free on the wire).
  JsonValue object = signed_content(std::move(content_pieces), id, created_at, signer_id);
  object.object.push_back(member(u"authToken", JsonValue::from_string(auth_token)));
  json_sort_members(object.object);
  body.clear();
  json_write_canonical(object, body);
  return Status::ok;
}

}  // namespace

Status envelope_sign(std::string_view signer_secret, std::string_view content_pieces_json, std::string_view id,
                     double created_at, const ParseLimits &limits, std::string &body) {
  JsonValue content_pieces;
  Status status = parse_content_pieces(content_pieces_json, id, created_at, limits, content_pieces);
  if (status != Status::ok) return status;
  ExpandedSigner signer;
  status = sign_expand(signer_secret, signer);
  if (status != Status::ok) return status;
  return sign_parsed(signer, std::move(content_pieces), id, created_at, body);
}

Status envelope_sign(const ExpandedSigner &signer, std::string_view content_pieces_json, std::string_view id,
                     double created_at, const ParseLimits &limits, std::string &body) {
  JsonValue content_pieces;
  const Status status = parse_content_pieces(content_pieces_json, id, created_at, limits, content_pieces);
  if (status != Status::ok) return status;
  return sign_parsed(signer, std::move(content_pieces), id, created_at, body);
}

}  // namespace jazzrpc
