#include "json.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <system_error>

#include <fast_float/fast_float.h>
#define FMT_HEADER_ONLY
#include <fmt/format.h>

namespace jazzrpc {

ParseLimits ParseLimits::from(std::size_t max_bytes, std::uint32_t max_depth) noexcept {
  ParseLimits limits;
  if (max_bytes != 0) limits.max_bytes = max_bytes;
  if (max_depth != 0) limits.max_depth = std::min(max_depth, hard_max_depth);
  return limits;
}

const JsonValue *JsonValue::find(std::u16string_view key) const noexcept {
  auto it = std::lower_bound(object.begin(), object.end(), key,
                             [](const Member &m, std::u16string_view k) { return m.first < k; });
  return it != object.end() && it->first == key ? &it->second : nullptr;
}

JsonValue JsonValue::from_string(std::string_view utf8) {
  JsonValue v;
  v.kind = Kind::string;
  v.string = utf16_from_utf8(utf8);
  return v;
}

JsonValue JsonValue::from_number(double value) noexcept {
  JsonValue v;
  v.kind = Kind::number;
  v.number = value;
  return v;
}

// ---- UTF-8 <-> UTF-16 -------------------------------------------------------

namespace {

// Appends the UTF-16 of utf8 to out: the WHATWG UTF-8 decoder, each maximal invalid
// subpart becomes one U+FFFD. UTF-16 never needs more units than UTF-8 has bytes: size
// once, write through a pointer. Decoding pieces split before ASCII bytes gives what
// decoding the whole gives (an ASCII byte never continues a sequence).
void utf16_append_utf8(std::string_view utf8, std::u16string &out) {
  const std::size_t at = out.size();
  out.resize(at + utf8.size());
  char16_t *o = &out[0] + at;
  const auto *s = reinterpret_cast<const unsigned char *>(utf8.data());
  const std::size_t n = utf8.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned b = s[i];
    if (b < 0x80) {
      *o++ = static_cast<char16_t>(b);
      ++i;
      continue;
    }
    unsigned need = 0, cp = 0, lower = 0x80, upper = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2;
      cp = b & 0x0F;
      if (b == 0xE0) lower = 0xA0;
      if (b == 0xED) upper = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3;
      cp = b & 0x07;
      if (b == 0xF0) lower = 0x90;
      if (b == 0xF4) upper = 0x8F;
    } else {
      *o++ = u'\uFFFD';
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    bool valid = true;
    for (unsigned k = 0; k < need; ++k, ++j) {
      if (j >= n || s[j] < lower || s[j] > upper) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (s[j] & 0x3F);
      lower = 0x80;
      upper = 0xBF;
    }
    if (!valid) {
      *o++ = u'\uFFFD';
      i = j;  // the bytes consumed so far form the maximal subpart
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      *o++ = static_cast<char16_t>(0xD800 + (cp >> 10));
      *o++ = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      *o++ = static_cast<char16_t>(cp);
    }
    i = j;
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
}

}  // namespace

std::u16string utf16_from_utf8(std::string_view utf8) {
  std::u16string out;
  utf16_append_utf8(utf8, out);
  return out;
}

namespace {

bool is_high_surrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }
bool is_low_surrogate(char16_t c) { return c >= 0xDC00 && c <= 0xDFFF; }

// "\u" and four lowercase hex digits, as JSON.stringify writes them.
void append_unicode_escape(unsigned unit, std::string &out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 0xF];
}

void utf8_append_code_point(std::uint32_t cp, std::string &out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Appends the code point at s[i] (a pair counts as one) and returns how many units it used.
// A lone surrogate is written as U+FFFD, or, with escape_lone, as JSON.stringify's \udxxx.
std::size_t utf8_append_unit(std::u16string_view s, std::size_t i, bool escape_lone, std::string &out) {
  const char16_t c = s[i];
  if (is_high_surrogate(c) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) {
    const std::uint32_t cp = 0x10000 + ((static_cast<std::uint32_t>(c) - 0xD800) << 10) + (s[i + 1] - 0xDC00);
    utf8_append_code_point(cp, out);
    return 2;
  }
  if (is_high_surrogate(c) || is_low_surrogate(c)) {
    if (escape_lone) {
      append_unicode_escape(c, out);
    } else {
      utf8_append_code_point(0xFFFD, out);
    }
    return 1;
  }
  utf8_append_code_point(c, out);
  return 1;
}

}  // namespace

