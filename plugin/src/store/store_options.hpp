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

// Native histogram schemas Prometheus knows.
inline constexpr int32_t kMinNativeSchema = -4;
inline constexpr int32_t kMaxNativeSchema = 8;

// Native buckets of the duration histograms (settings native_histogram*).
struct NativeHistogramOptions {
  bool enabled = false;
  int32_t schema = 3;            // kMinNativeSchema..kMaxNativeSchema
  double zero_threshold = 1e-6;  // seconds
  uint32_t max_buckets = 160;    // populated buckets exposed at most; 0 = no budget
};

struct StoreOptions {
  uint32_t exclusive_slots = 0;
  std::array<uint32_t, kLabelSpaceCount> bounds{};          // 0 = the space's default
  std::array<std::vector<double>, kFamilyCount> buckets{};  // empty = the family's default
  NativeHistogramOptions native;
};

// The families that carry native buckets (when enabled): the event histograms
// in seconds with fixed labels only. Their cells are in thread-owned rows, so
// recording stays a plain add; a family with engine-valued labels would need
// the native cells once per label slot, in the shared atomic row.
constexpr bool has_native_buckets(const FamilyDef& def) {
  return def.type == MetricType::histogram && def.source == Source::events &&
         def.unit == Unit::seconds && def.space == LabelSpaceId::none;
}

// Native buckets cover values up to 2^kNativeMaxPower seconds (about 36 h);
// longer ones count in the last bucket (the classic +Inf bucket and the sum
// stay exact).
inline constexpr int32_t kNativeMaxPower = 17;

}  // namespace nq::metrics
