#include "base58.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace jazzrpc {
namespace {

constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 128> make_index() {
  std::array<std::int8_t, 128> index{};
  for (auto &v : index) v = -1;
  for (int i = 0; i < 58; ++i) index[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return index;
}
constexpr auto kIndex = make_index();

// The number is held in 32-bit limbs, least significant first: base 58^5 for
// encoding (5 digits a limb), base 2^32 for decoding (4 bytes a limb). Each step
// multiplies by 2^32 (4 input bytes) or 58^5 (5 input digits) at once, so a
// 64-byte signature takes 16 passes instead of 64 byte-by-byte ones.
constexpr std::uint64_t kBase58Pow5 = 58ull * 58 * 58 * 58 * 58;  // 656,356,768 < 2^32

// A number in limbs, in a buffer sized once from the input's length (so it never
// grows and leaves copies behind) and wiped when it goes: it may hold a secret.
class Limbs {
 public:
  explicit Limbs(std::size_t capacity) : limbs_(capacity, 0) {}
  ~Limbs() { sodium_memzero(limbs_.data(), limbs_.size() * sizeof(limbs_[0])); }
  Limbs(const Limbs &) = delete;
  Limbs &operator=(const Limbs &) = delete;

  // this = this * mul + add, in limbs of base `base`.
  void mul_add(std::uint64_t base, std::uint64_t mul, std::uint64_t add) {
    std::uint64_t carry = add;
    std::size_t j = 0;
    for (; j < used_; ++j) {
      const std::uint64_t t = limbs_[j] * mul + carry;
      limbs_[j] = static_cast<std::uint32_t>(t % base);
      carry = t / base;
    }
    for (; carry != 0; ++j) {
      limbs_[j] = static_cast<std::uint32_t>(carry % base);
      carry /= base;
    }
    used_ = j;
  }

  std::size_t used() const noexcept { return used_; }
  std::uint32_t operator[](std::size_t i) const noexcept { return limbs_[i]; }

 private:
  std::vector<std::uint32_t> limbs_;
  std::size_t used_ = 0;  // the top limb in use is never 0
};

// ---- encoding ---------------------------------------------------------------------

std::size_t leading_zero_bytes(const std::uint8_t *bytes, std::size_t len) {
  std::size_t zeros = 0;
  while (zeros < len && bytes[zeros] == 0) ++zeros;
  return zeros;
}

// The value of bytes (big-endian) in limbs of base 58^5. 58^5 > 2^29: a limb holds
// more than 29 bits, so len*8/29 + 2 limbs suffice.
void read_bytes(const std::uint8_t *bytes, std::size_t len, Limbs &limbs) {
  std::size_t i = 0;
  const std::size_t head = len % 4;  // the first group, so the others are whole words
  if (head != 0) {
    std::uint64_t word = 0;
    for (std::size_t k = 0; k < head; ++k) word = (word << 8) | bytes[i++];
    limbs.mul_add(kBase58Pow5, 1ull << (8 * head), word);
  }
  for (; i < len; i += 4) {
    const std::uint64_t word = (std::uint64_t{bytes[i]} << 24) | (std::uint64_t{bytes[i + 1]} << 16) |
                               (std::uint64_t{bytes[i + 2]} << 8) | bytes[i + 3];
    limbs.mul_add(kBase58Pow5, 1ull << 32, word);
  }
}

// The base58 digits of a limb (5), or of the top limb without its leading zero digits.
std::size_t limb_digits(std::uint32_t limb, bool top) {
  if (!top) return 5;
  std::size_t digits = 1;
  for (std::uint32_t rest = limb / 58; rest != 0; rest /= 58) ++digits;
  return digits;
}

std::size_t digit_count(const Limbs &limbs) {
  const std::size_t used = limbs.used();
  return used == 0 ? 0 : (used - 1) * 5 + limb_digits(limbs[used - 1], true);
}

// Appends the digits, most significant first; out has room for them already.
void append_digits(const Limbs &limbs, std::string &out) {
  char group[5];
  for (std::size_t j = limbs.used(); j-- > 0;) {
    std::uint32_t limb = limbs[j];
    for (int k = 4; k >= 0; --k) {
      group[k] = kAlphabet[limb % 58];
      limb /= 58;
    }
    const std::size_t digits = limb_digits(limbs[j], j + 1 == limbs.used());
    out.append(group + (5 - digits), digits);
  }
  sodium_memzero(group, sizeof group);
}

// prefix + base58(bytes) appended to out, which is grown once, to the exact size.
void append_prefixed(std::string_view prefix, const std::uint8_t *bytes, std::size_t len, std::string &out) {
  const std::size_t zeros = leading_zero_bytes(bytes, len);
  Limbs limbs((len - zeros) * 8 / 29 + 2);
  read_bytes(bytes + zeros, len - zeros, limbs);
  out.reserve(out.size() + prefix.size() + zeros + digit_count(limbs));
  out += prefix;
  out.append(zeros, '1');
  append_digits(limbs, out);
}

// ---- decoding ---------------------------------------------------------------------

std::size_t leading_ones(std::string_view text) {
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  return ones;
}

// A digit is under 6 bits: digits*6/32 + 2 limbs of base 2^32 suffice.
std::size_t limbs_for_digits(std::size_t digits) { return digits * 6 / 32 + 2; }

// The value of base58 digits in limbs of base 2^32; Status::bad_encoding on a
// character outside the alphabet.
Status read_digits(std::string_view digits, Limbs &limbs) {
  std::size_t i = 0;
  const std::size_t head = digits.size() % 5;
  std::size_t group_len = head != 0 ? head : 5;
  while (i < digits.size()) {
    std::uint64_t word = 0;
    std::uint64_t mul = 1;
    for (std::size_t k = 0; k < group_len; ++k) {
      const auto c = static_cast<unsigned char>(digits[i++]);
      if (c >= 128 || kIndex[c] < 0) return Status::bad_encoding;
      word = word * 58 + static_cast<std::uint64_t>(kIndex[c]);
      mul *= 58;
    }
    limbs.mul_add(1ull << 32, mul, word);
    group_len = 5;
  }
  return Status::ok;
}

// The bytes of a limb (4), or of the top limb without its leading zero bytes.
std::size_t limb_bytes(std::uint32_t limb, bool top) {
  if (!top) return 4;
  std::size_t bytes = 1;
  for (std::uint32_t rest = limb >> 8; rest != 0; rest >>= 8) ++bytes;
  return bytes;
}

std::size_t byte_count(const Limbs &limbs) {
  const std::size_t used = limbs.used();
  return used == 0 ? 0 : (used - 1) * 4 + limb_bytes(limbs[used - 1], true);
}

// Writes byte_count(limbs) bytes, most significant first.
void write_bytes(const Limbs &limbs, std::uint8_t *out) {
  for (std::size_t j = limbs.used(); j-- > 0;) {
    const std::uint32_t limb = limbs[j];
    for (std::size_t k = limb_bytes(limb, j + 1 == limbs.used()); k-- > 0;) {
      *out++ = static_cast<std::uint8_t>(limb >> (8 * k));
    }
  }
}

}  // namespace

std::string base58_encode(const std::uint8_t *bytes, std::size_t len) {
  std::string out;
  append_prefixed({}, bytes, len, out);
  return out;
}

Status base58_decode(std::string_view text, std::vector<std::uint8_t> &out) {
  if (text.size() > base58_max_text) return Status::too_large;
  const std::size_t ones = leading_ones(text);
  Limbs limbs(limbs_for_digits(text.size() - ones));
  const Status status = read_digits(text.substr(ones), limbs);
  if (status != Status::ok) return status;
  std::vector<std::uint8_t> bytes(ones + byte_count(limbs), 0);  // the exact size: never grows
  write_bytes(limbs, bytes.data() + ones);
  out.swap(bytes);
  sodium_memzero(bytes.data(), bytes.size());  // what out held before
  return Status::ok;
}

std::string prefixed_encode(std::string_view prefix, const std::uint8_t *bytes, std::size_t len) {
  std::string out;
  append_prefixed(prefix, bytes, len, out);
  return out;
}

Status prefixed_decode(std::string_view text, std::string_view prefix, std::size_t expected_len,
                       std::uint8_t *out) {
  if (text.substr(0, prefix.size()) != prefix) return Status::bad_encoding;
  const std::string_view digits = text.substr(prefix.size());
  // Refused before any decoding, which is quadratic in the length.
  if (digits.size() > base58_max_text_len(expected_len)) return Status::bad_encoding;
  const std::size_t ones = leading_ones(digits);
  Limbs limbs(limbs_for_digits(digits.size() - ones));
  if (read_digits(digits.substr(ones), limbs) != Status::ok) return Status::bad_encoding;
  if (ones + byte_count(limbs) != expected_len) return Status::bad_encoding;
  std::fill(out, out + ones, std::uint8_t{0});
  write_bytes(limbs, out + ones);
  return Status::ok;
}

}  // namespace jazzrpc
