// JSON as JavaScript sees it, and cojson's stableStringify over it.
//
// json_parse follows JSON.parse on the text that TextDecoder("utf-8") (or
// Request.json()) makes of the bytes: invalid UTF-8 becomes U+FFFD, a leading BOM is
// dropped, strings are UTF-16 (lone surrogates kept), every number is an IEEE double,
// and the last of duplicate keys wins. json_write_canonical writes what
// cojson's stableStringify writes for that value, encoded as TextEncoder would.
#ifndef JAZZRPC_JSON_H
#define JAZZRPC_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace jazzrpc {

struct ParseLimits {
  static constexpr std::size_t default_max_bytes = 1u << 20;  // 1 MiB
  static constexpr std::uint32_t default_max_depth = 64;
  static constexpr std::uint32_t hard_max_depth = 1024;       // keeps recursion on a small stack

  std::size_t max_bytes = default_max_bytes;
  std::uint32_t max_depth = default_max_depth;

  // 0 means the default; a depth above hard_max_depth is clamped to it.
  static ParseLimits from(std::size_t max_bytes, std::uint32_t max_depth) noexcept;
};

struct JsonValue {
  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };
  using Member = std::pair<std::u16string, JsonValue>;

  // Ordered so that no padding is left between members (48 bytes in wasm32, 56 before).
  double number = 0;
  std::u16string string;
  std::vector<JsonValue> array;
  std::vector<Member> object;  // keys unique, sorted by UTF-16 code units
  Kind kind = Kind::null;
  bool boolean = false;

  const JsonValue *find(std::u16string_view key) const noexcept;
  static JsonValue from_string(std::string_view utf8);
  static JsonValue from_number(double value) noexcept;
};

Status json_parse(std::string_view text, const ParseLimits &limits, JsonValue &out);

// stableStringify(value), UTF-8 encoded as TextEncoder would encode it.
void json_write_canonical(const JsonValue &value, std::string &out);
Status json_canonicalize(std::string_view text, const ParseLimits &limits, std::string &out);

// JavaScript's Number::toString(x) (String(x)): shortest round-trip digits,
// fixed notation for 1e-7 < |x| < 1e21, "-0" as "0", non-finite as "null"
// (what stableStringify writes for them).
void js_number_append(double value, std::string &out);

// UTF-16 <-> UTF-8 as TextEncoder / TextDecoder do (lone surrogates become U+FFFD).
std::u16string utf16_from_utf8(std::string_view utf8);
void utf8_append(std::u16string_view utf16, std::string &out);
// The UTF-8 of a string value ("" for any other kind).
std::string json_string_utf8(const JsonValue &value);

// cojson writes strings that start with "encrypted_U" or "binary_U" raw. When such a
// string holds a quote, a backslash, a control character or a lone surrogate, two
// different values can share one canonical text (members folded into the string),
// so a signature over the text would not pin the value. False for such a value.
bool json_canonical_is_unambiguous(const JsonValue &value);

// Orders members by key (UTF-16 code units) and keeps the last of equal keys.
void json_sort_members(std::vector<JsonValue::Member> &members);

}  // namespace jazzrpc

#endif
