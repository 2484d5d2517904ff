// Secrets leave no copy in freed memory.
//
// This file replaces the global operator new and delete (every form) for the whole test
// program. Each block carries its requested size in a header, and while a watch is armed
// every block given back is scanned, before it is freed, for 8 consecutive bytes of a
// watched seed or of the seed's base58 text, and for 8 consecutive characters of that
// text in UTF-16. Every block is then zeroed before it goes back to malloc, so that no
// block can later be blamed for bytes a former owner left in it. The watched values are
// constants of this file, never computed by the code under test, and the inputs the
// tests pass live in arrays that are wiped, never in freed blocks.
//
// ASan (make asan) intercepts malloc and free; replacing operator new and delete is
// allowed there too, and the self-check below shows the scan still sees a leak.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "auth_token.h"
#include "base58.h"
#include "envelope.h"
#include "jazzrpc_abi.h"
#include "message.h"
#include "sign.h"

namespace {

// ---- the watch ----------------------------------------------------------------------

// An 8-byte window of a watched value; `wide` windows (UTF-16 text) need the next 8 bytes too.
struct Window {
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  bool wide = false;
  const char *what = "";
};

constexpr std::size_t kMaxWindows = 1024;

struct Watch {
  std::array<Window, kMaxWindows> windows{};  // sorted by head while armed
  std::size_t count = 0;
  bool armed = false;
  std::size_t findings = 0;
  const char *first_finding = nullptr;
  std::size_t first_block_size = 0;
};

Watch g_watch;

std::uint64_t load64(const unsigned char *p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void watch_bytes(const unsigned char *bytes, std::size_t len, std::size_t step, bool wide, const char *what) {
  const std::size_t span = wide ? 16 : 8;
  for (std::size_t at = 0; at + span <= len; at += step) {
    REQUIRE(g_watch.count < kMaxWindows);
    Window &w = g_watch.windows[g_watch.count++];
    w.head = load64(bytes + at);
    w.tail = wide ? load64(bytes + at + 8) : 0;
    w.wide = wide;
    w.what = what;
  }
}

void scan_block(const void *block, std::size_t size) {
  if (!g_watch.armed || size < 8) return;
  const auto *p = static_cast<const unsigned char *>(block);
  const auto begin = g_watch.windows.begin();
  const auto end = begin + static_cast<std::ptrdiff_t>(g_watch.count);
  for (std::size_t i = 0; i + 8 <= size; ++i) {
    const std::uint64_t head = load64(p + i);
    auto it = std::lower_bound(begin, end, head, [](const Window &w, std::uint64_t h) { return w.head < h; });
    for (; it != end && it->head == head; ++it) {
      if (it->wide && (i + 16 > size || load64(p + i + 8) != it->tail)) continue;
      if (g_watch.findings++ == 0) {
        g_watch.first_finding = it->what;
        g_watch.first_block_size = size;
      }
      return;
    }
  }
}

// ---- operator new and delete ---------------------------------------------------------------

// The header in front of every block: its requested size, padded to the default alignment.
constexpr std::size_t kHeader = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
static_assert(kHeader >= sizeof(std::size_t), "the header holds the size");

unsigned char *user_block(void *base, std::size_t offset, std::size_t size) {
  auto *user = static_cast<unsigned char *>(base) + offset;
  std::memcpy(user - sizeof(std::size_t), &size, sizeof size);
  return user;
}

std::size_t block_size(const void *user) {
  std::size_t size;
  std::memcpy(&size, static_cast<const unsigned char *>(user) - sizeof(std::size_t), sizeof size);
  return size;
}

void *allocate(std::size_t size, std::size_t align) {
  const std::size_t offset = std::max(kHeader, align);
  void *base = nullptr;
  if (align <= kHeader) {
    base = std::malloc(size + offset);
  } else if (posix_memalign(&base, align, size + offset) != 0) {
    base = nullptr;
  }
  return base == nullptr ? nullptr : user_block(base, offset, size);
}

void release(void *user, std::size_t align) noexcept {
  if (user == nullptr) return;
  const std::size_t size = block_size(user);
  scan_block(user, size);
  std::memset(user, 0, size);  // a later owner of these bytes never sees this one's
  std::free(static_cast<unsigned char *>(user) - std::max(kHeader, align));
}

void *allocate_or_throw(std::size_t size, std::size_t align) {
  void *p = allocate(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void *operator new(std::size_t size) { return allocate_or_throw(size, kHeader); }
void *operator new[](std::size_t size) { return allocate_or_throw(size, kHeader); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept { return allocate(size, kHeader); }
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept { return allocate(size, kHeader); }
void *operator new(std::size_t size, std::align_val_t align) { return allocate_or_throw(size, static_cast<std::size_t>(align)); }
void *operator new[](std::size_t size, std::align_val_t align) {
  return allocate_or_throw(size, static_cast<std::size_t>(align));
}
void *operator new(std::size_t size, std::align_val_t align, const std::nothrow_t &) noexcept {
  return allocate(size, static_cast<std::size_t>(align));
}
void *operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t &) noexcept {
  return allocate(size, static_cast<std::size_t>(align));
}

void operator delete(void *p) noexcept { release(p, kHeader); }
void operator delete[](void *p) noexcept { release(p, kHeader); }
void operator delete(void *p, std::size_t) noexcept { release(p, kHeader); }
void operator delete[](void *p, std::size_t) noexcept { release(p, kHeader); }
void operator delete(void *p, const std::nothrow_t &) noexcept { release(p, kHeader); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { release(p, kHeader); }
void operator delete(void *p, std::align_val_t align) noexcept { release(p, static_cast<std::size_t>(align)); }
void operator delete[](void *p, std::align_val_t align) noexcept { release(p, static_cast<std::size_t>(align)); }
void operator delete(void *p, std::size_t, std::align_val_t align) noexcept { release(p, static_cast<std::size_t>(align)); }
void operator delete[](void *p, std::size_t, std::align_val_t align) noexcept {
  release(p, static_cast<std::size_t>(align));
}
void operator delete(void *p, std::align_val_t align, const std::nothrow_t &) noexcept {
  release(p, static_cast<std::size_t>(align));
}
void operator delete[](void *p, std::align_val_t align, const std::nothrow_t &) noexcept {
  release(p, static_cast<std::size_t>(align));
}

namespace {

using namespace jazzrpc;

// ---- the watched secret ----------------------------------------------------------------

// SHA-256("jazzrpc test_secrets seed") and its base58, computed outside the code under test.
constexpr std::array<std::uint8_t, 32> kSeed = {
    0x3f, 0xec, 0x8a, 0xe5, 0x74, 0x2f, 0x48, 0xba, 0x3b, 0xe3, 0xce, 0x14, 0xa1, 0xa6, 0xc4, 0x43,
    0x4b, 0xb9, 0x5e, 0x2f, 0x24, 0x56, 0xcd, 0x72, 0x9d, 0x2a, 0xc3, 0xca, 0xbd, 0x7b, 0xd1, 0xa3};
constexpr std::string_view kSeedText = "5JXtJ8KzxGnLbsX4WP58PwUCXKXHrZx4JsV9pEJYTBDc";
constexpr std::string_view kSecret = "signerSecret_z5JXtJ8KzxGnLbsX4WP58PwUCXKXHrZx4JsV9pEJYTBDc";

// Arms the watch over kSeed for its lifetime; disarmed, it reports what it found.
class ArmedWatch {
 public:
  ArmedWatch() {
    g_watch = Watch{};
    watch_bytes(kSeed.data(), kSeed.size(), 1, false, "8 bytes of the seed");
    const auto *text = reinterpret_cast<const unsigned char *>(kSeedText.data());
    watch_bytes(text, kSeedText.size(), 1, false, "8 characters of the seed's base58 text");
    std::array<unsigned char, 2 * kSeedText.size()> utf16{};
    for (std::size_t i = 0; i < kSeedText.size(); ++i) utf16[2 * i] = static_cast<unsigned char>(kSeedText[i]);
    watch_bytes(utf16.data(), utf16.size(), 2, true, "8 characters of the seed's base58 text in UTF-16");
    std::sort(g_watch.windows.begin(), g_watch.windows.begin() + static_cast<std::ptrdiff_t>(g_watch.count),
              [](const Window &a, const Window &b) { return a.head < b.head; });
    g_watch.armed = true;
  }
  ~ArmedWatch() { g_watch.armed = false; }
  ArmedWatch(const ArmedWatch &) = delete;
  ArmedWatch &operator=(const ArmedWatch &) = delete;

  // Disarms and returns what was found ("" when nothing).
  std::string findings() {
    g_watch.armed = false;
    if (g_watch.findings == 0) return {};
    return std::to_string(g_watch.findings) + " freed block(s) held " + g_watch.first_finding + " (first in a block of " +
           std::to_string(g_watch.first_block_size) + " bytes)";
  }
};

// The secret text in a wiped array: the tests' inputs never pass through freed memory.
class SecretInput {
 public:
  SecretInput() { std::copy(kSecret.begin(), kSecret.end(), text_.begin()); }
  ~SecretInput() { sodium_memzero(text_.data(), text_.size()); }
  SecretInput(const SecretInput &) = delete;
  SecretInput &operator=(const SecretInput &) = delete;
  std::string_view view() const { return {text_.data(), kSecret.size()}; }

 private:
  std::array<char, kSecret.size()> text_{};
};

// libsodium's randomness replaced by kSeed, so that random keys are watched keys too.
void seed_random_buf(void *buf, std::size_t size) {
  auto *out = static_cast<std::uint8_t *>(buf);
  for (std::size_t i = 0; i < size; ++i) out[i] = kSeed[i % kSeed.size()];
}
std::uint32_t seed_random() {
  std::uint32_t v;
  seed_random_buf(&v, sizeof v);
  return v;
}
const char *seed_random_name() { return "test_secrets"; }
randombytes_implementation g_seed_random = {seed_random_name, seed_random, nullptr, nullptr, seed_random_buf, nullptr};

class SeededRandom {
 public:
  SeededRandom() { randombytes_set_implementation(&g_seed_random); }
  ~SeededRandom() { randombytes_set_implementation(&randombytes_sysrandom_implementation); }
  SeededRandom(const SeededRandom &) = delete;
  SeededRandom &operator=(const SeededRandom &) = delete;
};

// Runs fn with the watch armed and returns what the watch found.
template <typename Fn>
std::string leaks_of(Fn &&fn) {
  ArmedWatch watch;
  fn();
  return watch.findings();
}

constexpr double kNow = 1'700'000'000'000.0;
constexpr std::string_view kPieces = R"([{"a":"b","n":[1,2,3]}])";

MessageSpec request_spec() {
  MessageSpec spec;
  spec.kind = MessageKind::request;
  spec.url = "/api/book";
  spec.worker_id = "co_zWorker";
  spec.nonce = "z1";
  spec.value_json = R"({"eventId":"e1"})";
  spec.created_at = kNow;
  return spec;
}

// ABI arguments
const char *chars(std::string_view s) { return s.data(); }

}  // namespace

TEST_CASE("the watch sees a secret left in a freed block", "[secrets]") {
  // A std::string copy of the seed's text, freed unwiped: exactly what the tests look for.
  const std::string found = leaks_of([] {
    SecretInput secret;
    std::string copy(secret.view());
    CHECK(copy.size() == kSecret.size());
  });
  CHECK(found.find("base58 text") != std::string::npos);
  // The same copy wiped before it is freed: nothing.
  CHECK(leaks_of([] {
          SecretInput secret;
          std::string copy(secret.view());
          sodium_memzero(&copy[0], copy.size());
        }) == "");
  // A UTF-16 copy, and raw seed bytes in a vector.
  CHECK(leaks_of([] {
          std::u16string copy(kSeedText.begin(), kSeedText.end());
          CHECK(copy.size() == kSeedText.size());
        }).find("UTF-16") != std::string::npos);
  CHECK(leaks_of([] {
          std::vector<std::uint8_t> copy(kSeed.begin(), kSeed.end());
          CHECK(copy.size() == 32);
        }).find("seed") != std::string::npos);
}

TEST_CASE("keygen and expansion leave no secret in freed memory", "[secrets]") {
  CHECK(leaks_of([] {
          SignerKeypair keypair;
          REQUIRE(sign_seed_keypair(kSeed.data(), keypair) == Status::ok);
          CHECK(keypair.signer_secret == kSecret);
        }) == "");
  CHECK(leaks_of([] {
          SeededRandom seeded;
          SignerKeypair keypair;
          REQUIRE(sign_keypair(keypair) == Status::ok);
          CHECK(keypair.signer_secret == kSecret);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          ExpandedSigner signer;
          REQUIRE(sign_expand(secret.view(), signer) == Status::ok);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          std::string signer_id;
          REQUIRE(sign_signer_id(secret.view(), signer_id) == Status::ok);
        }) == "");
}

TEST_CASE("base58 and prefixed ids leave no secret in freed memory", "[secrets]") {
  CHECK(leaks_of([] {
          std::array<std::uint8_t, 32> seed{};
          REQUIRE(prefixed_decode(kSecret, prefix::signer_secret, seed.size(), seed.data()) == Status::ok);
          CHECK(seed == kSeed);
          sodium_memzero(seed.data(), seed.size());
        }) == "");
  CHECK(leaks_of([] {
          std::vector<std::uint8_t> seed;
          REQUIRE(base58_decode(kSeedText, seed) == Status::ok);
          CHECK(seed.size() == kSeed.size());
          sodium_memzero(seed.data(), seed.size());
        }) == "");
  CHECK(leaks_of([] {
          std::string text = prefixed_encode(prefix::signer_secret, kSeed.data(), kSeed.size());
          CHECK(text == kSecret);
          sodium_memzero(&text[0], text.size());
        }) == "");
  CHECK(leaks_of([] {
          std::string text = base58_encode(kSeed.data(), kSeed.size());
          CHECK(text == kSeedText);
          sodium_memzero(&text[0], text.size());
        }) == "");
}

TEST_CASE("signing, envelopes, messages and auth tokens leave no secret in freed memory", "[secrets]") {
  CHECK(leaks_of([] {
          SecretInput secret;
          std::string signature;
          REQUIRE(sign_canonical(secret.view(), "\"hash_zX\"", signature) == Status::ok);
        }) == "");
  CHECK(leaks_of([] {
          std::array<std::uint8_t, sign_bytes> sig{};
          REQUIRE(sign_detached(reinterpret_cast<const std::uint8_t *>("m"), 1, kSeed.data(), sig.data()) == Status::ok);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          std::string body;
          REQUIRE(envelope_sign(secret.view(), kPieces, "co_zTest", kNow, {}, body) == Status::ok);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          ExpandedSigner signer;
          REQUIRE(sign_expand(secret.view(), signer) == Status::ok);
          std::string body;
          REQUIRE(envelope_sign(signer, kPieces, "co_zTest", kNow, {}, body) == Status::ok);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          std::string body;
          REQUIRE(message_sign(secret.view(), request_spec(), {}, body) == Status::ok);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          std::string token;
          REQUIRE(auth_token_create(secret.view(), "co_zAccount", kNow, token) == Status::ok);
        }) == "");
}

TEST_CASE("the C ABI leaves no secret in freed memory", "[secrets][abi]") {
  REQUIRE(jazzrpc_init() == 0);
  const auto output = [] {
    return std::string_view(reinterpret_cast<const char *>(jazzrpc_output_ptr()), jazzrpc_output_len());
  };
  CHECK(leaks_of([&] {
          REQUIRE(jazzrpc_sign_seed_keypair(kSeed.data()) > 0);
          CHECK(output().find(kSecret) != std::string_view::npos);
          jazzrpc_output_wipe();
        }) == "");
  CHECK(leaks_of([&] {
          SeededRandom seeded;
          REQUIRE(jazzrpc_sign_keypair() > 0);
          CHECK(output().find(kSecret) != std::string_view::npos);
          jazzrpc_output_wipe();
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          CHECK(jazzrpc_sign_signer_id(chars(secret.view()), secret.view().size()) > 0);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          const std::string_view json = R"({"b":1,"a":[true,null]})";
          CHECK(jazzrpc_sign_json(chars(secret.view()), secret.view().size(), json.data(), json.size()) > 0);
        }) == "");
  CHECK(leaks_of([] {
          std::array<std::uint8_t, 3> msg = {1, 2, 3};
          CHECK(jazzrpc_sign_detached(msg.data(), msg.size(), kSeed.data()) == static_cast<int>(sign_bytes));
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          const std::string_view id = "co_zTest";
          CHECK(jazzrpc_envelope_sign(chars(secret.view()), secret.view().size(), kPieces.data(), kPieces.size(), id.data(),
                                      id.size(), kNow) > 0);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          const std::string_view spec =
              R"({"kind":"request","url":"/api/book","workerId":"co_zWorker","nonce":"z1","value":{"eventId":"e1"},"createdAt":1700000000000})";
          CHECK(jazzrpc_message_sign(chars(secret.view()), secret.view().size(), spec.data(), spec.size()) > 0);
        }) == "");
  CHECK(leaks_of([] {
          // An open signer holds the expanded key until it is closed: then wiped.
          SecretInput secret;
          const double handle = jazzrpc_signer_open(chars(secret.view()), secret.view().size());
          REQUIRE(handle > 0);
          const std::string_view spec =
              R"({"kind":"response","url":"/api/book","workerId":"co_zWorker","inResponseTo":"co_zRequest","nonce":"z1","value":{},"createdAt":1700000000000})";
          CHECK(jazzrpc_signer_message_sign(handle, spec.data(), spec.size()) > 0);
          CHECK(jazzrpc_signer_close(handle) == 0);
        }) == "");
  CHECK(leaks_of([] {
          SecretInput secret;
          const std::string_view id = "co_zAccount";
          CHECK(jazzrpc_auth_token_create(chars(secret.view()), secret.view().size(), id.data(), id.size(), kNow) > 0);
        }) == "");
  jazzrpc_output_wipe();
}
