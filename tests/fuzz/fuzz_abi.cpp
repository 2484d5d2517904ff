// The C ABI the glue calls (wasm/abi.cpp, built natively here): each body through the
// verify exports, and what the glue then does with the output (js-glue/src/core/message.js and report.js).
// Invariants, for any input bytes:
//  - each export returns the core's verdict, negated;
//  - its report is empty exactly when the body was not read far enough, and otherwise
//    JSON the glue can parse (parseReport), naming what the core found;
//  - message_verify's report splits at its first ',"value":' into the fields and, when
//    ok, the value's canonical text, as the glue splits it;
//  - auth_token_parse's and canonicalize's outputs are the core's, as JSON.
#include "fuzz_common.h"
#include "auth_token.h"
#include "jazz.h"
#include "jazzrpc_abi.h"

using namespace jazzrpc;

namespace {

constexpr double window_ms = 60'000;
constexpr double skew_ms = 10'000;

std::string output() {
  return std::string(reinterpret_cast<const char *>(jazzrpc_output_ptr()), jazzrpc_output_len());
}

// JSON.parse of an output, as the glue reads it: an object, or the glue answers 500.
JsonValue parse_report(const std::string &text) {
  JsonValue report;
  const ParseLimits unbounded = ParseLimits::from(~std::size_t{0}, ParseLimits::hard_max_depth);
  FUZZ_CHECK(json_parse(text, unbounded, report) == Status::ok, "the glue cannot parse the report", text);
  FUZZ_CHECK(report.kind == JsonValue::Kind::object, "report", text);
  return report;
}

void check_envelope_fields(const JsonValue &report, const EnvelopeInfo &info, const std::string &text) {
  FUZZ_CHECK(fuzz::string_member(report, u"id") == info.id, "report id", text);
  FUZZ_CHECK(fuzz::string_member(report, u"signerID") == info.signer_id, "report signerID", text);
  const JsonValue *created = fuzz::member_of_kind(report, u"createdAt", JsonValue::Kind::number);
  const JsonValue *expires = fuzz::member_of_kind(report, u"expiresAt", JsonValue::Kind::number);
  FUZZ_CHECK(created != nullptr && created->number == info.created_at, "report createdAt", text);
  // expiresAt may be past the doubles' finite range (createdAt near DBL_MAX): written null.
  FUZZ_CHECK(std::isfinite(info.expires_at) ? expires != nullptr && expires->number == info.expires_at
                                            : report.find(u"expiresAt") != nullptr,
             "report expiresAt", text);
}

void check_envelope(std::string_view body, double now) {
  const int rc = jazzrpc_envelope_verify(body.data(), body.size(), now, window_ms, skew_ms, 0, 0);
  const std::string text = output();
  EnvelopeOptions options;
  EnvelopeInfo info;
  const Status status = envelope_verify(body, now, options, info);
  FUZZ_CHECK(rc == -static_cast<int>(status), "jazzrpc_envelope_verify", status);
  FUZZ_CHECK(text.empty() == !info.parsed, "report", text);
  if (!text.empty()) check_envelope_fields(parse_report(text), info, text);
}

void check_jazz(std::string_view body, double now) {
  const int rc = jazzrpc_jazz_message_verify(body.data(), body.size(), now, window_ms, skew_ms, 0, 0);
  const std::string text = output();
  EnvelopeOptions options;
  JazzInfo info;
  const Status status = jazz_message_verify(body, now, options, info);
  FUZZ_CHECK(rc == -static_cast<int>(status), "jazzrpc_jazz_message_verify", status);
  FUZZ_CHECK(text.empty() == !info.envelope.parsed, "report", text);
  if (text.empty()) return;
  const JsonValue report = parse_report(text);
  check_envelope_fields(report, info.envelope, text);
  FUZZ_CHECK(fuzz::string_member(report, u"creator") == info.creator, "report creator", text);
}

void check_message(std::string_view body, double now, const MessageSpec &spec) {
  // The spec as the glue writes it: JSON.stringify({kind, url, workerId, inResponseTo}).
  JsonValue spec_json;
  spec_json.kind = JsonValue::Kind::object;
  spec_json.object.emplace_back(u"kind", JsonValue::from_string(spec.kind == MessageKind::request ? "request" : "response"));
  spec_json.object.emplace_back(u"url", JsonValue::from_string(spec.url));
  spec_json.object.emplace_back(u"workerId", JsonValue::from_string(spec.worker_id));
  spec_json.object.emplace_back(u"inResponseTo", JsonValue::from_string(spec.in_response_to));
  json_sort_members(spec_json.object);
  std::string spec_text;
  json_write_canonical(spec_json, spec_text);

  const int rc = jazzrpc_message_verify(body.data(), body.size(), spec_text.data(), spec_text.size(), now, window_ms,
                                        skew_ms, 0, 0);
  const std::string text = output();
  EnvelopeOptions options;
  MessageInfo info;
  const Status status = message_verify(body, now, options, spec, info);
  FUZZ_CHECK(rc == -static_cast<int>(status), "jazzrpc_message_verify", status);
  FUZZ_CHECK(text.empty() == !info.envelope.parsed, "report", text);
  if (text.empty()) return;

  // The glue's split: the fields before the first ',"value":', the value after it.
  constexpr std::string_view marker = ",\"value\":";
  const std::size_t cut = text.find(marker);
  const JsonValue report = parse_report(cut == std::string::npos ? text : text.substr(0, cut) + "}");
  check_envelope_fields(report, info.envelope, text);
  FUZZ_CHECK(fuzz::string_member(report, u"madeBy") == info.made_by, "report madeBy", text);
  if (status != Status::ok) {
    FUZZ_CHECK(cut == std::string::npos, "a value in the report of a refused message", text);
    return;
  }
  FUZZ_CHECK(cut != std::string::npos && text.back() == '}', "report", text);
  const std::string value = text.substr(cut + marker.size(), text.size() - cut - marker.size() - 1);
  FUZZ_CHECK(value == info.value_canonical, "report value", text);
  parse_report(value);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (jazzrpc_init() != 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);

  // The envelope at a time in the seeds' window, then at the body's own createdAt.
  EnvelopeInfo info;
  const Status status = envelope_verify(body, fuzz::seed_now, EnvelopeOptions{}, info);
  const double now = fuzz::is_time_status(status) ? info.created_at : fuzz::seed_now;
  check_envelope(body, fuzz::seed_now);
  if (now != fuzz::seed_now) check_envelope(body, now);
  check_jazz(body, now);

  // Messages, against the seeds' route and worker, and against what the body names.
  MessageSpec spec;
  spec.url = std::string(fuzz::seed_url);
  spec.worker_id = fuzz::worker_key().account_id;
  spec.in_response_to = "co_zYpg29EJJ3LeJjjtLEkG2vU74oe";
  for (const MessageKind kind : {MessageKind::request, MessageKind::response}) {
    spec.kind = kind;
    check_message(body, now, spec);
  }

  // Auth tokens: the parse output the glue reads.
  if (size <= 65536) {
    const int rc = jazzrpc_auth_token_parse(body.data(), body.size());
    AuthToken parsed;
    const Status parse_status = auth_token_parse(body, parsed);
    FUZZ_CHECK(rc == (parse_status == Status::ok ? static_cast<int>(jazzrpc_output_len()) : -static_cast<int>(parse_status)));
    if (parse_status == Status::ok) {
      const std::string text = output();
      const JsonValue report = parse_report(text);
      // The report holds the parts as JSON strings: UTF-8 as TextDecoder makes it (the
      // glue only ever hands the core well-formed UTF-8, from JS strings).
      const auto as_decoded = [](const std::string &s) { return json_string_utf8(JsonValue::from_string(s)); };
      FUZZ_CHECK(fuzz::string_member(report, u"signature") == as_decoded(parsed.signature), "token report", text);
      FUZZ_CHECK(fuzz::string_member(report, u"id") == as_decoded(parsed.id), "token report", text);
      const JsonValue *created = fuzz::member_of_kind(report, u"createdAt", JsonValue::Kind::number);
      FUZZ_CHECK(created != nullptr && created->number == parsed.created_at, "token report", text);
    }
  }

  // Canonical JSON through the ABI.
  const int rc = jazzrpc_canonicalize(body.data(), body.size(), 0, 0);
  std::string canonical;
  const Status canonical_status = json_canonicalize(body, ParseLimits{}, canonical);
  if (canonical_status == Status::ok) {
    FUZZ_CHECK(rc == static_cast<int>(canonical.size()) && output() == canonical);
  } else {
    FUZZ_CHECK(rc == -static_cast<int>(canonical_status));
  }
  jazzrpc_output_wipe();
  return 0;
}
