// What the fuzz targets share: the invariant check, the fixed keys the re-signing
// targets sign with, and small helpers over the core's JSON values.
#ifndef JAZZRPC_FUZZ_COMMON_H
#define JAZZRPC_FUZZ_COMMON_H

#include <sodium.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base58.h"
#include "envelope.h"
#include "json.h"
#include "message.h"
#include "sign.h"
#include "status.h"

// An invariant: when it does not hold, print what and where, then abort (libFuzzer
// saves the input as crash-<sha1> and the run fails). Optional arguments say more:
// FUZZ_CHECK(cond), FUZZ_CHECK(cond, "what"), FUZZ_CHECK(cond, "what", text or status).
#define FUZZ_CHECK(...) FUZZ_CHECK_(__VA_ARGS__, nullptr)
#define FUZZ_CHECK_(cond, ...)                                                                 \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "\n== jazzrpc fuzz: invariant violated at %s:%d: %s\n", __FILE__, \
                   __LINE__, #cond);                                                           \
      fuzz::note(__VA_ARGS__);                                                                 \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

namespace fuzz {

inline void note(std::nullptr_t) {}
inline void note(const char *what, std::nullptr_t) { std::fprintf(stderr, "   %s\n", what); }
inline void note(const char *what, std::string_view text, std::nullptr_t) {
  const std::size_t shown = text.size() < 400 ? text.size() : 400;
  std::fprintf(stderr, "   %s (%zu bytes): %.*s%s\n", what, text.size(), static_cast<int>(shown), text.data(),
               shown < text.size() ? "..." : "");
}
inline void note(const char *what, jazzrpc::Status status, std::nullptr_t) {
  std::fprintf(stderr, "   %s: %s\n", what, jazzrpc::status_name(status));
}

inline std::string_view as_text(const std::uint8_t *data, std::size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

// The fixed identities of the re-signing targets and of the committed seeds
// (tests/fuzz/make_seeds.mjs uses the same seeds): 32 bytes of 0x01 for the
// client, 32 bytes of 0x02 for the worker.
struct FixedKey {
  jazzrpc::SignerKeypair keypair;
  jazzrpc::ExpandedSigner expanded;
  std::string account_id;  // "co_z" + the same base58 as the signer id
};

// Made once and kept for the process (a static pointer: never freed, never a leak).
inline const FixedKey &make_fixed_key(std::uint8_t fill) {
  auto *key = new FixedKey();
  std::array<std::uint8_t, jazzrpc::sign_seed_bytes> seed{};
  seed.fill(fill);
  if (sodium_init() < 0 || jazzrpc::sign_seed_keypair(seed.data(), key->keypair) != jazzrpc::Status::ok ||
      jazzrpc::sign_expand(key->keypair.signer_secret, key->expanded) != jazzrpc::Status::ok ||
      jazzrpc::account_id_from_signer(key->keypair.signer_id, key->account_id) != jazzrpc::Status::ok) {
    std::fprintf(stderr, "jazzrpc fuzz: cannot make the fixed key\n");
    std::abort();
  }
  return *key;
}

inline const FixedKey &client_key() {
  static const FixedKey &key = make_fixed_key(0x01);
  return key;
}
inline const FixedKey &worker_key() {
  static const FixedKey &key = make_fixed_key(0x02);
  return key;
}

// The url path of the committed message seeds.
inline constexpr std::string_view seed_url = "/api/book-event-ticket";
// A time inside the committed seeds' windows (their createdAt is 1795585768507 + a few ms).
inline constexpr double seed_now = 1795585768507.0 + 1000;

inline bool is_time_status(jazzrpc::Status s) {
  return s == jazzrpc::Status::expired || s == jazzrpc::Status::future;
}

// True for a status that only the size or nesting limits give.
inline bool is_limit_status(jazzrpc::Status s) {
  return s == jazzrpc::Status::too_large || s == jazzrpc::Status::too_deep;
}

inline const jazzrpc::JsonValue *member_of_kind(const jazzrpc::JsonValue &object, std::u16string_view key,
                                                jazzrpc::JsonValue::Kind kind) {
  if (object.kind != jazzrpc::JsonValue::Kind::object) return nullptr;
  const jazzrpc::JsonValue *v = object.find(key);
  return v != nullptr && v->kind == kind ? v : nullptr;
}

inline std::string string_member(const jazzrpc::JsonValue &object, std::u16string_view key) {
  const jazzrpc::JsonValue *v = member_of_kind(object, key, jazzrpc::JsonValue::Kind::string);
  return v != nullptr ? jazzrpc::json_string_utf8(*v) : std::string();
}

// Nesting depth as the parser counts it: 1 for [] or {}, 0 for a scalar.
inline std::uint32_t json_depth(const jazzrpc::JsonValue &value) {
  std::uint32_t inner = 0;
  for (const auto &item : value.array) {
    const std::uint32_t d = json_depth(item);
    if (d > inner) inner = d;
  }
  for (const auto &member : value.object) {
    const std::uint32_t d = json_depth(member.second);
    if (d > inner) inner = d;
  }
  const bool container =
      value.kind == jazzrpc::JsonValue::Kind::array || value.kind == jazzrpc::JsonValue::Kind::object;
  return container ? inner + 1 : 0;
}

// Well-formed UTF-8 (no surrogates, no overlongs, nothing above U+10FFFF): what
// TextEncoder can produce.
inline bool is_valid_utf8(std::string_view s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    unsigned need = 0, lower = 0x80, upper = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2;
      if (b == 0xE0) lower = 0xA0;
      if (b == 0xED) upper = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3;
      if (b == 0xF0) lower = 0x90;
      if (b == 0xF4) upper = 0x8F;
    } else {
      return false;
    }
    if (n - i <= need) return false;
    for (unsigned k = 1; k <= need; ++k) {
      if (p[i + k] < lower || p[i + k] > upper) return false;
      lower = 0x80;
      upper = 0xBF;
    }
    i += need + 1;
  }
  return true;
}

}  // namespace fuzz

#endif
