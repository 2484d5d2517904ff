// The stateful half of the C ABI (wasm/abi.cpp, built natively): open signers and
// replay sets, driven by a program the input encodes, against an exact model.
// Invariants, for any program:
//  - a signer handle answers (id, sign, close) only while it is open: a closed
//    handle, one of a slot reused since, and any other number (a forgery) are refused
//    with INVALID_ARGUMENT; an open one names its own key and signs with it;
//  - a replay set holds an id from a claim that returned 1 until that claim's
//    expiresAt, rounded up to the set's bucket (1 s), and not a bucket longer; release
//    forgets it at once; claim returns 1 exactly when the model has the id free;
//    the set's count is the model's.
// Each input opens and closes its own signers and creates and destroys its own
// replay set; handles of earlier inputs (kept, a bounded list) stay refused.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <vector>

#include "fuzz_common.h"
#include "jazzrpc_abi.h"

using namespace jazzrpc;

namespace {

// The handle type of the ABI (an int before issue 17.5, a double after).
using Handle = decltype(jazzrpc_signer_open(nullptr, 0));

constexpr int kInvalidArgument = -static_cast<int>(Status::invalid_argument);
constexpr double kBucketMs = 1000;  // ReplaySet's default bucket
constexpr std::size_t kKeys = 3;
constexpr std::size_t kIds = 6;
constexpr std::size_t kMaxStale = 4096;

struct Key {
  std::string secret;
  std::string signer_id;
  std::string account_id;
};

std::vector<Key> &keys() {
  static auto *list = [] {
    auto *out = new std::vector<Key>();
    for (std::size_t k = 0; k < kKeys; ++k) {
      std::array<std::uint8_t, sign_seed_bytes> seed{};
      seed.fill(static_cast<std::uint8_t>(0x40 + k));
      SignerKeypair keypair;
      std::string account;
      if (sign_seed_keypair(seed.data(), keypair) != Status::ok ||
          account_id_from_signer(keypair.signer_id, account) != Status::ok) {
        std::abort();
      }
      out->push_back({keypair.signer_secret, keypair.signer_id, account});
    }
    return out;
  }();
  return *list;
}

// Handles closed by earlier inputs: each must stay refused for the life of the process.
std::vector<Handle> &stale_handles() {
  static auto *list = new std::vector<Handle>();
  return *list;
}

std::string output() { return std::string(reinterpret_cast<const char *>(jazzrpc_output_ptr()), jazzrpc_output_len()); }

struct OpenSigner {
  Handle handle;
  std::size_t key;
  bool open;
};

std::string spec_for(const Key &worker) {
  return "{\"kind\":\"response\",\"url\":\"/fuzz\",\"workerId\":\"" + worker.account_id +
         "\",\"inResponseTo\":\"co_zFuzz\",\"nonce\":\"z1\",\"value\":{\"n\":1},\"createdAt\":1700000000000}";
}

// What a handle that must be refused does: every use is refused.
void check_refused(Handle h) {
  FUZZ_CHECK(jazzrpc_signer_id(h) == kInvalidArgument, "a closed or forged handle names a signer");
  const std::string spec = spec_for(keys()[0]);
  FUZZ_CHECK(jazzrpc_signer_message_sign(h, spec.data(), spec.size()) == kInvalidArgument,
             "a closed or forged handle signs");
}

void check_open(const OpenSigner &s) {
  const Key &key = keys()[s.key];
  FUZZ_CHECK(jazzrpc_signer_id(s.handle) == static_cast<int>(key.signer_id.size()), "an open handle refused");
  FUZZ_CHECK(output() == key.signer_id, "an open handle names another key", output());
}

void check_sign(const OpenSigner &s) {
  const Key &key = keys()[s.key];
  const std::string spec = spec_for(key);
  const int rc = jazzrpc_signer_message_sign(s.handle, spec.data(), spec.size());
  FUZZ_CHECK(rc > 0, "an open handle does not sign");
  const std::string body = output();
  MessageSpec expected;
  expected.kind = MessageKind::response;
  expected.url = "/fuzz";
  expected.worker_id = key.account_id;
  expected.in_response_to = "co_zFuzz";
  MessageInfo info;
  FUZZ_CHECK(message_verify(body, 1700000000000.0, EnvelopeOptions{}, expected, info) == Status::ok,
             "what an open handle signs does not verify as its key's", body);
}

// A handle nobody was given: near a real one, or any number the input names.
Handle forged(FuzzedDataProvider &in, const std::vector<OpenSigner> &signers) {
  const auto base = static_cast<std::int64_t>(
      signers.empty() ? Handle{1} : signers[in.ConsumeIntegralInRange<std::size_t>(0, signers.size() - 1)].handle);
  // Integer arithmetic, then converted: an int Handle wraps (implementation-defined), never overflows.
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return static_cast<Handle>(base + in.ConsumeIntegralInRange<std::int64_t>(-70000, 70000));
    case 1: return static_cast<Handle>(in.ConsumeIntegral<std::int32_t>());
    case 2: return static_cast<Handle>(static_cast<double>(base) + 0.5);  // not an integer
    default: return static_cast<Handle>(base * 65536 + 1);
  }
}

bool is_live(Handle h, const std::vector<OpenSigner> &signers) {
  return std::any_of(signers.begin(), signers.end(), [h](const OpenSigner &s) { return s.open && s.handle == h; });
}

struct ModelId {
  bool held = false;
  std::int64_t bucket = 0;  // ceil(expiresAt / bucket) of the claim that holds it
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (jazzrpc_init() != 0) std::abort();
  keys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<OpenSigner> signers;
  const int set = jazzrpc_replay_create();
  FUZZ_CHECK(set > 0, "replay_create");
  std::array<ModelId, kIds> ids{};
  double now = 1'700'000'000'000.0;
  int steps = 0;

