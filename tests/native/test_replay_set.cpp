#include <catch2/catch.hpp>

#include <string>

#include "replay_set.h"

using namespace jazzrpc;
using Claim = ReplaySet::Claim;

TEST_CASE("an id is claimed once until it expires", "[replay]") {
  ReplaySet set;
  const double now = 1'000'000;
  CHECK(set.claim("co_zA", now + 60'000, now) == Claim::first);
  CHECK(set.claim("co_zA", now + 60'000, now + 1) == Claim::seen);
  CHECK(set.claim("co_zA", now + 90'000, now + 59'999) == Claim::seen);  // a later expiry changes nothing
  CHECK(set.claim("co_zB", now + 60'000, now) == Claim::first);
  CHECK(set.count() == 2);
  // Remembered at least until expiresAt, forgotten within one bucket (1 s) after it.
  CHECK(set.claim("co_zA", now + 120'000, now + 60'000) == Claim::seen);
  CHECK(set.claim("co_zA", now + 121'001, now + 61'001) == Claim::first);
  CHECK(set.count() == 1);
}

TEST_CASE("claims that cannot be held are refused", "[replay]") {
  ReplaySet set;
  CHECK(set.claim("co_zA", 999, 1000) == Claim::expired);  // already expired: refused, not stored
  CHECK(set.count() == 0);
  CHECK(set.claim("co_zB", 1000, 1000) == Claim::first);  // valid at exactly expires_at, as the window
  CHECK(set.claim("co_zB", 1000, 1000) == Claim::seen);
  set = ReplaySet();
  CHECK(set.count() == 0);
  CHECK(set.claim("co_zA", std::nan(""), 0) == Claim::invalid);
  CHECK(set.claim("co_zA", 1e300, 0) == Claim::invalid);
  CHECK(set.claim("co_zA", 1000, -1e300) == Claim::invalid);
  CHECK(set.count() == 0);
}

TEST_CASE("ids differing in one byte are different ids", "[replay]") {
  ReplaySet set;
  CHECK(set.claim(std::string("a\0b", 3), 10'000, 0) == Claim::first);
  CHECK(set.claim(std::string("a\0c", 3), 10'000, 0) == Claim::first);
  CHECK(set.claim("", 10'000, 0) == Claim::first);
  CHECK(set.claim("", 10'000, 0) == Claim::seen);
}

TEST_CASE("memory follows the window: 1,000,000 ids over three windows", "[replay][memory]") {
  ReplaySet set;
  const double window = 60'000;
  const int per_ms = 5;  // 5 ids per millisecond: 300,000 live ids per window
  std::size_t peak_count = 0, peak_bytes = 0;
  double now = 1'700'000'000'000.0;
  for (int i = 0; i < 1'000'000; ++i) {
    if (i % per_ms == 0) now += 1;
    REQUIRE(set.claim("co_z" + std::to_string(i), now + window, now) == Claim::first);
    if (i % 10'000 == 0) {
      peak_count = std::max(peak_count, set.count());
      peak_bytes = std::max(peak_bytes, set.bytes());
    }
  }
  // Never more than one window plus one bucket of ids, whatever the total.
  const std::size_t window_ids = static_cast<std::size_t>(window) * per_ms;
  CHECK(peak_count <= window_ids + 1000 * per_ms);
  CHECK(set.count() >= window_ids - 1);
  const double bytes_per_id = static_cast<double>(set.bytes()) / static_cast<double>(set.count());
  WARN("replay set: " << set.count() << " live ids, " << set.bytes() << " bytes, " << bytes_per_id
                      << " bytes per live id; peak " << peak_bytes << " bytes");
  CHECK(bytes_per_id <= 96);
  // Everything leaves once the window has passed, and the table shrinks back.
  CHECK(set.claim("co_zlast", now + 2 * window + 2000, now + window + 2000) == Claim::first);
  CHECK(set.count() == 1);
  CHECK(set.bytes() < 64 * 1024);
}

TEST_CASE("deleting from long probe runs keeps every live id findable", "[replay]") {
  // Many ids expiring at different times interleave in the table; after removals
  // each survivor must still be seen.
  ReplaySet set(1);
  for (int i = 0; i < 20'000; ++i) {
    REQUIRE(set.claim("id" + std::to_string(i), 1000 + (i % 2 == 0 ? 10 : 5000), 0) == Claim::first);
  }
  CHECK(set.claim("trigger", 6000, 1011) == Claim::first);  // drains the even ones
  CHECK(set.count() == 10'001);
  for (int i = 1; i < 20'000; i += 2) REQUIRE(set.claim("id" + std::to_string(i), 7000, 1011) == Claim::seen);
  for (int i = 0; i < 20'000; i += 2) REQUIRE(set.claim("id" + std::to_string(i), 7000, 1011) == Claim::first);
}

TEST_CASE("a released id can be claimed again, and still expires with its window", "[replay]") {
  ReplaySet set;
  const double now = 1'000'000;
  CHECK_FALSE(set.release("co_zA"));  // never claimed
  CHECK(set.claim("co_zA", now + 60'000, now) == Claim::first);
  CHECK(set.claim("co_zB", now + 60'000, now) == Claim::first);
  CHECK(set.release("co_zA"));
  CHECK_FALSE(set.release("co_zA"));  // released once
  CHECK(set.count() == 1);
  CHECK(set.claim("co_zB", now + 60'000, now + 1) == Claim::seen);  // the others stay claimed
  CHECK(set.claim("co_zA", now + 60'000, now + 2) == Claim::first);
  CHECK(set.claim("co_zA", now + 60'000, now + 3) == Claim::seen);
  CHECK(set.count() == 2);
  // Both bucket entries of co_zA drain with the window; the count never goes below zero.
  CHECK(set.claim("co_zC", now + 200'000, now + 62'000) == Claim::first);
  CHECK(set.count() == 1);
  CHECK(set.claim("co_zA", now + 200'000, now + 62'001) == Claim::first);
  CHECK(set.count() == 2);
}

TEST_CASE("a re-claim after release is held until its own, later expiry", "[replay]") {
  // Issue 17.4: the released claim's bucket entry must not forget the re-claim.
  ReplaySet set;
  const double t = 1'000'000;
  CHECK(set.claim("co_zA", t + 60'000, t) == Claim::first);
  CHECK(set.release("co_zA"));
  CHECK(set.claim("co_zA", t + 120'000, t + 1) == Claim::first);
  CHECK(set.claim("co_zA", t + 120'000, t + 90'000) == Claim::seen);  // past the first expiry: still held
  CHECK(set.count() == 1);
  CHECK(set.claim("co_zA", t + 200'000, t + 120'000) == Claim::seen);  // held at exactly its expiresAt
  CHECK(set.claim("co_zA", t + 200'000, t + 121'001) == Claim::first);  // then forgotten within a bucket
  // An earlier re-claim: held until its own expiry, not the released one's.
  CHECK(set.claim("co_zB", t + 300'000, t + 130'000) == Claim::first);
  CHECK(set.release("co_zB"));
  CHECK(set.claim("co_zB", t + 140'000, t + 130'001) == Claim::first);
  CHECK(set.claim("co_zB", t + 300'000, t + 139'000) == Claim::seen);
  CHECK(set.claim("co_zB", t + 300'000, t + 141'001) == Claim::first);
}

TEST_CASE("released ids: exact over many release cycles, and tracked only while pending", "[replay]") {
  ReplaySet set;
  const std::size_t empty_bytes = set.bytes();
  for (int round = 0; round < 2; ++round) {
    const double t = 1'000'000 + round * 1'000'000;
    // 999 ids, each claimed (60 s), released and claimed again with an earlier (30 s), a
    // later (90 s) or the same expiry; in round 0 released and claimed once more.
    for (int i = 0; i < 999; ++i) {
      const std::string id = "co_zR" + std::to_string(i);
      const double again = i % 3 == 0 ? t + 30'000 : i % 3 == 1 ? t + 90'000 : t + 60'000;
      REQUIRE(set.claim(id, t + 60'000, t) == Claim::first);
      REQUIRE(set.release(id));
      REQUIRE(set.claim(id, again, t) == Claim::first);
      if (round == 1) continue;
      REQUIRE(set.release(id));
      REQUIRE(set.claim(id, again, t) == Claim::first);
    }
    CHECK(set.count() == 999);
    // Each id is held until its own last expiry, and forgotten within a bucket after it.
    const auto held = [&](double now) {
      std::size_t n = 0;
      for (int i = 0; i < 999; ++i) n += set.claim("co_zR" + std::to_string(i), now + 500'000, now) == Claim::seen;
      return n;
    };
    CHECK(held(t + 30'000) == 999);
    CHECK(set.count() == 999);
    CHECK(held(t + 31'001) == 666);  // the 30 s ones are gone (and claimed again, to t + 531 s)
    CHECK(held(t + 60'000) == 999);
    CHECK(held(t + 61'001) == 999 - 333);  // the 60 s ones are gone now
    CHECK(held(t + 90'000) == 999);
    CHECK(held(t + 91'001) == 999 - 333);  // and the 90 s ones
    for (int i = 0; i < 999; ++i) REQUIRE(set.release("co_zR" + std::to_string(i)));
    CHECK(set.count() == 0);
    // Every entry drained: no trace of the releases is left.
    CHECK(set.claim("co_zTick", t + 900'000, t + 900'000) == Claim::first);
    CHECK(set.release("co_zTick"));
  }
  CHECK(set.claim("co_zEnd", 10'000'000, 10'000'000) == Claim::first);
  CHECK(set.count() == 1);
  // Only the one id's entry and the co_zTick release (pending until 2.9e6 + 1 s) are left.
  CHECK(set.bytes() <= empty_bytes + 2 * (64 + 16) + 64);
}
