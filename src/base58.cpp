#include "base58.h"

#include <sodium.h>

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

// limbs = limbs * mul + add, in base `base`; returns the limbs in use.
std::size_t mul_add(std::uint32_t *limbs, std::size_t used, std::uint64_t base, std::uint64_t mul,
                    std::uint64_t add) {
  std::uint64_t carry = add;
  std::size_t j = 0;
  for (; j < used; ++j) {
    const std::uint64_t t = limbs[j] * mul + carry;
    limbs[j] = static_cast<std::uint32_t>(t % base);
    carry = t / base;
  }
  for (; carry != 0; ++j) {
    limbs[j] = static_cast<std::uint32_t>(carry % base);
    carry /= base;
  }
  return j;
}

}  // namespace

std::string base58_encode(const std::uint8_t *bytes, std::size_t len) {
  std::size_t zeros = 0;
  while (zeros < len && bytes[zeros] == 0) ++zeros;
  const std::size_t rest = len - zeros;
  // 58^5 > 2^29: a limb holds more than 29 bits, so rest*8/29 + 1 limbs suffice.
  std::vector<std::uint32_t> limbs(rest * 8 / 29 + 2, 0);
  std::size_t used = 0;
  std::size_t i = zeros;
  const std::size_t head = rest % 4;  // the first group, so the others are whole words
  if (head != 0) {
    std::uint64_t word = 0;
    for (std::size_t k = 0; k < head; ++k) word = (word << 8) | bytes[i++];
    used = mul_add(limbs.data(), used, kBase58Pow5, 1ull << (8 * head), word);
  }
  for (; i < len; i += 4) {
    const std::uint64_t word = (std::uint64_t{bytes[i]} << 24) | (std::uint64_t{bytes[i + 1]} << 16) |
                               (std::uint64_t{bytes[i + 2]} << 8) | bytes[i + 3];
    used = mul_add(limbs.data(), used, kBase58Pow5, 1ull << 32, word);
  }
  // Digits, most significant first, without the leading zero digits of the top limb.
  std::string out(zeros, '1');
  out.reserve(zeros + used * 5);
  for (std::size_t j = used; j-- > 0;) {
    std::uint32_t limb = limbs[j];
    char group[5];
    for (int k = 4; k >= 0; --k) {
      group[k] = kAlphabet[limb % 58];
      limb /= 58;
    }
    int start = 0;
    if (j + 1 == used) {
      while (start < 4 && group[start] == '1') ++start;
    }
    out.append(group + start, static_cast<std::size_t>(5 - start));
  }
  sodium_memzero(limbs.data(), limbs.size() * sizeof(limbs[0]));  // the input may be a secret
  return out;
}

Status base58_decode(std::string_view text, std::vector<std::uint8_t> &out) {
  out.clear();
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  const std::size_t rest = text.size() - ones;
  // a digit is under 6 bits: rest*6/32 + 1 limbs suffice
  std::vector<std::uint32_t> limbs(rest * 6 / 32 + 2, 0);
  std::size_t used = 0;
  std::size_t i = ones;
  Status status = Status::ok;
  const std::size_t head = rest % 5;
  std::size_t group_len = head != 0 ? head : 5;
  while (i < text.size()) {
    std::uint64_t word = 0;
    std::uint64_t mul = 1;
    for (std::size_t k = 0; k < group_len; ++k) {
      const auto c = static_cast<unsigned char>(text[i++]);
      if (c >= 128 || kIndex[c] < 0) {
        status = Status::bad_encoding;
        break;
      }
      word = word * 58 + static_cast<std::uint64_t>(kIndex[c]);
      mul *= 58;
    }
    if (status != Status::ok) break;
    used = mul_add(limbs.data(), used, 1ull << 32, mul, word);
    group_len = 5;
  }
  if (status == Status::ok) {
    out.assign(ones, 0);
    // the limbs' bytes, most significant first, without the top limb's leading zero bytes
    for (std::size_t j = used; j-- > 0;) {
      const std::uint32_t limb = limbs[j];
      int shift = 24;
      if (j + 1 == used) {
        while (shift > 0 && ((limb >> shift) & 0xff) == 0) shift -= 8;
      }
      for (; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(limb >> shift));
    }
  }
  sodium_memzero(limbs.data(), limbs.size() * sizeof(limbs[0]));  // the text may encode a secret
  return status;
}

std::string prefixed_encode(std::string_view prefix, const std::uint8_t *bytes, std::size_t len) {
  std::string out(prefix);
  out += base58_encode(bytes, len);
  return out;
}

Status prefixed_decode(std::string_view text, std::string_view prefix, std::size_t expected_len,
                       std::uint8_t *out) {
  if (text.substr(0, prefix.size()) != prefix) return Status::bad_encoding;
  std::vector<std::uint8_t> bytes;
  const Status status = base58_decode(text.substr(prefix.size()), bytes);
  const bool ok = status == Status::ok && bytes.size() == expected_len;
  if (ok) std::copy(bytes.begin(), bytes.end(), out);
  sodium_memzero(bytes.data(), bytes.size());  // it may have held a secret
  return ok ? Status::ok : Status::bad_encoding;
}

}  // namespace jazzrpc