  while (in.remaining_bytes() > 0 && steps++ < 256) {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {  // open a signer: a key, or a secret that is not one
        const std::size_t k = in.ConsumeIntegralInRange<std::size_t>(0, kKeys);
        if (signers.size() >= 16) break;
        if (k == kKeys) {
          const std::string bad = "signerSecret_z" + in.ConsumeRandomLengthString(60);
          const Handle h = jazzrpc_signer_open(bad.data(), bad.size());
          if (h > 0) {  // decodes to 32 bytes: a key after all
            signers.push_back({h, 0, false});
            FUZZ_CHECK(jazzrpc_signer_close(h) == 0);
            stale_handles().push_back(h);
          }
          break;
        }
        const Handle h = jazzrpc_signer_open(keys()[k].secret.data(), keys()[k].secret.size());
        FUZZ_CHECK(h > 0, "signer_open");
        FUZZ_CHECK(!is_live(h, signers), "an open handle given twice");
        signers.push_back({h, k, true});
        break;
      }
      case 1: {  // close one, open or not
        if (signers.empty()) break;
        OpenSigner &s = signers[in.ConsumeIntegralInRange<std::size_t>(0, signers.size() - 1)];
        const int rc = jazzrpc_signer_close(s.handle);
        if (s.open) {
          FUZZ_CHECK(rc == 0, "closing an open signer");
          s.open = false;
          if (stale_handles().size() < kMaxStale) stale_handles().push_back(s.handle);
        } else {
          FUZZ_CHECK(rc == kInvalidArgument, "closing a closed signer twice");
        }
        break;
      }
      case 2:
      case 3: {  // use one: open ones answer as their key, closed ones are refused
        if (signers.empty()) break;
        const OpenSigner &s = signers[in.ConsumeIntegralInRange<std::size_t>(0, signers.size() - 1)];
        if (!s.open) {
          if (!is_live(s.handle, signers)) check_refused(s.handle);
        } else if (in.ConsumeBool()) {
          check_open(s);
        } else {
          check_sign(s);
        }
        break;
      }
      case 4: {  // churn one key's slot: open and close it many times, then try every stale handle
        const std::size_t k = in.ConsumeIntegralInRange<std::size_t>(0, kKeys - 1);
        const int times = in.ConsumeIntegralInRange<int>(1, 64);
        for (int i = 0; i < times; ++i) {
          const Handle h = jazzrpc_signer_open(keys()[k].secret.data(), keys()[k].secret.size());
          FUZZ_CHECK(h > 0, "signer_open");
          FUZZ_CHECK(jazzrpc_signer_close(h) == 0);
          if (stale_handles().size() < kMaxStale) stale_handles().push_back(h);
        }
        for (const Handle h : stale_handles()) {
          if (!is_live(h, signers)) FUZZ_CHECK(jazzrpc_signer_id(h) == kInvalidArgument, "a stale handle names a signer again");
        }
        break;
      }
      case 5: {  // a forged handle
        const Handle h = forged(in, signers);
        if (!is_live(h, signers)) {
          check_refused(h);
          FUZZ_CHECK(jazzrpc_signer_close(h) == kInvalidArgument, "a forged handle closes a signer");
        }
        break;
      }
      case 6:
      case 7:
      case 8: {  // claim an id at a later time, with an expiry around it
        const std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, kIds - 1);
        now += 250.0 * in.ConsumeIntegralInRange<int>(0, 200);
        const int kind = in.ConsumeIntegralInRange<int>(0, 15);
        double expires = now + 250.0 * in.ConsumeIntegralInRange<int>(-8, 600) + in.ConsumeIntegralInRange<int>(0, 3);
        if (kind == 15) expires = std::nan("");
        const std::string id = "co_zId" + std::to_string(i);
        const int rc = jazzrpc_replay_claim(set, id.data(), id.size(), expires, now);
        if (kind == 15) {
          FUZZ_CHECK(rc == kInvalidArgument, "a NaN expiry accepted");
          break;
        }
        // The model drains first, exactly as the set: a bucket whose end has passed.
        for (auto &m : ids) {
          if (m.held && static_cast<double>(m.bucket) * kBucketMs < now) m.held = false;
        }
        ModelId &m = ids[i];
        int expected;
        if (expires < now || m.held) {
          expected = 0;
        } else {
          expected = 1;
          m.held = true;
          m.bucket = static_cast<std::int64_t>(std::ceil(expires / kBucketMs));
        }
        FUZZ_CHECK(rc == expected, rc == 0 ? "an id claimed twice is refused: ok; this one was free and refused"
                                           : "an id claimed again while held (released claim's expiry forgot a re-claim?)");
        break;
      }
      case 9: {  // release an id
        const std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, kIds - 1);
        const std::string id = "co_zId" + std::to_string(i);
        const int rc = jazzrpc_replay_release(set, id.data(), id.size());
        FUZZ_CHECK(rc == (ids[i].held ? 1 : 0), "release");
        ids[i].held = false;
        break;
      }
      default: break;
    }
    std::size_t held = 0;
    for (const auto &m : ids) held += m.held ? 1 : 0;
    FUZZ_CHECK(jazzrpc_replay_count(set) == static_cast<double>(held), "count");
  }

  for (auto &s : signers) {
    if (!s.open) continue;
    FUZZ_CHECK(jazzrpc_signer_close(s.handle) == 0);
    if (stale_handles().size() < kMaxStale) stale_handles().push_back(s.handle);
  }
  FUZZ_CHECK(jazzrpc_replay_destroy(set) == 0);
  jazzrpc_output_wipe();
  return 0;
}