namespace {

// Appends s[i, end) where every unit is ASCII, narrowing through a pointer.
void append_ascii(std::u16string_view s, std::size_t i, std::size_t end, std::string &out) {
  const std::size_t at = out.size();
  out.resize(at + (end - i));
  char *p = &out[at];
  for (; i < end; ++i) *p++ = static_cast<char>(s[i]);
}

}  // namespace

void utf8_append(std::u16string_view utf16, std::string &out) {
  const std::size_t n = utf16.size();
  for (std::size_t i = 0; i < n;) {
    std::size_t run = i;
    while (run < n && utf16[run] < 0x80) ++run;
    if (run > i) {
      append_ascii(utf16, i, run, out);
      i = run;
      continue;
    }
    i += utf8_append_unit(utf16, i, false, out);
  }
}

std::string json_string_utf8(const JsonValue &value) {
  std::string out;
  if (value.kind == JsonValue::Kind::string) utf8_append(value.string, out);
  return out;
}

// ---- the parser ---------------------------------------------------------------

namespace {

template <class Members>
bool keys_strictly_increasing(const Members &members) {
  for (std::size_t i = 1; i < members.size(); ++i) {
    if (!(members[i - 1].first < members[i].first)) return false;
  }
  return true;
}

// The members' positions ordered by key, equal keys in text order (so the last of a run
// is the one JSON.parse keeps). Positions, not members, are sorted: a member is a key
// and a whole value, and moving it O(n log n) times costs more than the comparisons.
template <class Members>
std::vector<std::size_t> order_by_key(const Members &members) {
  std::vector<std::size_t> order(members.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return members[a].first < members[b].first; });
  return order;
}

template <class Members>
void sort_members(Members &members) {
  if (keys_strictly_increasing(members)) return;  // canonical text and most bodies: one pass
  const std::vector<std::size_t> order = order_by_key(members);
  Members sorted;
  sorted.reserve(members.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    // Of each run of equal keys the last one wins, as JSON.parse.
    if (i + 1 < order.size() && members[order[i + 1]].first == members[order[i]].first) continue;
    sorted.push_back(std::move(members[order[i]]));
  }
  members = std::move(sorted);
}

}  // namespace

void json_sort_members(std::vector<JsonValue::Member> &members) { sort_members(members); }
void json_sort_members(HeapVector<JsonValue::Member> &members) { sort_members(members); }

namespace {

// How many values each array and object holds, in the order their brackets open: one
// cheap pass before parsing, so that each vector is sized once (growing by doubling kept up
// to twice a body's values, and a copy of them while it moved). A hint, not trusted: a text
// that does not parse stops using it where it fails. Stops past max_depth, as the parser.
std::vector<std::uint32_t> count_children(std::string_view text, std::uint32_t max_depth) {
  constexpr std::uint32_t kNonEmpty = 0x80000000u;
  std::vector<std::uint32_t> counts;
  std::vector<std::uint32_t> open;  // indices into counts of the containers still open
  // A container still open when the scan stops gets what it was seen to hold (never the mark).
  const auto done = [&]() {
    for (const std::uint32_t index : open) counts[index] = (counts[index] & ~kNonEmpty) + 1;
    return std::move(counts);
  };
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    switch (c) {
      case ' ': case '\t': case '\n': case '\r': continue;
      case ',':
        if (!open.empty()) ++counts[open.back()];
        continue;
      case ']': case '}': {
        if (open.empty()) return done();
        std::uint32_t &count = counts[open.back()];
        count = (count & kNonEmpty) != 0 ? (count & ~kNonEmpty) + 1 : 0;
        open.pop_back();
        continue;
      }
      default: break;
    }
    if (!open.empty()) counts[open.back()] |= kNonEmpty;
    if (c == '[' || c == '{') {
      if (open.size() >= max_depth || counts.size() >= 0x7FFFFFFFu) return done();
      open.push_back(static_cast<std::uint32_t>(counts.size()));
      counts.push_back(0);
    } else if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
    }
  }
  return done();
}

class Parser {
 public:
  Parser(std::string_view text, std::uint32_t max_depth)
      : text_(text), max_depth_(max_depth), counts_(count_children(text, max_depth)) {}

