#include "replay_set.h"

#include <cmath>
#include <cstring>

#include <blake3.h>
#include <sodium.h>

namespace jazzrpc {
namespace {
constexpr std::size_t kMinCapacity = 1024;
}

ReplaySet::ReplaySet(double bucket_ms) : bucket_ms_(bucket_ms > 0 ? bucket_ms : 1000), slots_(kMinCapacity) {
  randombytes_buf(key_.data(), key_.size());
}

ReplaySet::Fingerprint ReplaySet::fingerprint_of(std::string_view id) const {
  std::uint8_t digest[16];
  blake3_hasher hasher;
  blake3_hasher_init_keyed(&hasher, key_.data());
  blake3_hasher_update(&hasher, id.data(), id.size());
  blake3_hasher_finalize(&hasher, digest, sizeof digest);
  Fingerprint fp;
  std::memcpy(&fp.hi, digest, 8);
  std::memcpy(&fp.lo, digest + 8, 8);
  fp.lo |= 1;  // keeps 0/0 free as the empty mark
  return fp;
}

std::size_t ReplaySet::slot_of(const Fingerprint &fp) const noexcept {
  return static_cast<std::size_t>(fp.hi) & (slots_.size() - 1);
}

bool ReplaySet::contains(const Fingerprint &fp) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slot_of(fp);; i = (i + 1) & mask) {
    if (slots_[i].empty()) return false;
    if (slots_[i] == fp) return true;
  }
}

void ReplaySet::insert(const Fingerprint &fp) {
  if ((count_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);  // load <= 3/4
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(fp);
  while (!slots_[i].empty()) i = (i + 1) & mask;
  slots_[i] = fp;
  ++count_;
}

void ReplaySet::erase(const Fingerprint &fp) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(fp);
  while (!(slots_[i] == fp)) {
    if (slots_[i].empty()) return;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: pull later members of the run into the hole.
  for (std::size_t j = (i + 1) & mask; !slots_[j].empty(); j = (j + 1) & mask) {
    const std::size_t home = slot_of(slots_[j]);
    // slots_[j] may move to i only if its home is not in the cyclic range (i, j].
    const bool home_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!home_between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Fingerprint{};
  --count_;
  if (slots_.size() > kMinCapacity && count_ * 8 < slots_.size()) rehash(slots_.size() / 2);
}

void ReplaySet::rehash(std::size_t capacity) {
  std::vector<Fingerprint> old(capacity);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const auto &fp : old) {
    if (fp.empty()) continue;
    std::size_t i = slot_of(fp);
    while (!slots_[i].empty()) i = (i + 1) & mask;
    slots_[i] = fp;
  }
}

void ReplaySet::drain_expired(double now) {
  while (!buckets_.empty()) {
    auto first = buckets_.begin();
    // An id is still valid at exactly expires_at (the window check is expires_at < now).
    if (static_cast<double>(first->first) * bucket_ms_ >= now) return;
    for (const auto &fp : first->second) {
      if (released_.empty()) {  // the common case: an id with one entry, this one
        erase(fp);
        continue;
      }
      const auto it = released_.find(fp);
      if (it == released_.end()) {
        erase(fp);
        continue;
      }
      // A released id: only the entry of the claim that holds it now erases it; an entry
      // of a released claim is skipped, so a re-claim is held until its own expiresAt.
      Released &r = it->second;
      if (r.held && r.live_bucket == first->first) {
        erase(fp);
        r.held = false;
      }
      if (--r.pending == 0) released_.erase(it);
    }
    buckets_.erase(first);
  }
}

ReplaySet::Claim ReplaySet::claim(std::string_view id, double expires_at, double now) {
  // Times are epoch milliseconds; beyond 2^53 they are not times (and would overflow a bucket key).
  constexpr double kMaxTime = 9007199254740992.0;
  if (!(std::fabs(expires_at) < kMaxTime) || !(std::fabs(now) < kMaxTime)) return Claim::invalid;
  drain_expired(now);
  // Expired exactly as the envelope window says: only once expires_at < now.
  if (expires_at < now) return Claim::expired;  // refused, and nothing is stored
  const Fingerprint fp = fingerprint_of(id);
  if (contains(fp)) return Claim::seen;
  // Rounded up: the bucket is drained only once its end, >= expires_at, has passed.
  const auto bucket = static_cast<std::int64_t>(std::ceil(expires_at / bucket_ms_));
  insert(fp);
  buckets_[bucket].push_back(fp);
  if (!released_.empty()) {
    const auto it = released_.find(fp);
    if (it != released_.end()) {
      it->second.live_bucket = bucket;
      it->second.held = true;
      ++it->second.pending;
    }
  }
  return Claim::first;
}

bool ReplaySet::release(std::string_view id) {
  const Fingerprint fp = fingerprint_of(id);
  if (!contains(fp)) return false;
  erase(fp);
  // Its bucket entry stays: the id is tracked until its entries are drained. An id not
  // tracked yet has exactly one, that of the claim just released.
  auto it = released_.find(fp);
  if (it == released_.end()) it = released_.emplace(fp, Released{0, false, 1}).first;
  it->second.held = false;
  return true;
}

std::size_t ReplaySet::bytes() const noexcept {
  // A map node: three pointers, colour, key, and the vector header (estimated as 64 bytes).
  constexpr std::size_t kNodeBytes = 64;
  // A released id's node: three pointers, colour, key and value (estimated as 64 bytes).
  constexpr std::size_t kReleasedBytes = 64;
  std::size_t total = sizeof(*this) + slots_.capacity() * sizeof(Fingerprint);
  for (const auto &bucket : buckets_) total += kNodeBytes + bucket.second.capacity() * sizeof(Fingerprint);
  total += released_.size() * kReleasedBytes;
  return total;
}

}  // namespace jazzrpc
