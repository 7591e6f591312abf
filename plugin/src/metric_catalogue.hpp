// The one place where the plugin's metric families are declared: name, type,
// help, labels (with their fixed value sets) and default histogram buckets.
// Registration, exposition and the README's reference are generated from it.
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace nq::metrics {

enum class MetricType : uint8_t { counter, gauge, histogram, info };

// A label whose values form a fixed set known at build time.
struct LabelDimension {
  std::string_view name;
  std::span<const std::string_view> values;
};

enum class FamilyId : uint32_t {
  build_info,
  plugin_start_time_seconds,
  plugin_events_total,
  queries_total,
  query_duration_seconds,
  active_queries,
};

struct FamilyDef {
  FamilyId id;
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::span<const LabelDimension> labels;  // fixed label sets; empty = one series
  std::span<const double> buckets;         // histograms: upper bounds in seconds
};

std::span<const FamilyDef> catalogue() noexcept;
const FamilyDef& family(FamilyId id) noexcept;

// Number of series a family has: the product of its label value counts.
uint32_t series_count(const FamilyDef& def) noexcept;

// Labels of build_info, in order.
inline constexpr std::array<std::string_view, 3> kBuildInfoLabels = {"version", "abi_version",
                                                                     "build_id"};

}  // namespace nq::metrics
