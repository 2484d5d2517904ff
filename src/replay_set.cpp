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

const ReplaySet::Slot *ReplaySet::find(const Fingerprint &fp) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slot_of(fp);; i = (i + 1) & mask) {
    if (slots_[i].fp.empty()) return nullptr;
    if (slots_[i].fp == fp) return &slots_[i];
  }
}

void ReplaySet::insert(const Fingerprint &fp, std::int64_t bucket) {
  if ((count_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);  // load <= 3/4
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(fp);
  while (!slots_[i].fp.empty()) i = (i + 1) & mask;
  slots_[i] = Slot{fp, bucket};
  ++count_;
}

void ReplaySet::erase(const Fingerprint &fp) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot_of(fp);
  while (!(slots_[i].fp == fp)) {
    if (slots_[i].fp.empty()) return;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: pull later members of the run into the hole.
  for (std::size_t j = (i + 1) & mask; !slots_[j].fp.empty(); j = (j + 1) & mask) {
    const std::size_t home = slot_of(slots_[j].fp);
    // slots_[j] may move to i only if its home is not in the cyclic range (i, j].
    const bool home_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!home_between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  --count_;
  if (slots_.size() > kMinCapacity && count_ * 8 < slots_.size()) rehash(slots_.size() / 2);
}

void ReplaySet::rehash(std::size_t capacity) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const auto &slot : old) {
    if (slot.fp.empty()) continue;
    std::size_t i = slot_of(slot.fp);
    while (!slots_[i].fp.empty()) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void ReplaySet::drain_expired(double now) {
  while (!buckets_.empty()) {
    auto first = buckets_.begin();
    // An id is still valid at exactly expires_at (the window check is expires_at < now).
    if (static_cast<double>(first->first) * bucket_ms_ >= now) return;
    // Only ids still held by this bucket's claim: an entry of a released claim whose id
    // was claimed again names another bucket in its slot, and that claim stays held.
    for (const auto &fp : first->second) {
      const Slot *slot = find(fp);
      if (slot != nullptr && slot->bucket == first->first) erase(fp);
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
  if (find(fp) != nullptr) return Claim::seen;
  // Rounded up: the bucket is drained only once its end, >= expires_at, has passed.
  const auto bucket = static_cast<std::int64_t>(std::ceil(expires_at / bucket_ms_));
  insert(fp, bucket);
  buckets_[bucket].push_back(fp);
  return Claim::first;
}

bool ReplaySet::release(std::string_view id) {
  const Fingerprint fp = fingerprint_of(id);
  if (find(fp) == nullptr) return false;
  erase(fp);
  return true;
}

std::size_t ReplaySet::bytes() const noexcept {
  // A map node: three pointers, colour, key, and the vector header (estimated as 64 bytes).
  constexpr std::size_t kNodeBytes = 64;
  std::size_t total = sizeof(*this) + slots_.capacity() * sizeof(Slot);
  for (const auto &bucket : buckets_) total += kNodeBytes + bucket.second.capacity() * sizeof(Fingerprint);
  return total;
}

}  // namespace jazzrpc
