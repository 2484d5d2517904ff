// Fixed-size secret bytes, wiped with sodium_memzero when they leave scope.
#ifndef JAZZRPC_SECRET_H
#define JAZZRPC_SECRET_H

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace jazzrpc {

template <std::size_t N>
class SecretBytes {
 public:
  SecretBytes() = default;
  SecretBytes(const SecretBytes &) = delete;
  SecretBytes &operator=(const SecretBytes &) = delete;
  ~SecretBytes() { sodium_memzero(bytes_.data(), bytes_.size()); }

  std::uint8_t *data() noexcept { return bytes_.data(); }
  const std::uint8_t *data() const noexcept { return bytes_.data(); }
  static constexpr std::size_t size() noexcept { return N; }

 private:
  std::array<std::uint8_t, N> bytes_{};
};

}  // namespace jazzrpc

#endif
