#include "store/native_histogram.hpp"

#include <cmath>

namespace nq::metrics {

NativeIndexer::NativeIndexer(int32_t schema)
    : schema_(std::clamp(schema, kMinNativeSchema, kMaxNativeSchema)) {
  if (schema_ <= 0) return;
  per_power_ = 1u << schema_;
  for (uint32_t i = 0; i < per_power_; ++i) {
    // 2^(i/2^schema) in [1, 2), rounded once to a double from long double.
    const auto bound = static_cast<double>(
        std::exp2(static_cast<long double>(i) / static_cast<long double>(per_power_)));
    mantissa_bounds_[i] = std::bit_cast<uint64_t>(bound) & ((uint64_t{1} << 52) - 1);
  }
}

double NativeIndexer::upper_bound(int32_t index) const noexcept {
  if (schema_ <= 0) return std::ldexp(1.0, index * (1 << -schema_));
  const auto per_power = static_cast<int32_t>(per_power_);
  // floor division: the power of two, and the bound inside it.
  const int32_t power = index >= 0 ? index / per_power : -((-index + per_power - 1) / per_power);
  const auto within = static_cast<uint32_t>(index - power * per_power);
  const double in_power =
      std::bit_cast<double>(std::bit_cast<uint64_t>(1.0) | mantissa_bounds_[within]);
  return std::ldexp(in_power, power);
}

void reduce_native_buckets(NativeHistogram& buckets, uint32_t max_buckets) {
  while (max_buckets != 0 && buckets.index.size() > max_buckets &&
         buckets.schema > kMinNativeSchema) {
    size_t out = 0;
    for (size_t i = 0; i < buckets.index.size(); ++i) {
      const int32_t merged =
          reduce_native_index(buckets.index[i], buckets.schema, buckets.schema - 1);
      if (out != 0 && buckets.index[out - 1] == merged) {
        buckets.count[out - 1] += buckets.count[i];
        continue;
      }
      buckets.index[out] = merged;
      buckets.count[out] = buckets.count[i];
      ++out;
    }
    buckets.index.resize(out);
    buckets.count.resize(out);
    --buckets.schema;
  }
}

}  // namespace nq::metrics
