#include "auth_token.h"

#include <cstdint>

#include "base58.h"
#include "envelope.h"
#include "hash.h"
#include "json.h"
#include "sign.h"

namespace jazzrpc {
namespace {

// The message a token signs: the quoted hash of {"createdAt":…,"id":…}.
std::string auth_token_message(std::string_view id, double created_at) {
  std::string canonical = "{\"createdAt\":";
  js_number_append(created_at, canonical);
  canonical += ",\"id\":";
  json_write_canonical(JsonValue::from_string(id), canonical);
  canonical += '}';
  return quoted_hash_message(secure_hash_canonical(canonical));
}

bool has_prefix(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The most milliseconds a token carries: 2^53, past any date Date can hold (8.64e15),
// and every integer up to it is a double, written by String(n) as plain digits.
constexpr double kMaxMillis = 9007199254740992.0;

bool is_millis(double ms) noexcept {
  return ms >= 0 && ms <= kMaxMillis && ms == static_cast<double>(static_cast<std::uint64_t>(ms));
}

// Milliseconds in their one text, String(n) of an integer: decimal digits, no leading
// zero (but "0" itself), no sign, point or exponent, at most 2^53. A token has one text.
bool parse_millis(std::string_view digits, double &out) {
  if (digits.empty() || digits.size() > 16 || (digits.size() > 1 && digits[0] == '0')) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > static_cast<std::uint64_t>(kMaxMillis)) return false;
  out = static_cast<double>(value);
  return true;
}

}  // namespace

Status auth_token_create(std::string_view signer_secret, std::string_view id, double created_at, std::string &token) {
  if (!is_millis(created_at)) return Status::invalid_argument;  // the token must parse back
  if (!has_prefix(id, prefix::co_id) || id.find('~') != std::string_view::npos) return Status::malformed;
  std::string signature;
  const Status status = sign_canonical(signer_secret, auth_token_message(id, created_at), signature);
  if (status != Status::ok) return status;
  token = signature;
  token += '~';
  token += id;
  token += '~';
  js_number_append(created_at, token);
  return Status::ok;
}

Status auth_token_parse(std::string_view token, AuthToken &out) {
  const std::size_t first = token.find('~');
  if (first == std::string_view::npos) return Status::malformed;
  const std::size_t second = token.find('~', first + 1);
  if (second == std::string_view::npos || token.find('~', second + 1) != std::string_view::npos) {
    return Status::malformed;
  }
  const std::string_view signature = token.substr(0, first);
  const std::string_view id = token.substr(first + 1, second - first - 1);
  double created_at = 0;
  if (!has_prefix(signature, prefix::signature) || !has_prefix(id, prefix::co_id) ||
      !parse_millis(token.substr(second + 1), created_at)) {
    return Status::malformed;
  }
  out.signature = std::string(signature);
  out.id = std::string(id);
  out.created_at = created_at;
  return Status::ok;
}

Status auth_token_verify(std::string_view token, std::string_view signer_id, double now, double expiration_ms,
                         double skew_ms, AuthToken &out) {
  if (!is_valid_time(now) || !(expiration_ms >= 0) || !(skew_ms >= 0)) return Status::invalid_argument;
  Status status = auth_token_parse(token, out);
  if (status != Status::ok) return status;
  if (out.created_at + expiration_ms < now) return Status::expired;
  if (out.created_at > now + skew_ms) return Status::future;
  return verify_canonical(out.signature, auth_token_message(out.id, out.created_at), signer_id);
}

}  // namespace jazzrpc
