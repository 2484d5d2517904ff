// The request envelope (src/envelope.h): what a server runs on each body it receives.
// Verified at a fixed time inside the seeds' window, and, when the body named a time
// outside it, again at the body's own createdAt so that the signature check runs.
// Invariants, for any input bytes:
//  - the verdict is a verdict (never invalid_argument or internal for a valid now);
//  - refusals before the shape match json_parse's; info is filled exactly when the
//    shape was read, with prefixed id and signer, and expiresAt = createdAt + window;
//  - ok only inside the window, and only when the signature verifies over the
//    hash of the canonical {contentPieces, createdAt, id, signerID};
//  - the same body at its own createdAt gets no time verdict; verification is deterministic.
#include "fuzz_common.h"
#include "hash.h"

using namespace jazzrpc;

namespace {

void check_info(const EnvelopeInfo &info, const EnvelopeOptions &options) {
  FUZZ_CHECK(info.id.substr(0, prefix::co_id.size()) == prefix::co_id, "id", info.id);
  FUZZ_CHECK(info.signer_id.substr(0, prefix::signer.size()) == prefix::signer, "signer", info.signer_id);
  FUZZ_CHECK(std::isfinite(info.created_at));
  FUZZ_CHECK(info.expires_at == info.created_at + options.window_ms);
}

Status verify_at(std::string_view body, double now, const EnvelopeOptions &options, EnvelopeInfo &info,
                 Status parse_status) {
  const Status status = envelope_verify(body, now, options, info);
  FUZZ_CHECK(status != Status::invalid_argument && status != Status::internal, "envelope_verify", status);
  if (parse_status != Status::ok) {
    FUZZ_CHECK(status == parse_status && !info.parsed, "envelope_verify", status);
    return status;
  }
  const bool after_shape = status == Status::ok || fuzz::is_time_status(status) || status == Status::bad_signature;
  FUZZ_CHECK(info.parsed == after_shape, "envelope_verify", status);
  FUZZ_CHECK(after_shape || status == Status::malformed, "envelope_verify", status);
  if (info.parsed) check_info(info, options);
  if (status == Status::expired) FUZZ_CHECK(info.expires_at < now);
  if (status == Status::future) FUZZ_CHECK(info.created_at > now + options.skew_ms);
  if (status == Status::ok) FUZZ_CHECK(info.expires_at >= now && info.created_at <= now + options.skew_ms);
  return status;
}

// ok means: this signer signed this hash, recomputed here from the parsed body.
void check_signature(std::string_view body, const EnvelopeOptions &options, const EnvelopeInfo &info) {
  JsonDocument doc;
  FUZZ_CHECK(json_parse(body, options.limits, doc) == Status::ok);
  const JsonNode &root = doc.root();
  const JsonNode *pieces = root.find(u"contentPieces");
  const JsonNode *id = root.find(u"id");
  const JsonNode *signer = root.find(u"signerID");
  const JsonNode *token = root.find(u"authToken");
  FUZZ_CHECK(pieces != nullptr && id != nullptr && signer != nullptr && token != nullptr);
  FUZZ_CHECK(json_canonical_is_unambiguous(*pieces));
  const std::string hash = envelope_signed_hash(*pieces, id->string(), info.created_at, signer->string());
  FUZZ_CHECK(verify_canonical(json_string_utf8(*token), quoted_hash_message(hash), info.signer_id) == Status::ok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  const EnvelopeOptions options;
  JsonValue root;
  const Status parse_status = json_parse(body, options.limits, root);

  EnvelopeInfo info;
  Status status = verify_at(body, fuzz::seed_now, options, info, parse_status);
  if (fuzz::is_time_status(status)) {
    const EnvelopeInfo first = info;
    status = verify_at(body, first.created_at, options, info, parse_status);
    FUZZ_CHECK(status == Status::ok || status == Status::bad_signature, "at its own createdAt", status);
    FUZZ_CHECK(info.id == first.id && info.signer_id == first.signer_id && info.created_at == first.created_at);
  }
  if (status == Status::ok) {
    check_signature(body, options, info);
    EnvelopeInfo again;
    FUZZ_CHECK(envelope_verify(body, info.created_at, options, again) == Status::ok);
    FUZZ_CHECK(again.id == info.id && again.signer_id == info.signer_id && again.expires_at == info.expires_at);
  }
  return 0;
}
