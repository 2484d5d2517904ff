// jazzrpc's messages (src/message.h): the server verifies request bodies against its
// route, the client verifies response bodies against its request. Each input is
// verified as both kinds, against the committed seeds' route and worker, at a time in
// the seeds' window or at the body's own createdAt; when verification got past the
// signature, again against the route, worker and request the body itself names, so the
// checks after the signature run on every body that verifies.
// Invariants, for any input bytes:
//  - the verdict is a verdict (never invalid_argument or internal);
//  - an envelope refusal is envelope_verify's verdict, unchanged;
//  - ok means: the envelope verifies, kind, url and worker are the expected ones, the id
//    is the one derived from the content and signer, madeBy is the signer's account
//    (the worker's, for a response, which answers the expected request), and the value
//    is a canonical, unambiguous JSON object.
#include "fuzz_common.h"
#include "hash.h"

using namespace jazzrpc;

namespace {

// The request id the committed response seeds answer (tests/fuzz/make_seeds.mjs).
constexpr std::string_view seed_request_id = "co_zYpg29EJJ3LeJjjtLEkG2vU74oe";

bool past_signature(Status s) {
  return s == Status::ok || s == Status::wrong_route || s == Status::wrong_worker || s == Status::bad_id ||
         s == Status::wrong_signer || s == Status::wrong_request;
}

MessageSpec fixed_spec(MessageKind kind) {
  MessageSpec spec;
  spec.kind = kind;
  spec.url = std::string(fuzz::seed_url);
  spec.worker_id = fuzz::worker_key().account_id;
  spec.in_response_to = std::string(seed_request_id);
  return spec;
}

// The spec a body names in its first piece.
MessageSpec spec_of_body(std::string_view body, MessageKind kind, const ParseLimits &limits) {
  MessageSpec spec;
  spec.kind = kind;
  JsonValue root;
  if (json_parse(body, limits, root) != Status::ok) return spec;
  const JsonValue *pieces = fuzz::member_of_kind(root, u"contentPieces", JsonValue::Kind::array);
  if (pieces == nullptr || pieces->array.empty()) return spec;
  const JsonValue &piece = pieces->array[0];
  spec.url = fuzz::string_member(piece, u"url");
  spec.worker_id = fuzz::string_member(piece, u"workerId");
  spec.in_response_to = fuzz::string_member(piece, u"inResponseTo");
  return spec;
}

Status verify(std::string_view body, double now, const EnvelopeOptions &options, const MessageSpec &expected,
              MessageInfo &info) {
  const Status status = message_verify(body, now, options, expected, info);
  FUZZ_CHECK(status != Status::invalid_argument && status != Status::internal, "message_verify", status);

  EnvelopeInfo envelope;
  const Status envelope_status = envelope_verify(body, now, options, envelope);
  if (envelope_status != Status::ok) {
    FUZZ_CHECK(status == envelope_status, "message_verify", status);
    return status;
  }
  FUZZ_CHECK(status == Status::ok || status == Status::malformed || status == Status::bad_signature ||
                 past_signature(status), "message_verify", status);
  if (status != Status::ok) return status;

  FUZZ_CHECK(info.envelope.id == envelope.id && info.envelope.signer_id == envelope.signer_id);
  std::string account;
  FUZZ_CHECK(account_id_from_signer(info.envelope.signer_id, account) == Status::ok && account == info.made_by);
  if (expected.kind == MessageKind::response) FUZZ_CHECK(info.made_by == expected.worker_id);

  JsonValue value;
  const ParseLimits unbounded = ParseLimits::from(~std::size_t{0}, ParseLimits::hard_max_depth);
  FUZZ_CHECK(json_parse(info.value_canonical, unbounded, value) == Status::ok, "value", info.value_canonical);
  FUZZ_CHECK(value.kind == JsonValue::Kind::object && json_canonical_is_unambiguous(value), "value",
             info.value_canonical);
  std::string again;
  json_write_canonical(value, again);
  FUZZ_CHECK(again == info.value_canonical, "value", info.value_canonical);

  // The binding, recomputed: the piece names the expected route and worker, and the
  // id is co_z + the short hash of {contentPieces, signerID}.
  JsonValue root;
  FUZZ_CHECK(json_parse(body, options.limits, root) == Status::ok);
  const JsonValue &pieces = *root.find(u"contentPieces");
  FUZZ_CHECK(pieces.array.size() == 1);
  FUZZ_CHECK(fuzz::string_member(pieces.array[0], u"url") == expected.url);
  FUZZ_CHECK(fuzz::string_member(pieces.array[0], u"workerId") == expected.worker_id);
  JsonValue idsource;
  idsource.kind = JsonValue::Kind::object;
  idsource.object.emplace_back(u"contentPieces", pieces);
  idsource.object.emplace_back(u"signerID", JsonValue::from_string(info.envelope.signer_id));
  FUZZ_CHECK(co_id_of(idsource) == info.envelope.id, "id", info.envelope.id);
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  const EnvelopeOptions options;

  for (const MessageKind kind : {MessageKind::request, MessageKind::response}) {
    const MessageSpec expected = fixed_spec(kind);
    MessageInfo info;
    Status status = verify(body, fuzz::seed_now, options, expected, info);
    if (fuzz::is_time_status(status)) {
      status = verify(body, info.envelope.created_at, options, expected, info);
      FUZZ_CHECK(!fuzz::is_time_status(status), "at its own createdAt", status);
    }
    if (past_signature(status)) {
      const double now = info.envelope.created_at;
      MessageSpec named = spec_of_body(body, kind, options.limits);
      verify(body, now, options, named, info);
      if (kind == MessageKind::response) {
        named.worker_id = info.made_by;  // a response from the key that signed it
        verify(body, now, options, named, info);
      }
    }
  }
  return 0;
}
