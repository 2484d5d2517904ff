// The replay set: which request ids have been claimed and must stay refused
// until they expire.
//
// Each id is stored as a 128-bit BLAKE3 fingerprint in an open-addressing table
// (linear probing, backward-shift deletion), and also listed in the bucket of
// its expiry time (buckets of `bucket_ms`). Buckets whose end has passed are
// drained on each claim, so every id is inserted once and removed once:
// amortized O(1), and memory follows what one window holds. An id is
// remembered at least until its expiresAt and at most bucket_ms longer.
// A released id leaves its bucket entry behind. Such an id is tracked on the side
// (only released ids, which are rare: 16-byte slots stay as they are) with the
// number of its bucket entries still pending and the bucket of the claim that holds
// it now, if any: draining an entry of another bucket skips it, so a re-claim is
// held until its own expiresAt, earlier or later than the released claim's.
//
// The fingerprint is keyed BLAKE3, with a random key of each set: anyone can sign
// requests whose ids they choose, and with an unkeyed hash they could grind ids whose
// slots fall together, so that linear probing turns quadratic in their number.
#ifndef JAZZRPC_REPLAY_SET_H
#define JAZZRPC_REPLAY_SET_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

namespace jazzrpc {

class ReplaySet {
 public:
  explicit ReplaySet(double bucket_ms = 1000);

  enum class Claim { first, seen, expired, invalid };
  // first:   the id was not live and is now held until expires_at.
  // seen:    the id is live (claimed before and not yet expired).
  // expired: expires_at < now (as the envelope window); refused and not stored.
  // invalid: a time that is not finite or beyond 2^53 ms.
  Claim claim(std::string_view id, double expires_at, double now);
  // Forgets a live id, so that it can be claimed again (a claim whose handler never
  // started). True when the id was live. Its bucket entry stays; draining it later
  // erases the id only if the claim holding it then is the one of that bucket, so a
  // re-claim is held until its own expiresAt (issue 17.4).
  bool release(std::string_view id);

  std::size_t count() const noexcept { return count_; }
  // Bytes held for the table, the bucket lists and their nodes.
  std::size_t bytes() const noexcept;

 private:
  struct Fingerprint {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;  // never 0 for a stored id: 0/0 marks an empty slot
    bool empty() const noexcept { return hi == 0 && lo == 0; }
    bool operator==(const Fingerprint &o) const noexcept { return hi == o.hi && lo == o.lo; }
  };

  struct FingerprintLess {
    bool operator()(const Fingerprint &a, const Fingerprint &b) const noexcept {
      return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
    }
  };
  // An id released at least once, while bucket entries of it are pending.
  struct Released {
    std::int64_t live_bucket = 0;  // the bucket of the claim that holds it, if held
    bool held = false;
    std::uint32_t pending = 0;  // its entries still in buckets_
  };

  Fingerprint fingerprint_of(std::string_view id) const;
  std::size_t slot_of(const Fingerprint &fp) const noexcept;
  bool contains(const Fingerprint &fp) const noexcept;
  void insert(const Fingerprint &fp);
  void erase(const Fingerprint &fp);
  void rehash(std::size_t capacity);
  void drain_expired(double now);

  std::array<std::uint8_t, 32> key_{};  // randombytes_buf: the host's randomness in the wasm build
  double bucket_ms_;
  std::vector<Fingerprint> slots_;
  std::size_t count_ = 0;
  std::map<std::int64_t, std::vector<Fingerprint>> buckets_;  // bucket end (in bucket units) -> ids
  std::map<Fingerprint, Released, FingerprintLess> released_;
};

}  // namespace jazzrpc

#endif
