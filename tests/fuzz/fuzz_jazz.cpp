// jazz-tools bodies (src/jazz.h): the envelope, then the binding of its signer to the
// account that created the request CoValue. Verified at a time in the fixtures'
// window, or at the body's own createdAt when it names another.
// Invariants, for any input bytes:
//  - the verdict is a verdict (never invalid_argument or internal);
//  - an envelope refusal is envelope_verify's verdict, unchanged;
//  - ok means (jazz_check.h): the envelope verifies; the request's first piece has a
//    header whose CoValue id is the envelope's id; every session of the request is the
//    creator's, chained from 0 and signed by the envelope's signer; the creator's
//    account piece names that signer as its initial admin agent; the group that owns
//    the request names the creator as its initial admin.
#include "jazz_check.h"

using namespace jazzrpc;

namespace {

// createdAt of tests/fixtures/jazz-tools-0.20.19/request.json, plus a second.
constexpr double fixture_now = 1795585768507.0 + 1000;

Status verify(std::string_view body, double now, const EnvelopeOptions &options, JazzInfo &info) {
  const Status status = jazz_message_verify(body, now, options, info);
  FUZZ_CHECK(status != Status::invalid_argument && status != Status::internal, "jazz_message_verify", status);
  EnvelopeInfo envelope;
  const Status envelope_status = envelope_verify(body, now, options, envelope);
  if (envelope_status != Status::ok) {
    FUZZ_CHECK(status == envelope_status, "jazz_message_verify", status);
    return status;
  }
  if (status != Status::ok) return status;
  FUZZ_CHECK(info.envelope.id == envelope.id && info.envelope.signer_id == envelope.signer_id);
  fuzz::check_accepted_jazz_body(body, options, info);
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  const EnvelopeOptions options;
  JazzInfo info;
  const Status status = verify(body, fixture_now, options, info);
  if (fuzz::is_time_status(status)) {
    const Status again = verify(body, info.envelope.created_at, options, info);
    FUZZ_CHECK(!fuzz::is_time_status(again), "at its own createdAt", again);
  }
  return 0;
}
