// Re-signing jazzrpc messages: the input is read as JSON (a message body, or any
// value), its first piece's fields become a message spec (kind, url, workerId, nonce,
// inResponseTo, value, the body's createdAt), and the message is signed with the
// fixed client key (a request) or worker key (a response). So each mutated body is
// signed anew and the checks after the signature run on it.
// Invariants:
//  - message_sign refuses only for a reason: an argument outside its domain, the size
//    or depth limits, or a value whose canonical text is ambiguous;
//  - what it signs, message_verify accepts at its createdAt against the same spec
//    (unless the body is over the size or depth limits, see README.md), with madeBy the
//    signer's account, the value's canonical text, and the body is canonical JSON;
//  - against another url, worker, request or kind it is refused with that reason;
//  - a body changed in one byte does not verify, or verifies to the same message.
#include "fuzz_common.h"
#include "hash.h"

using namespace jazzrpc;

namespace {

std::uint32_t mix(const std::uint8_t *data, std::size_t size) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < size && i < 256; ++i) h = (h ^ data[i]) * 16777619u;
  return h ^ static_cast<std::uint32_t>(size);
}

bool unambiguous_text(std::string_view utf8) { return json_canonical_is_unambiguous(JsonValue::from_string(utf8)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const ParseLimits limits;
  JsonValue root;
  if (json_parse(fuzz::as_text(data, size), limits, root) != Status::ok) return 0;

  // The piece: the body's first piece, else the input itself.
  const JsonValue *piece = &root;
  const JsonValue *pieces = fuzz::member_of_kind(root, u"contentPieces", JsonValue::Kind::array);
  if (pieces != nullptr && !pieces->array.empty()) piece = &pieces->array[0];

  MessageSpec spec;
  spec.kind = fuzz::string_member(*piece, u"jazzrpc") == "response" ? MessageKind::response : MessageKind::request;
  const fuzz::FixedKey &key = spec.kind == MessageKind::request ? fuzz::client_key() : fuzz::worker_key();
  const bool has_url = fuzz::member_of_kind(*piece, u"url", JsonValue::Kind::string) != nullptr;
  spec.url = has_url ? fuzz::string_member(*piece, u"url") : std::string(fuzz::seed_url);
  spec.worker_id = fuzz::string_member(*piece, u"workerId");
  if (spec.worker_id.empty()) spec.worker_id = fuzz::worker_key().account_id;
  spec.nonce = fuzz::string_member(*piece, u"nonce");
  spec.in_response_to = fuzz::string_member(*piece, u"inResponseTo");
  JsonValue value;
  if (const JsonValue *v = fuzz::member_of_kind(*piece, u"value", JsonValue::Kind::object)) {
    value = *v;
  } else {
    value.kind = JsonValue::Kind::object;
    value.object.emplace_back(u"input", root);
  }
  json_write_canonical(value, spec.value_json);
  const JsonValue *created_at = fuzz::member_of_kind(root, u"createdAt", JsonValue::Kind::number);
  spec.created_at = created_at != nullptr ? created_at->number : fuzz::seed_now;

  std::string body;
  const Status sign_status = message_sign(key.keypair.signer_secret, spec, limits, body);
  // What the signer reads is the value's canonical text; for a value whose text is
  // ambiguous that is another value (a raw string's lone surrogate becomes U+FFFD) or
  // no JSON at all (a raw string's quote ends it).
  JsonValue handed;
  const Status handed_status = json_parse(spec.value_json, limits, handed);
  const bool strings_unambiguous = unambiguous_text(spec.url) && unambiguous_text(spec.worker_id) &&
                                   unambiguous_text(spec.nonce) &&
                                   (spec.kind == MessageKind::request || unambiguous_text(spec.in_response_to));
  const std::uint32_t value_depth = fuzz::json_depth(handed);
  if (sign_status == Status::too_large) {
    const std::size_t text = spec.value_json.size() + spec.url.size() + spec.worker_id.size() + spec.nonce.size() +
                             spec.in_response_to.size();
    FUZZ_CHECK(text + 512 > limits.max_bytes, "message_sign", sign_status);
    return 0;
  }
  if (sign_status == Status::too_deep) {
    FUZZ_CHECK(handed_status != Status::ok || value_depth + 2 > limits.max_depth, "message_sign", sign_status);
    return 0;
  }
  Status expected = Status::ok;
  if (handed_status != Status::ok) {
    expected = handed_status;
  } else if (handed.kind != JsonValue::Kind::object) {
    expected = Status::malformed;
  } else if (spec.kind == MessageKind::response && spec.in_response_to.empty()) {
    expected = Status::invalid_argument;
  } else if (!std::isfinite(spec.created_at)) {
    expected = Status::invalid_argument;
  } else if (!json_canonical_is_unambiguous(handed) || !strings_unambiguous) {
    expected = Status::malformed;
  }
  FUZZ_CHECK(sign_status == expected, "message_sign", sign_status);
  if (sign_status != Status::ok) return 0;

  // The body is canonical JSON.
  std::string canonical;
  const ParseLimits unbounded = ParseLimits::from(~std::size_t{0}, ParseLimits::hard_max_depth);
  FUZZ_CHECK(json_canonicalize(body, unbounded, canonical) == Status::ok && canonical == body, "body", body);

  EnvelopeOptions options;
  options.limits = limits;
  const double now = spec.created_at;
  MessageInfo info;
  const Status status = message_verify(body, now, options, spec, info);
  if (body.size() > limits.max_bytes) {
    FUZZ_CHECK(status == Status::too_large, "message_verify of a signed body", status);
    return 0;
  }
  if (value_depth + 3 > limits.max_depth) {
    FUZZ_CHECK(status == Status::too_deep, "message_verify of a signed body", status);
    return 0;
  }
  if (spec.kind == MessageKind::response && spec.worker_id != key.account_id) {
    FUZZ_CHECK(status == Status::wrong_signer, "a response not signed by the worker", status);
    return 0;
  }
  FUZZ_CHECK(status == Status::ok, "message_verify of a signed body", status);
  FUZZ_CHECK(info.made_by == key.account_id && info.envelope.signer_id == key.keypair.signer_id);
  FUZZ_CHECK(info.envelope.created_at == spec.created_at);
  // The value signed is the one the signer read (handed), unchanged.
  std::string handed_canonical;
  json_write_canonical(handed, handed_canonical);
  FUZZ_CHECK(info.value_canonical == handed_canonical, "value", info.value_canonical);

  // Against another expectation: refused, with that reason.
  const std::uint32_t h = mix(data, size);
  MessageSpec other = spec;
  Status want = Status::ok;
  switch (h % 4) {
    case 0: other.url += "/"; want = Status::wrong_route; break;
    case 1: other.worker_id += "x"; want = Status::wrong_worker; break;
    case 2:
      other.kind = spec.kind == MessageKind::request ? MessageKind::response : MessageKind::request;
      want = Status::malformed;
      break;
    default:
      if (spec.kind == MessageKind::response) {
        other.in_response_to += "x";
        want = Status::wrong_request;
      } else {
        want = Status::ok;  // a request does not answer anything: inResponseTo is not read
        other.in_response_to += "x";
      }
  }
  MessageInfo other_info;
  FUZZ_CHECK(message_verify(body, now, options, other, other_info) == want, "against another expectation");

  // One byte changed: refused, or the same message.
  std::string changed = body;
  const std::size_t at = (h >> 2) % changed.size();
  changed[at] = static_cast<char>(changed[at] ^ static_cast<char>(1u << ((h >> 24) % 8)));
  MessageInfo changed_info;
  if (message_verify(changed, now, options, spec, changed_info) == Status::ok) {
    FUZZ_CHECK(changed_info.value_canonical == info.value_canonical && changed_info.envelope.id == info.envelope.id &&
                   changed_info.made_by == info.made_by && changed_info.envelope.created_at == info.envelope.created_at,
               "a changed body verifies to another message", changed);
  }
  return 0;
}