  Status parse_document(JsonValue &out) {
    skip_whitespace();
    Status status = parse_value(out, 0);
    if (status != Status::ok) return status;
    skip_whitespace();
    return pos_ == text_.size() ? Status::ok : Status::not_json;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t max_depth_;
  std::vector<std::uint32_t> counts_;  // count_children(): values of each container, in order
  std::size_t next_container_ = 0;
  std::u16string scratch_;  // a string's non-ASCII run, decoded; its capacity serves every run

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool consume_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status parse_value(JsonValue &out, std::uint32_t depth) {
    if (at_end()) return Status::not_json;
    switch (peek()) {
      case '{': return parse_object(out, depth + 1);
      case '[': return parse_array(out, depth + 1);
      case '"':
      {
        out.kind = JsonValue::Kind::string;
        JsonString::Builder units;
        const Status status = parse_string(units);
        if (status == Status::ok) units.finish_into(out.string);  // trimmed in place
        return status;
      }
      case 't':
        out.kind = JsonValue::Kind::boolean;
        out.boolean = true;
        return consume_literal("true") ? Status::ok : Status::not_json;
      case 'f':
        out.kind = JsonValue::Kind::boolean;
        out.boolean = false;
        return consume_literal("false") ? Status::ok : Status::not_json;
      case 'n':
        out.kind = JsonValue::Kind::null;
        return consume_literal("null") ? Status::ok : Status::not_json;
      default:
        out.kind = JsonValue::Kind::number;
        return parse_number(out.number);
    }
  }

  Status parse_object(JsonValue &out, std::uint32_t depth) {
    if (depth > max_depth_) return Status::too_deep;
    out.kind = JsonValue::Kind::object;
    if (next_container_ < counts_.size()) out.object.reserve(counts_[next_container_]);
    ++next_container_;
    ++pos_;  // '{'
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return Status::ok;
    }
    while (true) {
      skip_whitespace();
      if (at_end() || peek() != '"') return Status::not_json;
      JsonValue::Member member;
      Status status = parse_string(member.first);
      if (status != Status::ok) return status;
      skip_whitespace();
      if (at_end() || peek() != ':') return Status::not_json;
      ++pos_;
      skip_whitespace();
      status = parse_value(member.second, depth);
      if (status != Status::ok) return status;
      out.object.push_back(std::move(member));
      skip_whitespace();
      if (at_end()) return Status::not_json;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') return Status::not_json;
      ++pos_;
      json_sort_members(out.object);
      return Status::ok;
    }
  }

