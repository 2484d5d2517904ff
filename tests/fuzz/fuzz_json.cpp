// JSON as JavaScript reads it, and cojson's stableStringify (src/json.h).
// Invariants, for any input bytes:
//  - json_parse and json_canonicalize agree; a refusal is not_json, too_large or too_deep;
//  - canonical text is well-formed UTF-8 (TextEncoder's output);
//  - for a value whose canonical text is unambiguous (json_canonical_is_unambiguous:
//    no raw "encrypted_U"/"binary_U" string holding a quote, backslash, control or lone
//    surrogate, which cojson writes unescaped by design), the canonical text parses
//    back, to the same value (-0 as 0, non-finite numbers as null), and
//    canonical(canonical(x)) == canonical(x);
//  - every number is written with the fewest significant digits that read back to it;
//  - secureHash / shortHash / the CoValue id agree with the canonical text;
//  - UTF-8 -> UTF-16 -> UTF-8 gives well-formed UTF-8, the same bytes when they were.
#include <cstring>
#include <limits>

#include "fuzz_common.h"
#include "hash.h"

using namespace jazzrpc;

namespace {

// Equal as values once written: -0 and 0 alike, a non-finite number the same as null.
bool same_value(const JsonValue &a, const JsonValue &b) {
  const auto kind_of = [](const JsonValue &v) {
    return v.kind == JsonValue::Kind::number && !std::isfinite(v.number) ? JsonValue::Kind::null : v.kind;
  };
  if (kind_of(a) != kind_of(b)) return false;
  switch (kind_of(a)) {
    case JsonValue::Kind::null: return true;
    case JsonValue::Kind::boolean: return a.boolean == b.boolean;
    case JsonValue::Kind::number: return a.number == b.number;
    case JsonValue::Kind::string: return a.string == b.string;
    case JsonValue::Kind::array:
      if (a.array.size() != b.array.size()) return false;
      for (std::size_t i = 0; i < a.array.size(); ++i) {
        if (!same_value(a.array[i], b.array[i])) return false;
      }
      return true;
    case JsonValue::Kind::object:
      if (a.object.size() != b.object.size()) return false;
      for (std::size_t i = 0; i < a.object.size(); ++i) {
        if (a.object[i].first != b.object[i].first || !same_value(a.object[i].second, b.object[i].second)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

// Significant digits of a JS number text ("-1.25e-7" -> 3, "1200" -> 2).
int significant_digits(std::string_view text) {
  const std::size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 1;
  const std::size_t last = digits.find_last_not_of('0');
  return static_cast<int>(last - first + 1);
}

// The fewest significant digits that read back to x. For each count p, the p-digit
// decimals next to x: glibc's %.*e gives the nearest (correctly rounded), and at a power
// of two, whose rounding interval is lopsided, the one on the other side may be the one
// inside it (2^481: 6.243497100631985e+144 reads back, the nearer ...1984e+144 does not).
int shortest_digits(double x) {
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, std::fabs(x));
    // "d.ddde±x" -> the digits as an integer and the exponent of its last digit
    std::string digits;
    const char *e = std::strchr(buf, 'e');
    for (const char *c = buf; c != e; ++c) {
      if (*c != '.') digits += *c;
    }
    const long long m = std::atoll(digits.c_str());
    const int exponent = std::atoi(e + 1) - (p - 1);
    for (const long long candidate : {m, m - 1, m + 1}) {
      if (candidate <= 0) continue;
      std::snprintf(buf, sizeof buf, "%llde%d", candidate, exponent);
      if (std::strtod(buf, nullptr) == std::fabs(x)) return p;
    }
  }
  return 17;
}

void check_number(double x) {
  std::string text;
  js_number_append(x, text);
  if (!std::isfinite(x)) {
    FUZZ_CHECK(text == "null", "text", text);
    return;
  }
  JsonValue back;
  FUZZ_CHECK(json_parse(text, ParseLimits{}, back) == Status::ok, "number text", text);
  FUZZ_CHECK(back.kind == JsonValue::Kind::number && back.number == x, "number text", text);
  if (x != 0) FUZZ_CHECK(significant_digits(text) == shortest_digits(x), "number text", text);
  // JS layout: fixed notation for 1e-7 <= |x| < 1e21, exponent otherwise.
  const double a = std::fabs(x);
  const bool exponent = text.find('e') != std::string::npos;
  if (x != 0) FUZZ_CHECK(exponent == (a < 1e-6 || a >= 1e21), "number text", text);
}

void check_numbers(const JsonValue &value, int &budget) {
  if (budget <= 0) return;
  if (value.kind == JsonValue::Kind::number) {
    --budget;
    check_number(value.number);
  }
  for (const auto &item : value.array) check_numbers(item, budget);
  for (const auto &member : value.object) check_numbers(member.second, budget);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const ParseLimits limits;

  // UTF-8 <-> UTF-16 as TextDecoder / TextEncoder.
  {
    const std::u16string utf16 = utf16_from_utf8(text);
    FUZZ_CHECK(utf16.size() <= text.size());
    std::string utf8;
    utf8_append(utf16, utf8);
    FUZZ_CHECK(fuzz::is_valid_utf8(utf8));
    if (fuzz::is_valid_utf8(text)) FUZZ_CHECK(utf8 == text, "input", text);
  }

  // The first 8 bytes as a double: numbers text mutation rarely reaches (subnormals, NaN payloads).
  if (size >= sizeof(double)) {
    double x = 0;
    std::memcpy(&x, data, sizeof x);
    check_number(x);
  }

  JsonValue value;
  const Status status = json_parse(text, limits, value);
  std::string via_canonicalize;
  const Status status2 = json_canonicalize(text, limits, via_canonicalize);
  FUZZ_CHECK(status == status2, "json_parse", status);
  if (status != Status::ok) {
    FUZZ_CHECK(status == Status::not_json || status == Status::too_large || status == Status::too_deep,
               "json_parse", status);
    return 0;
  }
  FUZZ_CHECK(fuzz::json_depth(value) <= limits.max_depth);

  std::string canonical;
  json_write_canonical(value, canonical);
  FUZZ_CHECK(canonical == via_canonicalize, "canonical", canonical);
  FUZZ_CHECK(fuzz::is_valid_utf8(canonical), "canonical", canonical);

  int budget = 64;
  check_numbers(value, budget);

  // The hashes of the text are those of its canonical text.
  std::string hash, short_h;
  FUZZ_CHECK(secure_hash(text, limits, hash) == Status::ok);
  FUZZ_CHECK(hash == secure_hash_canonical(canonical));
  FUZZ_CHECK(short_hash(text, limits, short_h) == Status::ok);
  const std::string co_id = co_id_of(value);
  FUZZ_CHECK(short_h.substr(prefix::short_hash.size()) == co_id.substr(prefix::co_id.size()), "co id", co_id);

  if (!json_canonical_is_unambiguous(value)) return 0;  // cojson's raw strings: see above

  // Canonical text may be longer than its input (a lone invalid byte becomes U+FFFD's
  // three, 1e20 twenty-one digits), never deeper: read it back without the size limit.
  const ParseLimits unbounded = ParseLimits::from(std::numeric_limits<std::size_t>::max(), limits.max_depth);
  JsonValue back;
  const Status back_status = json_parse(canonical, unbounded, back);
  FUZZ_CHECK(back_status == Status::ok, "canonical text does not parse back", canonical);
  FUZZ_CHECK(same_value(value, back), "canonical text parses to another value", canonical);
  FUZZ_CHECK(json_canonical_is_unambiguous(back));
  std::string again;
  json_write_canonical(back, again);
  FUZZ_CHECK(again == canonical, "canonical(canonical(x)) differs", again);
  return 0;
}
