// Native (sparse, exponential) histogram buckets, as Prometheus defines them:
// at schema s the bucket of index i holds the values in
// (2^((i-1)/2^s), 2^(i/2^s)], so each power of two is split into 2^s buckets
// (schema 3: 8 buckets, about 9 % apart); values at most the zero threshold
// go to the zero bucket.
//
// NativeIndexer finds a value's bucket from the bits of the double, as
// client_golang does with math.Frexp and its nativeHistogramBounds: the
// exponent gives the power of two, and the 52 mantissa bits are compared with
// the (at most 256) mantissas of the bucket bounds inside one power of two
// (a binary search of at most 8 steps). No log, no allocation, O(1).
//
// reduce_native_buckets() is the bucket budget: it merges neighbouring
// buckets (schema s to s-1: buckets 2j-1 and 2j become j) until the populated
// buckets are at most the budget, as client_golang's
// NativeHistogramMaxBucketNumber does.
//
// Thread-safety: a NativeIndexer is immutable after construction; index() may
// run on any thread. The free functions are pure.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "store/collected_metrics.hpp"
#include "store/store_options.hpp"

namespace nq::metrics {

class NativeIndexer {
 public:
  explicit NativeIndexer(int32_t schema);

  int32_t schema() const noexcept { return schema_; }

  // The bucket index of v > 0 (finite). Subnormal values are handled too.
  int32_t index(double v) const noexcept {
    constexpr uint64_t kMantissaMask = (uint64_t{1} << 52) - 1;
    const uint64_t bits = std::bit_cast<uint64_t>(v);
    uint64_t mantissa = bits & kMantissaMask;
    // v = frac * 2^exp with frac in [0.5, 1), as frexp: frac's mantissa bits
    // are v's.
    int32_t exp = static_cast<int32_t>((bits >> 52) & 0x7ff) - 1022;
    if (exp == -1022) {  // subnormal: normalize the mantissa
      const int width = std::bit_width(mantissa);
      exp = width - 1074;
      mantissa = (mantissa << (53 - width)) & kMantissaMask;
    }
    if (schema_ > 0) {
      // Bounds inside [0.5, 1) below frac: lower_bound as Go's SearchFloat64s.
      const uint64_t* end = mantissa_bounds_.data() + per_power_;
      const auto below = static_cast<int32_t>(
          std::lower_bound(mantissa_bounds_.data(), end, mantissa) - mantissa_bounds_.data());
      return below + (exp - 1) * static_cast<int32_t>(per_power_);
    }
    int32_t key = mantissa == 0 ? exp - 1 : exp;  // an exact power of two is an upper bound
    const int32_t shift = -schema_;
    return (key + (1 << shift) - 1) >> shift;  // ceil(key / 2^shift)
  }

  // The upper bound of bucket `index`: 2^(index / 2^schema).
  double upper_bound(int32_t index) const noexcept;

 private:
  int32_t schema_;
  uint32_t per_power_ = 1;  // buckets per power of two when schema > 0
  // Mantissa bits of 2^(i/2^schema) for i in [0, per_power_).
  std::array<uint64_t, 1u << kMaxNativeSchema> mantissa_bounds_{};
};

// The index of bucket `index` of schema `from` at the lower schema `to`.
constexpr int32_t reduce_native_index(int32_t index, int32_t from, int32_t to) {
  const int32_t shift = from - to;
  return (index + (1 << shift) - 1) >> shift;  // ceil(index / 2^shift)
}

// Lowers `buckets` one schema at a time (not below kMinNativeSchema) until
// at most `max_buckets` are populated (0: no budget). In place.
void reduce_native_buckets(NativeHistogram& buckets, uint32_t max_buckets);

}  // namespace nq::metrics