  Status parse_array(JsonValue &out, std::uint32_t depth) {
    if (depth > max_depth_) return Status::too_deep;
    out.kind = JsonValue::Kind::array;
    if (next_container_ < counts_.size()) out.array.reserve(counts_[next_container_]);
    ++next_container_;
    ++pos_;  // '['
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return Status::ok;
    }
    while (true) {
      skip_whitespace();
      out.array.emplace_back();
      Status status = parse_value(out.array.back(), depth);
      if (status != Status::ok) return status;
      skip_whitespace();
      if (at_end()) return Status::not_json;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ']') return Status::not_json;
      ++pos_;
      return Status::ok;
    }
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Into a key (std::u16string) or a string value (JsonString::Builder).
  template <class Units>
  Status parse_string(Units &out) {
    ++pos_;  // opening quote
    const auto *data = reinterpret_cast<const unsigned char *>(text_.data());
    const std::size_t n = text_.size();
    while (true) {
      // a run of bytes that stand for themselves, appended in one go: copied when ASCII,
      // else decoded as TextDecoder would (the run ends before an ASCII byte or at the end)
      std::size_t run = pos_;
      while (run < n && data[run] != '"' && data[run] != '\\' && data[run] >= 0x20 && data[run] < 0x80) ++run;
      const bool ascii = run >= n || data[run] < 0x80;
      if (!ascii) {
        while (run < n && data[run] != '"' && data[run] != '\\' && data[run] >= 0x20) ++run;
      }
      if (run > pos_) {
        if (ascii) {
          const std::size_t at = out.size();
          out.resize(at + (run - pos_));
          char16_t *o = &out[at];
          for (std::size_t i = pos_; i < run; ++i) *o++ = static_cast<char16_t>(data[i]);
        } else {
          // decoded into scratch_ first: decoding sizes for a unit per byte, and the value
          // would keep that capacity (three times what a run of 3-byte characters needs)
          scratch_.clear();
          utf16_append_utf8(text_.substr(pos_, run - pos_), scratch_);
          out.append(scratch_);
        }
      }
      pos_ = run;
      if (at_end()) return Status::not_json;
      const unsigned char c = data[pos_++];
      if (c == '"') return Status::ok;
      if (c < 0x20) return Status::not_json;  // raw controls are not allowed
      if (at_end()) return Status::not_json;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back(u'"'); break;
        case '\\': out.push_back(u'\\'); break;
        case '/': out.push_back(u'/'); break;
        case 'b': out.push_back(u'\b'); break;
        case 'f': out.push_back(u'\f'); break;
        case 'n': out.push_back(u'\n'); break;
        case 'r': out.push_back(u'\r'); break;
        case 't': out.push_back(u'\t'); break;
        case 'u': {
          if (text_.size() - pos_ < 4) return Status::not_json;
          unsigned unit = 0;
          for (int k = 0; k < 4; ++k) {
            const int h = hex_value(text_[pos_++]);
            if (h < 0) return Status::not_json;
            unit = (unit << 4) | static_cast<unsigned>(h);
          }
          out.push_back(static_cast<char16_t>(unit));  // lone surrogates are kept, as in JS
          break;
        }
        default: return Status::not_json;
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  Status parse_number(double &out) {
    const std::size_t start = pos_;
    if (!at_end() && peek() == '-') ++pos_;
    if (at_end()) return Status::not_json;
    if (peek() == '0') {
      ++pos_;
    } else if (is_digit(peek())) {
      while (!at_end() && is_digit(peek())) ++pos_;
    } else {
      return Status::not_json;
    }
    if (!at_end() && peek() == '.') {
      ++pos_;
      if (at_end() || !is_digit(peek())) return Status::not_json;
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || !is_digit(peek())) return Status::not_json;
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    // Integers of up to 15 digits are exact doubles, read here for timestamps and counts.
    const std::size_t sign = text_[start] == '-' ? 1 : 0;
    if (pos_ - start - sign <= 15) {
      std::uint64_t integer = 0;
      std::size_t i = start + sign;
      for (; i < pos_ && is_digit(text_[i]); ++i) integer = integer * 10 + static_cast<std::uint64_t>(text_[i] - '0');
      if (i == pos_) {
        out = sign ? -static_cast<double>(integer) : static_cast<double>(integer);
        return Status::ok;
      }
    }
    // The rest: fast_float (libfast-float-dev) rounds correctly, as JS and strtod do, in
    // time linear in the token with small constants (musl's strtod, the wasm build's
    // libc, spent microseconds on each short number near the ends of the double range).
    // Past the range it gives ±Infinity, under it ±0, as strtod did: fast_float 3.9
    // reports no error for those, later versions result_out_of_range with the same value.
    // The token is ASCII, checked above, and one fast_float reads whole (the grammar has
    // no '+' before the digits, which fast_float would refuse).
    const char *first = text_.data() + start;
    const char *last = text_.data() + pos_;
    const fast_float::from_chars_result result = fast_float::from_chars(first, last, out);
    const bool read = result.ec == std::errc() || result.ec == std::errc::result_out_of_range;
    return read && result.ptr == last ? Status::ok : Status::not_json;
  }
};

}  // namespace

Status json_parse(std::string_view text, const ParseLimits &limits, JsonValue &out) {
  if (text.size() > limits.max_bytes) return Status::too_large;
  // Parsed from the UTF-8 itself (a UTF-16 copy of the whole text cost twice its size):
  // outside strings only ASCII is JSON, and inside them each run of bytes is decoded as
  // TextDecoder decodes it (the bytes it stops at are ASCII, where decoding splits cleanly).
  std::string_view view = text;
  if (view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);  // TextDecoder drops a BOM
  out = JsonValue{};
  Parser parser(view, std::min(limits.max_depth, ParseLimits::hard_max_depth));
  return parser.parse_document(out);
}

// ---- numbers as JavaScript writes them ------------------------------------------

