// exporter-toolkit's rate_limit: a token bucket of `burst` requests that
// refills one request per `interval`, shared by every connection of the
// listener (what golang.org/x/time/rate's Limiter.Allow does there). A
// request beyond it is answered 429.
//
// Thread-safety: lock-free; try_take() may be called from every serving
// thread at once. The whole state is one atomic: the time at which the
// bucket is full again (the "theoretical arrival time" of GCRA, the
// generic cell rate algorithm). Taking a request moves it one interval
// later, by compare-and-swap, unless that would put it further ahead of now
// than the bucket holds.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

#include "http/web_config.hpp"

namespace nq::metrics::serving {

class RateLimiter {
 public:
  explicit RateLimiter(const RateLimit& limit)
      : limit_(limit),
        interval_ns_(limit.interval.count()),
        capacity_ns_(saturating_product(interval_ns_, limit.burst)) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  const RateLimit& limit() const noexcept { return limit_; }

  // True when a request may be served at `now` (and takes it from the bucket).
  bool try_take(std::chrono::steady_clock::time_point now) noexcept {
    const int64_t now_ns = now.time_since_epoch().count();
    int64_t full_at = full_at_ns_.load(std::memory_order_relaxed);
    for (;;) {
      const int64_t next = saturating_sum(std::max(full_at, now_ns), interval_ns_);
      if (next - now_ns > capacity_ns_) return false;
      if (full_at_ns_.compare_exchange_weak(full_at, next, std::memory_order_relaxed)) return true;
    }
  }

 private:
  static_assert(std::is_same_v<std::chrono::steady_clock::duration, std::chrono::nanoseconds>);
  static constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  static int64_t saturating_product(int64_t a, uint32_t b) {
    return b != 0 && a > kMax / b ? kMax : a * b;
  }
  static int64_t saturating_sum(int64_t a, int64_t b) { return a > kMax - b ? kMax : a + b; }

  const RateLimit limit_;
  const int64_t interval_ns_;
  const int64_t capacity_ns_;
  std::atomic<int64_t> full_at_ns_{0};  // steady_clock; 0: full long ago
};

}  // namespace nq::metrics::serving
