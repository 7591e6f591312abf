// What a MetricStore is built with: the settings' part of its layout.
//
// Thread-safety: a plain value.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "catalogue/metric_catalogue.hpp"

namespace nq::metrics {

// Most bounds a histogram may have (setting buckets.*).
inline constexpr uint32_t kMaxHistogramBuckets = 32;

struct StoreOptions {
  uint32_t exclusive_slots = 0;
  std::array<uint32_t, kLabelSpaceCount> bounds{};          // 0 = the space's default
  std::array<std::vector<double>, kFamilyCount> buckets{};  // empty = the family's default
};

}  // namespace nq::metrics
