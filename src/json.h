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
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
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

// A vector behind one pointer: its size and capacity live in the heap block, before the
// items. What a JsonValue holds of each container kind it is not costs 4 bytes in wasm32
// (a std::vector costs 12), an empty array or object allocates nothing, and a one-item
// array allocates one block (deep nesting). Iterators are pointers; copies are deep.
// Out of memory aborts, as std::vector does without exceptions.
template <class T>
class HeapVector {
 public:
  HeapVector() = default;
  HeapVector(HeapVector &&other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  HeapVector &operator=(HeapVector &&other) noexcept {
    if (this != &other) {
      release();
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  HeapVector(const HeapVector &other) { copy_from(other.begin(), other.size()); }
  HeapVector &operator=(const HeapVector &other) {
    if (this != &other) {
      release();
      copy_from(other.begin(), other.size());
    }
    return *this;
  }
  HeapVector &operator=(std::vector<T> &&items) {
    release();
    reserve(items.size());
    for (T &item : items) push_back(std::move(item));
    return *this;
  }
  ~HeapVector() { release(); }

  std::size_t size() const noexcept { return block_ ? header()->size : 0; }
  bool empty() const noexcept { return size() == 0; }
  T *begin() noexcept { return block_ ? items() : nullptr; }
  T *end() noexcept { return begin() + size(); }
  const T *begin() const noexcept { return block_ ? items() : nullptr; }
  const T *end() const noexcept { return begin() + size(); }
  T &operator[](std::size_t i) noexcept { return items()[i]; }
  const T &operator[](std::size_t i) const noexcept { return items()[i]; }
  T &back() noexcept { return items()[size() - 1]; }
  void reserve(std::size_t n) {
    if (n > capacity()) grow_to(n);
  }
  void push_back(T item) { emplace_back(std::move(item)); }
  template <class... Args>
  T &emplace_back(Args &&...args) {
    if (size() == capacity()) grow_to(capacity() == 0 ? 1 : capacity() * 2);
    T *slot = items() + header()->size;
    ::new (static_cast<void *>(slot)) T(std::forward<Args>(args)...);
    ++header()->size;
    return *slot;
  }
  T *erase(T *first, T *last) {
    if (first == last) return first;
    T *out = std::move(last, end(), first);
    for (T *p = out; p != end(); ++p) p->~T();
    header()->size = static_cast<std::size_t>(out - begin());
    return first;
  }

 private:
  struct Header {
    std::size_t size;
    std::size_t capacity;
  };
  static constexpr std::size_t kItemsAt = (sizeof(Header) + alignof(T) - 1) / alignof(T) * alignof(T);

  unsigned char *block_ = nullptr;  // a Header, then capacity items from kItemsAt

  Header *header() const noexcept { return reinterpret_cast<Header *>(block_); }
  T *items() const noexcept { return reinterpret_cast<T *>(block_ + kItemsAt); }
  std::size_t capacity() const noexcept { return block_ ? header()->capacity : 0; }

  void grow_to(std::size_t n) {
    if (n > (static_cast<std::size_t>(-1) - kItemsAt) / sizeof(T)) std::abort();
    auto *block = static_cast<unsigned char *>(std::malloc(kItemsAt + n * sizeof(T)));
    if (block == nullptr) std::abort();
    auto *header = ::new (static_cast<void *>(block)) Header{size(), n};
    T *to = reinterpret_cast<T *>(block + kItemsAt);
    for (std::size_t i = 0; i < header->size; ++i) {
      ::new (static_cast<void *>(to + i)) T(std::move(items()[i]));
      items()[i].~T();
    }
    std::free(block_);
    block_ = block;
  }
  void copy_from(const T *from, std::size_t n) {
    reserve(n);
    for (std::size_t i = 0; i < n; ++i) emplace_back(from[i]);
  }
  void release() noexcept {
    if (block_ == nullptr) return;
    for (T *p = begin(); p != end(); ++p) p->~T();
    std::free(block_);
    block_ = nullptr;
  }
};

// A string value's UTF-16 behind one pointer (a std::u16string costs 12 bytes in wasm32):
// its length, then its units, in one block sized exactly; nothing allocated when empty.
class JsonString {
 public:
  JsonString() = default;
  JsonString(const JsonString &other) { assign(other.view()); }
  JsonString(JsonString &&other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  JsonString &operator=(const JsonString &other) {
    if (this != &other) assign(other.view());
    return *this;
  }
  JsonString &operator=(JsonString &&other) noexcept {
    if (this != &other) {
      std::free(block_);
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  JsonString &operator=(std::u16string_view units) {
    assign(units);
    return *this;
  }
  ~JsonString() { std::free(block_); }

  std::size_t size() const noexcept { return block_ ? *reinterpret_cast<const std::size_t *>(block_) : 0; }
  bool empty() const noexcept { return size() == 0; }
  std::u16string_view view() const noexcept {
    return block_ ? std::u16string_view(reinterpret_cast<const char16_t *>(block_ + kUnitsAt), size()) : std::u16string_view();
  }
  operator std::u16string_view() const noexcept { return view(); }

  // Writes a string's units in place as a parser finds them (grown by doubling), then
  // hands them to a JsonString trimmed to size: no second copy of a long string.
  class Builder {
   public:
    Builder() = default;
    Builder(const Builder &) = delete;
    Builder &operator=(const Builder &) = delete;
    ~Builder() { std::free(block_); }
    std::size_t size() const noexcept { return size_; }
    char16_t &operator[](std::size_t i) noexcept { return units()[i]; }
    void resize(std::size_t n) {
      if (n > capacity_) grow(n < capacity_ * 2 ? capacity_ * 2 : n);
      size_ = n;
    }
    void push_back(char16_t unit) {
      resize(size_ + 1);
      units()[size_ - 1] = unit;
    }
    void append(std::u16string_view more) {
      const std::size_t at = size_;
      resize(at + more.size());
      if (!more.empty()) std::memcpy(units() + at, more.data(), more.size() * sizeof(char16_t));
    }
    // Moves what was built into out and starts empty again.
    void finish_into(JsonString &out) {
      if (size_ == 0) {
        out = JsonString();
        return;
      }
      auto *block = static_cast<unsigned char *>(std::realloc(block_, kUnitsAt + size_ * sizeof(char16_t)));
      if (block == nullptr) std::abort();
      ::new (static_cast<void *>(block)) std::size_t(size_);
      std::free(out.block_);
      out.block_ = block;
      block_ = nullptr;
      size_ = capacity_ = 0;
    }

   private:
    unsigned char *block_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
    char16_t *units() noexcept { return reinterpret_cast<char16_t *>(block_ + kUnitsAt); }
    void grow(std::size_t n) {
      if (n > (static_cast<std::size_t>(-1) - kUnitsAt) / sizeof(char16_t)) std::abort();
      auto *block = static_cast<unsigned char *>(std::realloc(block_, kUnitsAt + n * sizeof(char16_t)));
      if (block == nullptr) std::abort();
      block_ = block;
      capacity_ = n;
    }
  };
  friend bool operator==(const JsonString &a, std::u16string_view b) noexcept { return a.view() == b; }
  friend bool operator!=(const JsonString &a, std::u16string_view b) noexcept { return a.view() != b; }

 private:
  static constexpr std::size_t kUnitsAt = sizeof(std::size_t);
  unsigned char *block_ = nullptr;  // a std::size_t length, then the units

  void assign(std::u16string_view units) {
    unsigned char *block = nullptr;
    if (!units.empty()) {
      if (units.size() > (static_cast<std::size_t>(-1) - kUnitsAt) / sizeof(char16_t)) std::abort();
      block = static_cast<unsigned char *>(std::malloc(kUnitsAt + units.size() * sizeof(char16_t)));
      if (block == nullptr) std::abort();
      ::new (static_cast<void *>(block)) std::size_t(units.size());
      std::memcpy(block + kUnitsAt, units.data(), units.size() * sizeof(char16_t));
    }
    std::free(block_);
    block_ = block;
  }
};

struct JsonValue {
  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };
  using Member = std::pair<std::u16string, JsonValue>;

  // 24 bytes in wasm32 (48 with the string and containers held as std::u16string and
  // std::vector, 56 before that).
  double number = 0;
  JsonString string;
  HeapVector<JsonValue> array;
  HeapVector<Member> object;  // keys unique, sorted by UTF-16 code units
  Kind kind = Kind::null;
  bool boolean = false;

  const JsonValue *find(std::u16string_view key) const noexcept;
  static JsonValue from_string(std::string_view utf8);
  static JsonValue from_number(double value) noexcept;
};

// ---- a parsed document, flat ------------------------------------------------------
//
// json_parse writes every value of a text into one array of JsonNode (8 bytes in wasm32):
// null, booleans and integers of 32 bits held in the node itself, other numbers in one
// array of doubles and the UTF-16 of every string and key in one array of units, each
// found through the node's pointer. A container's children sit next to each other in the
// node array (an object's as key, value, key, value...), sized exactly from a first linear
// pass over the text, so that no array grows while parsing (issue 17.6: a tree of one node
// per value and a heap block per container took 12 to 21 times a 1 MiB body's size in wasm
// memory). Nodes are views into their JsonDocument: valid while it lives, unmoved.
class JsonNode;
class JsonItems;
class JsonMembers;

class JsonNode {
 public:
  using Kind = JsonValue::Kind;

  Kind kind() const noexcept;
  bool boolean() const noexcept { return tag() == kTrue; }
  double number() const noexcept;              // 0 for any other kind
  std::u16string_view string() const noexcept;  // empty for any other kind
  JsonItems array() const noexcept;            // empty for any other kind
  JsonMembers object() const noexcept;         // keys unique, sorted by UTF-16 code units
  const JsonNode *find(std::u16string_view key) const noexcept;

  // How a node is held (for the parser): a tag in its low bits.
  enum Tag : std::uint32_t { kNull, kFalse, kTrue, kInt, kDouble, kString, kArray, kObject };
  static constexpr unsigned kTagBits = 3;

 private:
  friend struct JsonNodeAccess;  // the parser (json.cpp)
  std::uint32_t tag() const noexcept { return head_ & ((1u << kTagBits) - 1); }
  std::uint32_t size() const noexcept { return head_ >> kTagBits; }

  // Left uninitialised by default (trivial): the parser writes every node it hands out,
  // and zeroing 4 MiB of nodes first was a tenth of a parse of [0,0,...].
  std::uint32_t head_;       // the tag, then a string's units or a container's children
  std::uintptr_t payload_;   // an int32, or a pointer to the units, the double, the children
};

// An allocator whose construct() of no arguments default-initialises: a vector of trivial
// items resized is not zeroed first.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U> &) noexcept {}
  template <class U>
  void construct(U *p) noexcept {
    ::new (static_cast<void *>(p)) U;
  }
  template <class U, class... Args>
  void construct(U *p, Args &&...args) {
    ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
  }
};

class JsonItems {
 public:
  JsonItems() = default;
  JsonItems(const JsonNode *first, std::size_t n) noexcept : first_(first), n_(n) {}
  const JsonNode *begin() const noexcept { return first_; }
  const JsonNode *end() const noexcept { return first_ + n_; }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  const JsonNode &operator[](std::size_t i) const noexcept { return first_[i]; }

 private:
  const JsonNode *first_ = nullptr;
  std::size_t n_ = 0;
};

// A member as it is iterated: its key and its value.
struct JsonMember {
  std::u16string_view first;
  const JsonNode &second;
};

class JsonMembers {
 public:
  class iterator {
   public:
    explicit iterator(const JsonNode *at) noexcept : at_(at) {}
    JsonMember operator*() const noexcept { return {at_[0].string(), at_[1]}; }
    iterator &operator++() noexcept {
      at_ += 2;
      return *this;
    }
    bool operator==(const iterator &other) const noexcept { return at_ == other.at_; }
    bool operator!=(const iterator &other) const noexcept { return at_ != other.at_; }

   private:
    const JsonNode *at_;
  };
  JsonMembers() = default;
  JsonMembers(const JsonNode *first, std::size_t n) noexcept : first_(first), n_(n) {}
  iterator begin() const noexcept { return iterator(first_); }
  iterator end() const noexcept { return iterator(first_ + 2 * n_); }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  JsonMember operator[](std::size_t i) const noexcept { return {first_[2 * i].string(), first_[2 * i + 1]}; }

 private:
  const JsonNode *first_ = nullptr;  // key, value, key, value...
  std::size_t n_ = 0;
};

inline JsonNode::Kind JsonNode::kind() const noexcept {
  static constexpr Kind kKinds[] = {Kind::null,   Kind::boolean, Kind::boolean, Kind::number,
                                    Kind::number, Kind::string,  Kind::array,   Kind::object};
  return kKinds[tag()];
}
inline double JsonNode::number() const noexcept {
  if (tag() == kInt) return static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(payload_)));
  if (tag() == kDouble) return *reinterpret_cast<const double *>(payload_);
  return 0;
}
inline std::u16string_view JsonNode::string() const noexcept {
  if (tag() != kString || size() == 0) return {};
  return std::u16string_view(reinterpret_cast<const char16_t *>(payload_), size());
}
inline JsonItems JsonNode::array() const noexcept {
  if (tag() != kArray || size() == 0) return {};
  return JsonItems(reinterpret_cast<const JsonNode *>(payload_), size());
}
inline JsonMembers JsonNode::object() const noexcept {
  if (tag() != kObject || size() == 0) return {};
  return JsonMembers(reinterpret_cast<const JsonNode *>(payload_), size());
}

// What json_parse makes: the nodes of one text and the numbers and units they point to.
// Movable (the arrays move, the nodes' pointers stay valid), not copyable.
class JsonDocument {
 public:
  JsonDocument() = default;
  JsonDocument(JsonDocument &&) noexcept = default;
  JsonDocument &operator=(JsonDocument &&) noexcept = default;
  JsonDocument(const JsonDocument &) = delete;
  JsonDocument &operator=(const JsonDocument &) = delete;

  // The value of the text (null before a successful parse).
  const JsonNode &root() const noexcept {
    static const JsonNode null_node{};
    return nodes_.empty() ? null_node : nodes_.front();
  }

 private:
  friend struct JsonNodeAccess;
  std::vector<JsonNode, DefaultInitAllocator<JsonNode>> nodes_;
  std::vector<char16_t, DefaultInitAllocator<char16_t>> units_;
  std::vector<double> numbers_;
};

Status json_parse(std::string_view text, const ParseLimits &limits, JsonDocument &out);
// The same value as a tree (JsonValue), for code that builds or changes values (tests).
Status json_parse(std::string_view text, const ParseLimits &limits, JsonValue &out);
JsonValue json_tree(const JsonNode &node);

// stableStringify(value), UTF-8 encoded as TextEncoder would encode it.
void json_write_canonical(const JsonValue &value, std::string &out);
void json_write_canonical(const JsonNode &value, std::string &out);
// stableStringify of a string value.
void json_write_canonical_string(std::u16string_view value, std::string &out);
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
std::string json_string_utf8(const JsonNode &value);

// cojson writes strings that start with "encrypted_U" or "binary_U" raw. When such a
// string holds a quote, a backslash, a control character or a lone surrogate, two
// different values can share one canonical text (members folded into the string),
// so a signature over the text would not pin the value. False for such a value.
bool json_canonical_is_unambiguous(const JsonValue &value);
bool json_canonical_is_unambiguous(const JsonNode &value);
bool json_canonical_is_unambiguous(std::u16string_view string_value);

// Orders members by key (UTF-16 code units) and keeps the last of equal keys.
void json_sort_members(std::vector<JsonValue::Member> &members);
void json_sort_members(HeapVector<JsonValue::Member> &members);

}  // namespace jazzrpc

#endif
