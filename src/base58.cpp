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

}  // namespace

std::string base58_encode(const std::uint8_t *bytes, std::size_t len) {
  std::size_t zeros = 0;
  while (zeros < len && bytes[zeros] == 0) ++zeros;
  // log(256)/log(58) < 1.37: enough base-58 digits for the rest.
  std::vector<std::uint8_t> digits((len - zeros) * 138 / 100 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = zeros; i < len; ++i) {
    unsigned carry = bytes[i];
    std::size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  auto it = digits.begin() + static_cast<std::ptrdiff_t>(digits.size() - used);
  std::string out(zeros, '1');
  out.reserve(zeros + used);
  for (; it != digits.end(); ++it) out.push_back(kAlphabet[*it]);
  sodium_memzero(digits.data(), digits.size());  // the input may be a secret
  return out;
}

Status base58_decode(std::string_view text, std::vector<std::uint8_t> &out) {
  out.clear();
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  // log(58)/log(256) < 0.733
  std::vector<std::uint8_t> bytes((text.size() - ones) * 733 / 1000 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = ones; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 128 || kIndex[c] < 0) return Status::bad_encoding;
    unsigned carry = static_cast<unsigned>(kIndex[c]);
    std::size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  out.assign(ones, 0);
  out.insert(out.end(), bytes.end() - static_cast<std::ptrdiff_t>(used), bytes.end());
  sodium_memzero(bytes.data(), bytes.size());  // the text may encode a secret
  return Status::ok;
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
