#include "json.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <system_error>

#if JAZZRPC_NUMBERS_FROM_HOST
// The value of a JSON number token, from the host (js-glue/src/core/host-imports.js).
extern "C" double jazzrpc_host_number(const char *text, std::size_t len);
#else
#include <fast_float/fast_float.h>
#endif
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

const JsonNode *JsonNode::find(std::u16string_view key) const noexcept {
  const JsonMembers members = object();
  std::size_t low = 0, high = members.size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (members[mid].first < key) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low < members.size() && members[low].first == key ? &members[low].second : nullptr;
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
// Writes the UTF-16 of s[0, n) from o on and returns where it ends: the WHATWG UTF-8
// decoder, each maximal invalid subpart becomes one U+FFFD. UTF-16 never needs more units
// than UTF-8 has bytes: o must have room for n. Decoding pieces split before ASCII bytes
// gives what decoding the whole gives (an ASCII byte never continues a sequence).
char16_t *utf16_write_utf8(const unsigned char *s, std::size_t n, char16_t *o) {
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
  return o;
}

// Appends the UTF-16 of utf8 to out: sized once, written through a pointer.
void utf16_append_utf8(std::string_view utf8, std::u16string &out) {
  const std::size_t at = out.size();
  out.resize(at + utf8.size());
  char16_t *end = utf16_write_utf8(reinterpret_cast<const unsigned char *>(utf8.data()), utf8.size(), &out[0] + at);
  out.resize(static_cast<std::size_t>(end - out.data()));
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

// Eight bytes or four UTF-16 units at a time (SWAR, in 64-bit words: wasm has them): a
// lane's top bit set where a lane is one of those the JSON string paths stop at. Exact
// for "any lane": a borrow only starts at a lane that is itself flagged.
constexpr std::uint64_t kOnes8 = 0x0101010101010101u, kHigh8 = 0x8080808080808080u;
constexpr std::uint64_t kOnes16 = 0x0001000100010001u, kHigh16 = 0x8000800080008000u;

std::uint64_t load64(const void *p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Bytes that a string's raw run stops at: '"', '\\', below 0x20, 0x80 and above.
std::uint64_t bytes_special(std::uint64_t x) noexcept {
  const std::uint64_t q = x ^ (kOnes8 * '"'), b = x ^ (kOnes8 * '\\');
  return (((q - kOnes8) & ~q) | ((b - kOnes8) & ~b) | (x - kOnes8 * 0x20) | x) & kHigh8;
}

// Units that a JSON string's printable ASCII run stops at: '"', '\\', below 0x20, 0x80 and above.
std::uint64_t units_special(std::uint64_t x) noexcept {
  if (x & 0xFF80FF80FF80FF80u) return kHigh16;  // some unit is 0x80 or above
  const std::uint64_t q = x ^ (kOnes16 * '"'), b = x ^ (kOnes16 * '\\');
  return (((q - kOnes16) & ~q) | ((b - kOnes16) & ~b) | (x - kOnes16 * 0x20)) & kHigh16;
}

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

std::string json_string_utf8(const JsonNode &value) {
  std::string out;
  utf8_append(value.string(), out);
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

// Reaches a node's fields: the parser writes nodes with indices into the document's arrays
// (which may still grow), and points them at their targets once the text is read.
struct JsonNodeAccess {
  using Tag = JsonNode::Tag;
  static constexpr std::uint32_t kMaxSize = (1u << (32 - JsonNode::kTagBits)) - 1;

  static JsonNode make(Tag tag, std::uint32_t size, std::uintptr_t payload) noexcept {
    JsonNode node{};
    node.head_ = tag | (size << JsonNode::kTagBits);
    node.payload_ = payload;
    return node;
  }
  static Tag tag(const JsonNode &node) noexcept { return static_cast<Tag>(node.tag()); }
  static std::uint32_t size(const JsonNode &node) noexcept { return node.size(); }
  static std::uintptr_t payload(const JsonNode &node) noexcept { return node.payload_; }
  static void set_payload(JsonNode &node, std::uintptr_t payload) noexcept { node.payload_ = payload; }
  using Nodes = std::vector<JsonNode, DefaultInitAllocator<JsonNode>>;
  using Units = std::vector<char16_t, DefaultInitAllocator<char16_t>>;
  static Nodes &nodes(JsonDocument &doc) noexcept { return doc.nodes_; }
  static Units &units(JsonDocument &doc) noexcept { return doc.units_; }
  static std::vector<double> &numbers(JsonDocument &doc) noexcept { return doc.numbers_; }
};

namespace {

using Tag = JsonNode::Tag;

// What a first pass over the text finds, so that each of the document's arrays is
// allocated once at its size: the children of each container in the order their brackets
// open (one byte each, 255 and above kept aside), how many nodes there are in all, how
// many bytes the strings hold (their units are never more) and how many numbers may not
// fit a node. A hint, not trusted: the parser grows what a text that does not parse needs
// past it (the pass stops where the parser would stop too, past max_depth).
// Bytes in blocks of 4 KiB: grows with no copy and no block twice the size it needs.
class ByteBlocks {
 public:
  std::size_t size() const noexcept { return size_; }
  std::uint8_t &operator[](std::size_t i) noexcept { return blocks_[i >> kShift][i & (kBlock - 1)]; }
  std::uint8_t operator[](std::size_t i) const noexcept { return blocks_[i >> kShift][i & (kBlock - 1)]; }
  void push_back(std::uint8_t value) {
    if ((size_ & (kBlock - 1)) == 0) blocks_.push_back(std::make_unique<std::uint8_t[]>(kBlock));
    (*this)[size_++] = value;
  }

 private:
  static constexpr unsigned kShift = 12;
  static constexpr std::size_t kBlock = std::size_t{1} << kShift;
  std::vector<std::unique_ptr<std::uint8_t[]>> blocks_;
  std::size_t size_ = 0;
};

struct Hints {
  static constexpr std::uint8_t kMany = 255;
  ByteBlocks counts;                                              // per container
  std::vector<std::pair<std::uint32_t, std::uint32_t>> many;      // (container, count) of counts >= kMany
  std::size_t nodes = 1;                                          // the root and every child (two per member)
  std::size_t string_bytes = 0;
  std::size_t doubles = 0;

  std::uint32_t count_of(std::size_t container) const noexcept {
    if (container >= counts.size()) return 0;
    if (counts[container] != kMany) return counts[container];
    const auto it = std::lower_bound(many.begin(), many.end(), std::make_pair(static_cast<std::uint32_t>(container), 0u));
    return it != many.end() && it->first == container ? it->second : 0;
  }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whether eight bytes hold a '"' or a '\\'.
bool quote_or_backslash(std::uint64_t x) noexcept {
  const std::uint64_t q = x ^ (kOnes8 * '"'), b = x ^ (kOnes8 * '\\');
  return ((((q - kOnes8) & ~q) | ((b - kOnes8) & ~b)) & kHigh8) != 0;
}

Hints count_values(std::string_view text, std::uint32_t max_depth) {
  Hints hints;
  struct Open {
    std::uint32_t index;
    std::uint32_t commas;
    bool non_empty;
    bool object;
  };
  std::vector<Open> open;  // the containers still open: at most max_depth
  const auto close = [&](const Open &c) {
    const std::size_t n = c.non_empty ? static_cast<std::size_t>(c.commas) + 1 : 0;
    if (n < Hints::kMany) {
      hints.counts[c.index] = static_cast<std::uint8_t>(n);
    } else {
      hints.counts[c.index] = Hints::kMany;
      hints.many.emplace_back(c.index, static_cast<std::uint32_t>(std::min<std::size_t>(n, JsonNodeAccess::kMaxSize)));
    }
    hints.nodes += c.object ? 2 * n : n;
  };
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    switch (c) {
      case ' ': case '\t': case '\n': case '\r': continue;
      case ',':
        if (!open.empty()) ++open.back().commas;
        continue;
      case ']': case '}':
        if (open.empty()) i = n;  // stops: the parser stops here too
        else {
          close(open.back());
          open.pop_back();
        }
        continue;
      default: break;
    }
    if (!open.empty()) open.back().non_empty = true;
    if (c == '[' || c == '{') {
      if (open.size() >= max_depth || hints.counts.size() >= JsonNodeAccess::kMaxSize) break;
      open.push_back({static_cast<std::uint32_t>(hints.counts.size()), 0, false, c == '{'});
      hints.counts.push_back(0);
    } else if (c == '"') {
      const std::size_t start = i + 1;
      for (++i; i < n && text[i] != '"'; ++i) {
        if (text[i] == '\\') {
          ++i;
          continue;
        }
        while (i + 9 <= n && !quote_or_backslash(load64(text.data() + i + 1))) i += 8;  // the next 8 bytes
      }
      hints.string_bytes += std::min(i, n) - start;
    } else if (c == '-' || is_digit(c)) {
      // a number: one that is not an integer of at most 9 digits (or is -0) may need a double
      const std::size_t start = i;
      bool integer = true;
      std::size_t digits = 0;
      for (; i < n; ++i) {
        const char d = text[i];
        if (is_digit(d)) {
          ++digits;
        } else if (d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-') {
          if (i != start) integer = false;
        } else {
          break;
        }
      }
      if (!integer || digits > 9 || (text[start] == '-' && digits == 1 && text[start + 1] == '0')) ++hints.doubles;
      --i;
    }
  }
  // the containers still open when the pass stopped get what was seen of them
  while (!open.empty()) {
    close(open.back());
    open.pop_back();
  }
  std::sort(hints.many.begin(), hints.many.end());
  return hints;
}

class Parser {
 public:
  Parser(std::string_view text, std::uint32_t max_depth, JsonDocument &doc)
      : text_(text),
        max_depth_(max_depth),
        hints_(count_values(text, max_depth)),
        nodes_(JsonNodeAccess::nodes(doc)),
        units_(JsonNodeAccess::units(doc)),
        numbers_(JsonNodeAccess::numbers(doc)) {
    nodes_.resize(hints_.nodes);
    units_.reserve(hints_.string_bytes);
    numbers_.reserve(hints_.doubles);
  }

  Status parse_document() {
    skip_whitespace();
    next_node_ = 1;  // the root is node 0
    Status status = parse_value(0, 0);
    if (status != Status::ok) return status;
    skip_whitespace();
    if (pos_ != text_.size()) return Status::not_json;
    point_nodes();
    return Status::ok;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint32_t max_depth_;
  Hints hints_;
  std::size_t next_container_ = 0;  // index of the next container to open, into hints_
  std::size_t next_node_ = 0;       // the first node no container has taken yet
  JsonNodeAccess::Nodes &nodes_;
  JsonNodeAccess::Units &units_;
  std::vector<double> &numbers_;

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

  void set(std::size_t at, Tag tag, std::uint32_t size, std::uintptr_t payload) {
    nodes_[at] = JsonNodeAccess::make(tag, size, payload);
  }

  // Takes n nodes for a container's children, after all taken so far.
  std::size_t take(std::size_t n) {
    const std::size_t first = next_node_;
    next_node_ += n;
    if (next_node_ > nodes_.size()) nodes_.resize(std::max(next_node_, nodes_.size() + nodes_.size() / 2));
    return first;
  }

  // A container holds more than the hint said (a text that does not parse, so far read as
  // JSON): its children move to a region twice as large at the end.
  std::size_t move_children(std::size_t first, std::size_t used, std::size_t &capacity, std::size_t stride) {
    capacity = std::max<std::size_t>(4, capacity * 2);
    const std::size_t moved = take(capacity * stride);
    std::copy(nodes_.begin() + static_cast<std::ptrdiff_t>(first),
              nodes_.begin() + static_cast<std::ptrdiff_t>(first + used * stride),
              nodes_.begin() + static_cast<std::ptrdiff_t>(moved));
    return moved;
  }

  Status parse_value(std::size_t at, std::uint32_t depth) {
    if (at_end()) return Status::not_json;
    switch (peek()) {
      case '{': return parse_container(at, depth + 1, true);
      case '[': return parse_container(at, depth + 1, false);
      case '"': return parse_string(at);
      case 't':
        set(at, JsonNode::kTrue, 0, 0);
        return consume_literal("true") ? Status::ok : Status::not_json;
      case 'f':
        set(at, JsonNode::kFalse, 0, 0);
        return consume_literal("false") ? Status::ok : Status::not_json;
      case 'n':
        set(at, JsonNode::kNull, 0, 0);
        return consume_literal("null") ? Status::ok : Status::not_json;
      default: {
        double number = 0;
        bool small = false;
        const Status status = parse_number(number, small);
        if (status != Status::ok) return status;
        // integers of 32 bits in the node itself (-0 is not one), every other number aside
        if (small) {
          set(at, JsonNode::kInt, 0, static_cast<std::uint32_t>(static_cast<std::int32_t>(number)));
        } else {
          set(at, JsonNode::kDouble, 0, numbers_.size());
          numbers_.push_back(number);
        }
        return Status::ok;
      }
    }
  }

  // An array's items, or an object's members as key and value, in nodes next to each other.
  Status parse_container(std::size_t at, std::uint32_t depth, bool object) {
    if (depth > max_depth_) return Status::too_deep;
    const char close = object ? '}' : ']';
    const std::size_t stride = object ? 2 : 1;
    std::size_t capacity = hints_.count_of(next_container_++);
    ++pos_;  // '{' or '['
    skip_whitespace();
    if (!at_end() && peek() == close) {
      ++pos_;
      set(at, object ? JsonNode::kObject : JsonNode::kArray, 0, 0);
      return Status::ok;
    }
    std::size_t first = take(capacity * stride);
    std::size_t n = 0;
    while (true) {
      skip_whitespace();
      if (n == capacity) {
        if (n == JsonNodeAccess::kMaxSize) return Status::too_large;
        first = move_children(first, n, capacity, stride);
      }
      const std::size_t child = first + n * stride;
      Status status = Status::ok;
      if (object) {
        if (at_end() || peek() != '"') return Status::not_json;
        status = parse_string(child);
        if (status != Status::ok) return status;
        skip_whitespace();
        if (at_end() || peek() != ':') return Status::not_json;
        ++pos_;
        skip_whitespace();
        status = parse_value(child + 1, depth);
      } else {
        status = parse_value(child, depth);
      }
      if (status != Status::ok) return status;
      ++n;
      skip_whitespace();
      if (at_end()) return Status::not_json;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != close) return Status::not_json;
      ++pos_;
      if (object) n = sort_members(first, n);
      set(at, object ? JsonNode::kObject : JsonNode::kArray, static_cast<std::uint32_t>(n), first);
      return Status::ok;
    }
  }

  std::u16string_view key_at(std::size_t node) const {
    const JsonNode &key = nodes_[node];
    return std::u16string_view(units_.data() + JsonNodeAccess::payload(key), JsonNodeAccess::size(key));
  }

  // Orders an object's members by key (UTF-16 code units), the last of equal keys kept as
  // JSON.parse keeps it; returns how many are left. Positions are sorted, then the members
  // (two nodes each) moved once.
  std::size_t sort_members(std::size_t first, std::size_t n) {
    bool sorted = true;  // canonical text and most bodies: one pass
    for (std::size_t i = 1; i < n && sorted; ++i) sorted = key_at(first + 2 * (i - 1)) < key_at(first + 2 * i);
    if (sorted) return n;
    constexpr std::size_t kSmall = 16;  // most objects: the positions and members on the stack
    if (n <= kSmall) {
      std::uint32_t order[kSmall];
      JsonNode members[2 * kSmall];
      return sort_members(first, n, order, members);
    }
    std::vector<std::uint32_t> order(n);
    std::vector<JsonNode> members(2 * n);
    return sort_members(first, n, order.data(), members.data());
  }

  // order: room for n positions, members for 2 n nodes.
  std::size_t sort_members(std::size_t first, std::size_t n, std::uint32_t *order, JsonNode *members) {
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
    std::sort(order, order + n, [&](std::uint32_t a, std::uint32_t b) {
      const std::u16string_view ka = key_at(first + 2 * a), kb = key_at(first + 2 * b);
      return ka < kb || (ka == kb && a < b);
    });
    std::size_t kept = 0;  // the positions kept, in key order, into order's front
    for (std::size_t i = 0; i < n; ++i) {
      if (i + 1 < n && key_at(first + 2 * order[i + 1]) == key_at(first + 2 * order[i])) continue;
      order[kept++] = order[i];
    }
    for (std::size_t i = 0; i < kept; ++i) {
      members[2 * i] = nodes_[first + 2 * order[i]];
      members[2 * i + 1] = nodes_[first + 2 * order[i] + 1];
    }
    std::copy(members, members + 2 * kept, nodes_.begin() + static_cast<std::ptrdiff_t>(first));
    return kept;
  }

  // Each node's index into an array becomes a pointer into it: the arrays are final.
  void point_nodes() {
    const auto nodes = reinterpret_cast<std::uintptr_t>(nodes_.data());
    const auto units = reinterpret_cast<std::uintptr_t>(units_.data());
    const auto numbers = reinterpret_cast<std::uintptr_t>(numbers_.data());
    for (std::size_t i = 0; i < next_node_; ++i) {
      JsonNode &node = nodes_[i];
      const std::uintptr_t index = JsonNodeAccess::payload(node);
      switch (JsonNodeAccess::tag(node)) {
        case JsonNode::kDouble: JsonNodeAccess::set_payload(node, numbers + index * sizeof(double)); break;
        case JsonNode::kString: JsonNodeAccess::set_payload(node, units + index * sizeof(char16_t)); break;
        case JsonNode::kArray:
        case JsonNode::kObject: JsonNodeAccess::set_payload(node, nodes + index * sizeof(JsonNode)); break;
        default: break;
      }
    }
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // A string (a value or a key) into node at: its units appended to the document's.
  Status parse_string(std::size_t at) {
    const std::size_t start = units_.size();
    const Status status = parse_units();
    if (status != Status::ok) return status;
    const std::size_t length = units_.size() - start;
    if (length > JsonNodeAccess::kMaxSize) return Status::too_large;
    set(at, JsonNode::kString, static_cast<std::uint32_t>(length), start);
    return Status::ok;
  }

  Status parse_units() {
    ++pos_;  // opening quote
    const auto *data = reinterpret_cast<const unsigned char *>(text_.data());
    const std::size_t n = text_.size();
    while (true) {
      // a run of bytes that stand for themselves, appended in one go: copied when ASCII,
      // else decoded as TextDecoder would (the run ends before an ASCII byte or at the end)
      std::size_t run = pos_;
      while (run + 8 <= n && bytes_special(load64(data + run)) == 0) run += 8;
      while (run < n && data[run] != '"' && data[run] != '\\' && data[run] >= 0x20 && data[run] < 0x80) ++run;
      const bool ascii = run >= n || data[run] < 0x80;
      if (!ascii) {
        while (run < n && data[run] != '"' && data[run] != '\\' && data[run] >= 0x20) ++run;
      }
      if (run > pos_) {
        // units are never more than bytes: room for the run, then trimmed to what it decodes to
        const std::size_t at = units_.size();
        units_.resize(at + (run - pos_));
        char16_t *o = units_.data() + at;
        if (ascii) {
          std::size_t i = pos_;
          for (; i + 4 <= run; i += 4, o += 4) {  // four bytes widened to four units at a time
            std::uint32_t x;
            std::memcpy(&x, data + i, sizeof x);
            const std::uint64_t w = (x & 0xFFu) | (std::uint64_t{x & 0xFF00u} << 8) |
                                    (std::uint64_t{x & 0xFF0000u} << 16) | (std::uint64_t{x & 0xFF000000u} << 24);
            std::memcpy(o, &w, sizeof w);
          }
          for (; i < run; ++i) *o++ = static_cast<char16_t>(data[i]);
        } else {
          o = utf16_write_utf8(data + pos_, run - pos_, o);
        }
        units_.resize(static_cast<std::size_t>(o - units_.data()));
      }
      pos_ = run;
      if (at_end()) return Status::not_json;
      const unsigned char c = data[pos_++];
      if (c == '"') return Status::ok;
      if (c < 0x20) return Status::not_json;  // raw controls are not allowed
      if (at_end()) return Status::not_json;
      const char e = text_[pos_++];
      switch (e) {
        case '"': units_.push_back(u'"'); break;
        case '\\': units_.push_back(u'\\'); break;
        case '/': units_.push_back(u'/'); break;
        case 'b': units_.push_back(u'\b'); break;
        case 'f': units_.push_back(u'\f'); break;
        case 'n': units_.push_back(u'\n'); break;
        case 'r': units_.push_back(u'\r'); break;
        case 't': units_.push_back(u'\t'); break;
        case 'u': {
          if (text_.size() - pos_ < 4) return Status::not_json;
          unsigned unit = 0;
          for (int k = 0; k < 4; ++k) {
            const int h = hex_value(text_[pos_++]);
            if (h < 0) return Status::not_json;
            unit = (unit << 4) | static_cast<unsigned>(h);
          }
          units_.push_back(static_cast<char16_t>(unit));  // lone surrogates are kept, as in JS
          break;
        }
        default: return Status::not_json;
      }
    }
  }

  // small: the number is an integer of 32 bits written as one (not -0).
  Status parse_number(double &out, bool &small) {
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
        small = integer <= (sign ? 0x80000000u : 0x7FFFFFFFu) && !(sign && integer == 0);
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
#if JAZZRPC_NUMBERS_FROM_HOST
    // The browser core (JAZZRPC_WASM_CLIENT) asks its host: JavaScript's Number() of the
    // token, correctly rounded as fast_float is, and ±Infinity past the range, ±0 under it.
    // That leaves out fast_float's 10 KB table of powers of five (and the libc's strtod
    // would bring 7 KB of 128-bit soft float). A client reads only its own values and its
    // answers; every token here has JSON's number grammar, checked above.
    out = jazzrpc_host_number(first, static_cast<std::size_t>(last - first));
    return Status::ok;
#else
    const fast_float::from_chars_result result = fast_float::from_chars(first, last, out);
    const bool read = result.ec == std::errc() || result.ec == std::errc::result_out_of_range;
    return read && result.ptr == last ? Status::ok : Status::not_json;
#endif
  }
};

}  // namespace

Status json_parse(std::string_view text, const ParseLimits &limits, JsonDocument &out) {
  out = JsonDocument();
  if (text.size() > limits.max_bytes) return Status::too_large;
  // Parsed from the UTF-8 itself (a UTF-16 copy of the whole text cost twice its size):
  // outside strings only ASCII is JSON, and inside them each run of bytes is decoded as
  // TextDecoder decodes it (the bytes it stops at are ASCII, where decoding splits cleanly).
  std::string_view view = text;
  if (view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);  // TextDecoder drops a BOM
  JsonDocument doc;
  const Status status = Parser(view, std::min(limits.max_depth, ParseLimits::hard_max_depth), doc).parse_document();
  if (status == Status::ok) out = std::move(doc);
  return status;
}

JsonValue json_tree(const JsonNode &node) {
  JsonValue value;
  value.kind = node.kind();
  switch (node.kind()) {
    case JsonValue::Kind::null: break;
    case JsonValue::Kind::boolean: value.boolean = node.boolean(); break;
    case JsonValue::Kind::number: value.number = node.number(); break;
    case JsonValue::Kind::string: value.string = node.string(); break;
    case JsonValue::Kind::array:
      value.array.reserve(node.array().size());
      for (const JsonNode &item : node.array()) value.array.push_back(json_tree(item));
      break;
    case JsonValue::Kind::object:
      value.object.reserve(node.object().size());
      for (const JsonMember member : node.object()) value.object.emplace_back(std::u16string(member.first), json_tree(member.second));
      break;
  }
  return value;
}

Status json_parse(std::string_view text, const ParseLimits &limits, JsonValue &out) {
  out = JsonValue{};
  JsonDocument doc;
  const Status status = json_parse(text, limits, doc);
  if (status == Status::ok) out = json_tree(doc.root());
  return status;
}

// ---- numbers as JavaScript writes them ------------------------------------------

namespace {

// String(x) of an integer x below 2^53 in magnitude (digits, no exponent: they are below
// 1e21), written into out (24 bytes): its length, or 0 for any other number.
std::size_t integer_digits(double value, char *out) noexcept {
  if (!(std::fabs(value) < 9007199254740992.0) || value != std::trunc(value)) return 0;
  char digits[20];
  char *end = digits + sizeof digits;
  char *p = end;
  auto magnitude = static_cast<std::uint64_t>(std::fabs(value));
  do {
    *--p = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  std::size_t n = 0;
  if (value < 0) out[n++] = '-';
  std::memcpy(out + n, p, static_cast<std::size_t>(end - p));
  return n + static_cast<std::size_t>(end - p);
}

}  // namespace

void js_number_append(double value, std::string &out) {
  char integer[24];
  const std::size_t integer_length = integer_digits(value, integer);
  if (integer_length != 0) {
    out.append(integer, integer_length);
    return;
  }
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

bool is_raw_string(std::u16string_view s) { return starts_with(s, u"encrypted_U") || starts_with(s, u"binary_U"); }

// Appends to a string through a pointer: room() makes sure of n bytes past what was
// written (the string grown by doubling, so zero-filling new room costs linear time in
// all), done() says where writing stopped; the string is cut to what was written when
// the writer goes. Nothing else may change the string meanwhile.
class Writer {
 public:
  explicit Writer(std::string &out) noexcept : out_(out), used_(out.size()) {}
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;
  ~Writer() { out_.resize(used_); }

  char *room(std::size_t n) {
    if (out_.size() - used_ < n) grow(n);
    return &out_[0] + used_;
  }
  char *end() noexcept { return &out_[0] + out_.size(); }
  void done(const char *p) noexcept { used_ = static_cast<std::size_t>(p - out_.data()); }
  __attribute__((noinline)) void put(std::string_view s) {
    char *p = room(s.size());
    std::memcpy(p, s.data(), s.size());
    done(p + s.size());
  }
  __attribute__((noinline)) void put(char c) {
    char *p = room(1);
    *p = c;
    done(p + 1);
  }

 private:
  std::string &out_;
  std::size_t used_;

  __attribute__((noinline)) void grow(std::size_t n) {
    out_.resize(std::max({used_ + n, out_.size() * 2 + 64, out_.capacity()}));
  }
};

char *put_code_point(std::uint32_t cp, char *p) noexcept {
  if (cp < 0x80) {
    *p++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *p++ = static_cast<char>(0xC0 | (cp >> 6));
    *p++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *p++ = static_cast<char>(0xE0 | (cp >> 12));
    *p++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *p++ = static_cast<char>(0xF0 | (cp >> 18));
    *p++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *p++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return p;
}

// Four units known to be ASCII, narrowed to four bytes.
char *put_narrowed(std::uint64_t x, char *p) noexcept {
  const auto word = static_cast<std::uint32_t>((x & 0xFFu) | ((x >> 8) & 0xFF00u) | ((x >> 16) & 0xFF0000u) |
                                               ((x >> 24) & 0xFF000000u));
  std::memcpy(p, &word, sizeof word);
  return p + 4;
}

bool is_plain_unit(char16_t c) noexcept { return c >= 0x20 && c < 0x80 && c != u'"' && c != u'\\'; }

// The unit (or pair) at u[i], as TextEncoder writes it (a lone surrogate as U+FFFD), or
// with escape_lone as JSON.stringify's \udxxx; at most 6 bytes at p. Returns units used.
std::size_t put_unit(const char16_t *u, std::size_t i, std::size_t n, bool escape_lone, char *&p) noexcept {
  const char16_t c = u[i];
  if (is_high_surrogate(c) && i + 1 < n && is_low_surrogate(u[i + 1])) {
    p = put_code_point(0x10000 + ((static_cast<std::uint32_t>(c) - 0xD800) << 10) + (u[i + 1] - 0xDC00u), p);
    return 2;
  }
  if (is_high_surrogate(c) || is_low_surrogate(c)) {
    if (escape_lone) {
      static constexpr char kHex[] = "0123456789abcdef";
      *p++ = '\\';
      *p++ = 'u';
      for (int shift = 12; shift >= 0; shift -= 4) *p++ = kHex[(c >> shift) & 0xF];
    } else {
      p = put_code_point(0xFFFD, p);
    }
    return 1;
  }
  p = put_code_point(c, p);
  return 1;
}

// JSON.stringify(string): escapes ", \, and controls; keeps U+2028 and non-ASCII raw;
// writes lone surrogates as \udxxx. Printable ASCII is narrowed four units at a time
// into room for a byte a unit; room for an escape (six bytes) is made when one comes.
void write_json_string(std::u16string_view s, Writer &w) {
  const std::size_t n = s.size();
  const char16_t *u = s.data();
  char *p = w.room(n + 2);
  char *end = w.end();
  *p++ = '"';
  std::size_t i = 0;
  // at the head of each round: room for a byte a unit left and the closing quote
  while (true) {
    for (; i + 4 <= n; i += 4) {
      const std::uint64_t x = load64(u + i);
      if (units_special(x) != 0) break;
      p = put_narrowed(x, p);
    }
    for (; i < n && is_plain_unit(u[i]); ++i) *p++ = static_cast<char>(u[i]);
    if (i == n) break;
    if (static_cast<std::size_t>(end - p) < n - i + 6) {
      w.done(p);
      p = w.room(2 * (n - i) + 6);
      end = w.end();
    }
    const char16_t c = u[i];
    char escape = 0;
    switch (c) {
      case u'"': escape = '"'; break;
      case u'\\': escape = '\\'; break;
      case u'\b': escape = 'b'; break;
      case u'\f': escape = 'f'; break;
      case u'\n': escape = 'n'; break;
      case u'\r': escape = 'r'; break;
      case u'\t': escape = 't'; break;
      default: break;
    }
    if (escape != 0) {
      *p++ = '\\';
      *p++ = escape;
      ++i;
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      std::memcpy(p, "\\u00", 4);
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 0xF];
      p += 6;
      ++i;
    } else {
      i += put_unit(u, i, n, true, p);
    }
  }
  *p++ = '"';
  w.done(p);
}

// cojson's quirk: these are written between quotes with no escaping at all, as
// TextEncoder encodes them (three bytes a unit at most).
void write_raw_string(std::u16string_view s, Writer &w) {
  const std::size_t n = s.size();
  const char16_t *u = s.data();
  char *p = w.room(3 * n + 2);
  *p++ = '"';
  for (std::size_t i = 0; i < n;) {
    if (i + 4 <= n) {
      const std::uint64_t x = load64(u + i);
      if ((x & 0xFF80FF80FF80FF80u) == 0) {
        p = put_narrowed(x, p);
        i += 4;
        continue;
      }
    }
    if (u[i] < 0x80) {
      *p++ = static_cast<char>(u[i]);
      ++i;
    } else {
      i += put_unit(u, i, n, false, p);
    }
  }
  *p++ = '"';
  w.done(p);
}

void write_canonical_string(std::u16string_view s, Writer &w) {
  if (is_raw_string(s)) {
    write_raw_string(s, w);
  } else {
    write_json_string(s, w);
  }
}

// An integer held in a node, as String(x) writes it (what js_number_append writes, without
// finding the shortest digits of a double).
void put_int32(std::int32_t value, Writer &w) {
  char digits[11];
  char *end = digits + sizeof digits;
  char *p = end;
  std::uint32_t magnitude = value < 0 ? 0u - static_cast<std::uint32_t>(value) : static_cast<std::uint32_t>(value);
  do {
    *--p = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) *--p = '-';
  w.put(std::string_view(p, static_cast<std::size_t>(end - p)));
}

void put_number(double value, Writer &w) {
  char digits[24];
  const std::size_t n = integer_digits(value, digits);
  if (n != 0) {
    w.put(std::string_view(digits, n));
    return;
  }
  std::string text;
  js_number_append(value, text);
  w.put(text);
}

void write_canonical(const JsonValue &value, Writer &w) {
  switch (value.kind) {
    case JsonValue::Kind::null: w.put("null"); return;
    case JsonValue::Kind::boolean: w.put(value.boolean ? "true" : "false"); return;
    case JsonValue::Kind::number: put_number(value.number, w); return;
    case JsonValue::Kind::string: write_canonical_string(value.string, w); return;
    case JsonValue::Kind::array: {
      w.put('[');
      for (std::size_t i = 0; i < value.array.size(); ++i) {
        if (i != 0) w.put(',');
        write_canonical(value.array[i], w);
      }
      w.put(']');
      return;
    }
    case JsonValue::Kind::object: {
      w.put('{');
      bool first = true;
      for (const auto &member : value.object) {  // already sorted by UTF-16 code units
        if (!first) w.put(',');
        first = false;
        write_json_string(member.first, w);
        w.put(':');
        write_canonical(member.second, w);
      }
      w.put('}');
      return;
    }
  }
}

void write_canonical(const JsonNode &value, Writer &w) {
  switch (value.kind()) {
    case JsonValue::Kind::null: w.put("null"); return;
    case JsonValue::Kind::boolean: w.put(value.boolean() ? "true" : "false"); return;
    case JsonValue::Kind::number:
      if (JsonNodeAccess::tag(value) == JsonNode::kInt) {
        put_int32(static_cast<std::int32_t>(static_cast<std::uint32_t>(JsonNodeAccess::payload(value))), w);
      } else {
        put_number(value.number(), w);
      }
      return;
    case JsonValue::Kind::string: write_canonical_string(value.string(), w); return;
    case JsonValue::Kind::array: {
      w.put('[');
      bool first = true;
      for (const JsonNode &item : value.array()) {
        if (!first) w.put(',');
        first = false;
        write_canonical(item, w);
      }
      w.put(']');
      return;
    }
    case JsonValue::Kind::object: {
      w.put('{');
      bool first = true;
      for (const JsonMember member : value.object()) {  // already sorted by UTF-16 code units
        if (!first) w.put(',');
        first = false;
        write_json_string(member.first, w);
        w.put(':');
        write_canonical(member.second, w);
      }
      w.put('}');
      return;
    }
  }
}

}  // namespace

void json_write_canonical(const JsonValue &value, std::string &out) {
  Writer w(out);
  write_canonical(value, w);
}
void json_write_canonical(const JsonNode &value, std::string &out) {
  Writer w(out);
  write_canonical(value, w);
}
void json_write_canonical_string(std::u16string_view value, std::string &out) {
  Writer w(out);
  write_canonical_string(value, w);
}

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

bool json_canonical_is_unambiguous(std::u16string_view s) {
  return !(starts_with(s, u"encrypted_U") || starts_with(s, u"binary_U")) || raw_string_is_safe(s);
}

bool json_canonical_is_unambiguous(const JsonNode &value) {
  switch (value.kind()) {
    case JsonValue::Kind::string: return json_canonical_is_unambiguous(value.string());
    case JsonValue::Kind::array:
      for (const JsonNode &item : value.array()) {
        if (!json_canonical_is_unambiguous(item)) return false;
      }
      return true;
    case JsonValue::Kind::object:
      for (const JsonMember member : value.object()) {
        if (!json_canonical_is_unambiguous(member.second)) return false;
      }
      return true;
    default:
      return true;
  }
}

Status json_canonicalize(std::string_view text, const ParseLimits &limits, std::string &out) {
  JsonDocument doc;
  const Status status = json_parse(text, limits, doc);
  if (status != Status::ok) return status;
  out.clear();
  out.reserve(text.size());
  json_write_canonical(doc.root(), out);
  return Status::ok;
}

}  // namespace jazzrpc
