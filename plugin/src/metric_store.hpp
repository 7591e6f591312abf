// The plugin's metrics: every family of the catalogue laid out in one
// CellArena, recorded on the hot path and collected into prometheus-cpp's data
// model at scrape time.
//
// Thread-safety: count(), add() and observe() are called from engine threads
// concurrently; they are wait-free, allocation-free and system-call-free, O(1)
// (a histogram looks its bucket up among at most kMaxBuckets bounds).
// collect() may run on any thread at the same time; it allocates. The layout
// is fixed in the constructor and never changes.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cell_arena.hpp"
#include "metric_catalogue.hpp"

namespace nq::metrics {

// What the plugin says about itself in build_info and its start time.
struct PluginIdentity {
  std::string version;
  std::string abi_version;
  std::string build_id;
  double start_time_seconds = 0;
};

class MetricStore {
 public:
  static constexpr uint32_t kMaxBuckets = 32;

  explicit MetricStore(uint32_t exclusive_slots);

  // Counter `family`, series index `series` (mixed radix over its labels, the
  // last label varying fastest), increased by n.
  void count(nq_thread_slot slot, FamilyId family, uint32_t series, uint64_t n = 1) noexcept {
    arena_.add(slot, layout(family).first_cell + series, n);
  }

  // Up/down gauge: adds a signed delta.
  void add(nq_thread_slot slot, FamilyId family, uint32_t series, int64_t delta) noexcept {
    arena_.add(slot, layout(family).first_cell + series, static_cast<uint64_t>(delta));
  }

  // Histogram in seconds, observed value in nanoseconds.
  void observe(nq_thread_slot slot, FamilyId family, uint32_t series, uint64_t value_ns) noexcept;

  std::vector<prometheus::MetricFamily> collect(const PluginIdentity& identity) const;

  size_t memory_bytes() const noexcept { return arena_.memory_bytes(); }

 private:
  struct FamilyLayout {
    uint32_t first_cell = 0;
    uint32_t cells_per_series = 1;  // histograms: buckets, +Inf bucket, sum
    uint32_t bucket_count = 0;
    uint64_t bounds_ns[kMaxBuckets] = {};
  };

  const FamilyLayout& layout(FamilyId id) const noexcept {
    return layouts_[static_cast<size_t>(id)];
  }
  static std::vector<FamilyLayout> plan_layout(uint32_t& total_cells);
  prometheus::MetricFamily collect_family(const FamilyDef& def,
                                          const PluginIdentity& identity) const;

  uint32_t total_cells_ = 0;
  std::vector<FamilyLayout> layouts_;
  CellArena arena_;
};

}  // namespace nq::metrics