void js_number_append(double value, std::string &out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == 0) {  // both 0 and -0
    out += '0';
    return;
  }
  if (value < 0) {
    out += '-';
    value = -value;
  }
  const auto decimal = fmt::detail::dragonbox::to_decimal(value);
  std::string digits = std::to_string(decimal.significand);
  int exponent = decimal.exponent;
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  // ECMA-262 Number::toString: value = 0.digits × 10^n
  const int k = static_cast<int>(digits.size());
  const int n = exponent + k;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n), std::string::npos);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
}

// ---- stableStringify ------------------------------------------------------------

namespace {

bool starts_with(std::u16string_view s, std::u16string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// JSON.stringify(string): escapes ", \, and controls; keeps U+2028 and non-ASCII raw;
// writes lone surrogates as \udxxx.
void write_json_string(std::u16string_view s, std::string &out) {
  out += '"';
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    // a run of printable ASCII that needs no escape, copied in one go
    std::size_t run = i;
    while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != u'"' && s[run] != u'\\') ++run;
    if (run > i) {
      append_ascii(s, i, run, out);
      i = run;
      continue;
    }
    const char16_t c = s[i];
    switch (c) {
      case u'"': out += "\\\""; ++i; continue;
      case u'\\': out += "\\\\"; ++i; continue;
      case u'\b': out += "\\b"; ++i; continue;
      case u'\f': out += "\\f"; ++i; continue;
      case u'\n': out += "\\n"; ++i; continue;
      case u'\r': out += "\\r"; ++i; continue;
      case u'\t': out += "\\t"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      append_unicode_escape(c, out);
      ++i;
      continue;
    }
    i += utf8_append_unit(s, i, true, out);
  }
  out += '"';
}

void write_canonical(const JsonValue &value, std::string &out) {
  switch (value.kind) {
    case JsonValue::Kind::null: out += "null"; return;
    case JsonValue::Kind::boolean: out += value.boolean ? "true" : "false"; return;
    case JsonValue::Kind::number: js_number_append(value.number, out); return;
    case JsonValue::Kind::string:
      // cojson's quirk: these are written between quotes with no escaping at all.
      if (starts_with(value.string, u"encrypted_U") || starts_with(value.string, u"binary_U")) {
        out += '"';
        utf8_append(value.string, out);
        out += '"';
      } else {
        write_json_string(value.string, out);
      }
      return;
    case JsonValue::Kind::array: {
      out += '[';
      for (std::size_t i = 0; i < value.array.size(); ++i) {
        if (i != 0) out += ',';
        write_canonical(value.array[i], out);
      }
      out += ']';
      return;
    }
    case JsonValue::Kind::object: {
      out += '{';
      bool first = true;
      for (const auto &member : value.object) {  // already sorted by UTF-16 code units
        if (!first) out += ',';
        first = false;
        write_json_string(member.first, out);
        out += ':';
        write_canonical(member.second, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

void json_write_canonical(const JsonValue &value, std::string &out) { write_canonical(value, out); }

namespace {

bool raw_string_is_safe(std::u16string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char16_t c = s[i];
    if (c == u'"' || c == u'\\' || c < 0x20) return false;
    if (is_high_surrogate(c) && i + 1 < s.size() && is_low_surrogate(s[i + 1])) {
      ++i;
      continue;
    }
    if (is_high_surrogate(c) || is_low_surrogate(c)) return false;
  }
  return true;
}

}  // namespace

bool json_canonical_is_unambiguous(const JsonValue &value) {
  switch (value.kind) {
    case JsonValue::Kind::string:
      return !(starts_with(value.string, u"encrypted_U") || starts_with(value.string, u"binary_U")) ||
             raw_string_is_safe(value.string);
    case JsonValue::Kind::array:
      for (const auto &item : value.array) {
        if (!json_canonical_is_unambiguous(item)) return false;
      }
      return true;
    case JsonValue::Kind::object:
      for (const auto &member : value.object) {
        if (!json_canonical_is_unambiguous(member.second)) return false;
      }
      return true;
    default:
      return true;
  }
}

Status json_canonicalize(std::string_view text, const ParseLimits &limits, std::string &out) {
  JsonValue value;
  const Status status = json_parse(text, limits, value);
  if (status != Status::ok) return status;
  out.clear();
  out.reserve(text.size());
  json_write_canonical(value, out);
  return Status::ok;
}

}  // namespace jazzrpc
