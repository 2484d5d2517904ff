// Auth tokens "signature_z…~co_z…~createdAt" (src/auth_token.h), read as
// js-glue/src/auth.js reads an Authorization header: parse, the signer from the
// token's account id, verify at a time inside the token's window.
// Invariants, for any input bytes:
//  - parse accepts only three '~'-separated parts: signature_z…, co_z…, decimal digits;
//  - verify's verdict is a status of its domain, and never ok for a token that parse refuses;
//  - a token verifies only for its signer and only inside its window;
// and, re-signing (the parsed id and createdAt, or the input as the id, with the fixed
// client key): create succeeds exactly for a co_z id without '~'; the token verifies,
// parses back to the same id and createdAt, is the one text
// signature~id~String(createdAt), and the same token with a leading zero on
// createdAt does not verify.
#include "auth_token.h"
#include "fuzz_common.h"

using namespace jazzrpc;

namespace {

constexpr double expiration_ms = 60'000;
constexpr double skew_ms = 10'000;

bool is_verify_status(Status s) {
  return s == Status::ok || s == Status::malformed || s == Status::expired || s == Status::future ||
         s == Status::bad_signature || s == Status::bad_key;
}

void resign(std::string_view id, double created_at) {
  const fuzz::FixedKey &key = fuzz::client_key();
  std::string token;
  const Status status = auth_token_create(key.keypair.signer_secret, id, created_at, token);
  // createdAt: an integer of milliseconds from 0 to 2^53, the times a token can carry.
  const bool millis = created_at >= 0 && created_at <= 9007199254740992.0 && created_at == std::floor(created_at);
  const bool creatable = id.substr(0, prefix::co_id.size()) == prefix::co_id && id.find('~') == std::string_view::npos;
  const Status expected = !millis ? Status::invalid_argument : !creatable ? Status::malformed : Status::ok;
  FUZZ_CHECK(status == expected, "auth_token_create", status);
  if (status != Status::ok) return;

  std::string text(token.substr(0, token.find('~')));
  text += '~';
  text += id;
  text += '~';
  js_number_append(created_at, text);
  FUZZ_CHECK(token == text, "token", token);

  AuthToken parsed;
  FUZZ_CHECK(auth_token_verify(token, key.keypair.signer_id, created_at, expiration_ms, skew_ms, parsed) == Status::ok,
             "token", token);
  FUZZ_CHECK(parsed.id == id && parsed.created_at == created_at, "token", token);
  // Outside its window, or for another signer, it does not verify (times that
  // doubles hold exactly: up to 2^53 ms, past JS Date's 8.64e15).
  if (created_at <= 9007199254740992.0 - 2 * expiration_ms) {
    FUZZ_CHECK(auth_token_verify(token, key.keypair.signer_id, created_at + expiration_ms + 1, expiration_ms,
                                 skew_ms, parsed) == Status::expired);
    FUZZ_CHECK(auth_token_verify(token, key.keypair.signer_id, created_at - skew_ms - 1, expiration_ms, skew_ms,
                                 parsed) == Status::future);
  }
  FUZZ_CHECK(auth_token_verify(token, fuzz::worker_key().keypair.signer_id, created_at, expiration_ms, skew_ms,
                               parsed) == Status::bad_signature);

  // One token, one text: a leading zero on createdAt is another text for the same signature.
  const std::size_t last = token.rfind('~');
  std::string zero = token;
  zero.insert(last + 1, "0");
  FUZZ_CHECK(auth_token_verify(zero, key.keypair.signer_id, created_at, expiration_ms, skew_ms, parsed) != Status::ok,
             "a second text of one token verifies", zero);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view token = fuzz::as_text(data, size);

  AuthToken parsed;
  const Status parse_status = auth_token_parse(token, parsed);
  FUZZ_CHECK(parse_status == Status::ok || parse_status == Status::malformed, "parse", parse_status);
  if (parse_status == Status::ok) {
    FUZZ_CHECK(parsed.signature.substr(0, prefix::signature.size()) == prefix::signature);
    FUZZ_CHECK(parsed.id.substr(0, prefix::co_id.size()) == prefix::co_id);
    FUZZ_CHECK(parsed.signature.find('~') == std::string::npos && parsed.id.find('~') == std::string::npos);
    FUZZ_CHECK(parsed.created_at >= 0 && parsed.created_at <= 9007199254740992.0 &&
               parsed.created_at == std::floor(parsed.created_at));
  }

  // As authenticateRequest does: the signer of the token's account, at a time in its window.
  const double now = parse_status == Status::ok ? parsed.created_at : fuzz::seed_now;
  std::string signer;
  if (parse_status == Status::ok && signer_from_account_id(parsed.id, signer) == Status::ok) {
    AuthToken out;
    const Status status = auth_token_verify(token, signer, now, expiration_ms, skew_ms, out);
    FUZZ_CHECK(is_verify_status(status), "verify", status);
  }
  // With the fixed client's signer, at the token's time and at a fixed time.
  for (const double at : {now, fuzz::seed_now}) {
    AuthToken out;
    const Status status = auth_token_verify(token, fuzz::client_key().keypair.signer_id, at, expiration_ms, skew_ms, out);
    FUZZ_CHECK(is_verify_status(status), "verify", status);
    if (parse_status != Status::ok) FUZZ_CHECK(status == Status::malformed, "verify of an unparsable token", status);
    if (status == Status::ok) {
      FUZZ_CHECK(out.created_at + expiration_ms >= at && out.created_at <= at + skew_ms);
      // One token, one text: what verifies is signature~id~String(createdAt).
      std::string text = out.signature + "~" + out.id + "~";
      js_number_append(out.created_at, text);
      FUZZ_CHECK(text == token, "a token verifies under a second text", token);
    }
  }

  if (parse_status == Status::ok) {
    resign(parsed.id, parsed.created_at);
  } else if (size <= 4096) {
    resign(token, fuzz::seed_now);
  }
  // The first 8 bytes as createdAt: the times create must refuse (fractions, negatives,
  // past 2^53, NaN) and the edges of those it takes.
  if (size >= sizeof(double)) {
    double created_at = 0;
    std::memcpy(&created_at, data, sizeof created_at);
    resign(fuzz::client_key().account_id, created_at);
  }
  return 0;
}
