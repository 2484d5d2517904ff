// Open signers' handles through the C ABI (issue 17.5): a handle names its signer only
// while it is open, never again once closed (however often signers are opened after
// it), and no other number names a signer.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "jazzrpc_abi.h"
#include "sign.h"

using namespace jazzrpc;

namespace {

using Handle = decltype(jazzrpc_signer_open(nullptr, 0));
constexpr int kRefused = -static_cast<int>(Status::invalid_argument);

std::string secret_of(std::uint8_t fill) {
  std::array<std::uint8_t, sign_seed_bytes> seed{};
  seed.fill(fill);
  SignerKeypair keypair;
  REQUIRE(sign_seed_keypair(seed.data(), keypair) == Status::ok);
  return keypair.signer_secret;
}

Handle open(const std::string &secret) { return jazzrpc_signer_open(secret.data(), secret.size()); }

}  // namespace

TEST_CASE("a closed signer's handle is refused, however many signers are opened after it", "[abi][signer]") {
  REQUIRE(jazzrpc_init() == 0);
  const std::string secret = secret_of(0x21);
  const Handle closed = open(secret);
  REQUIRE(closed > 0);
  REQUIRE(jazzrpc_signer_close(closed) == 0);
  // 70,000 reopenings of the slot: more than a 15- or 16-bit generation can count.
  for (int i = 0; i < 70'000; ++i) {
    const Handle h = open(secret);
    REQUIRE(h > 0);
    if (h == closed || jazzrpc_signer_id(closed) != kRefused) FAIL("the closed handle names a signer again after " << i + 1 << " reopenings");
    REQUIRE(jazzrpc_signer_close(h) == 0);
  }
  CHECK(jazzrpc_signer_close(closed) == kRefused);
}

TEST_CASE("no number but an open handle names a signer", "[abi][signer]") {
  REQUIRE(jazzrpc_init() == 0);
  const std::string secret = secret_of(0x22);
  std::vector<Handle> open_handles;
  for (int i = 0; i < 4; ++i) open_handles.push_back(open(secret));
  for (const Handle h : open_handles) REQUIRE(h > 0);
  const Handle h = open_handles[1];
  const auto is_open = [&](double x) {
    for (const Handle o : open_handles) {
      if (static_cast<double>(o) == x) return true;
    }
    return false;
  };
  const double d = static_cast<double>(h);
  const std::vector<double> forged = {0, -1, -d, d + 0.5, d - 0.5, d * 2, d + 65536, d - 65536, d + 32768 * 65536.0,
                                      d * 65536 + 1, 9007199254740992.0, 1e300, std::nan(""),
                                      std::numeric_limits<double>::infinity(), 2147483647, 65537, 1};
  for (const double x : forged) {
    if (is_open(x)) continue;
    INFO("forged handle " << x);
    // Handle(x) as the ABI receives the number JavaScript passes (an int ABI truncates it).
    Handle as_abi;
    if constexpr (std::is_floating_point_v<Handle>) {
      as_abi = x;
    } else {
      as_abi = static_cast<Handle>(std::isfinite(x) && std::fabs(x) < 2147483647.0 ? x : 0);
    }
    if (is_open(static_cast<double>(as_abi))) FAIL("the ABI reads " << x << " as the open handle " << as_abi);
    CHECK(jazzrpc_signer_id(as_abi) == kRefused);
    CHECK(jazzrpc_signer_close(as_abi) == kRefused);
  }
  for (const Handle o : open_handles) CHECK(jazzrpc_signer_close(o) == 0);
}
