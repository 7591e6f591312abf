// The plugin's metric families and label spaces, generated from the lists
// families.def and label_spaces.def (each declared there once): name, type,
// unit, help, labels, where engine-valued labels come from, histogram buckets.
// The store's layout, exposition, the settings of each cardinality bound and
// the README's reference table are all generated from them.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "nq/nq_plugin_abi.h"

namespace nq::metrics {

enum class MetricType : uint8_t { counter, gauge, histogram };

// What a family's values measure; its name ends with the unit (before _total).
enum class Unit : uint8_t { none, seconds, bytes };

// Where a family's values come from.
enum class Source : uint8_t {
  events,      // recorded from hook events (counters, histograms, up/down gauges)
  samples,     // the last value set: sampled by the engine (gauge_sample hook) or the plugin
  identity,    // the plugin itself: build info, start time
  process,     // the host process, read at scrape time (/proc)
  scrape,      // computed by the scrape (series count)
  label_info,  // 1 for each live value of its label space, with the value's payload
};

// A label whose values form a fixed set known at build time.
struct LabelDimension {
  std::string_view name;
  std::span<const std::string_view> values;
};

// Labels whose values come from the engine: bounded, overflow to "__other__".
enum class LabelSpaceId : uint8_t {
  none,
#define NQ_LABEL_SPACE(id, ...) id,
#include "catalogue/label_spaces.def"
#undef NQ_LABEL_SPACE
};

struct LabelSpaceDef {
  LabelSpaceId id;
  std::span<const std::string_view> labels;  // one or two labels
  std::string_view setting;                  // plugin setting of the bound
  uint32_t default_bound;
  bool keep_heaviest;              // top-K: cold values make room for heavier newcomers
  uint32_t payload_bytes;          // text kept with each value (digest: normalized query)
  std::string_view payload_label;  // the label that exposes it
  std::string_view help;           // for the settings reference
  // Room for a value's key in its slot; longer keys take a shared block (see
  // label_table.hpp). Sized to the values the space usually sees.
  uint32_t inline_key_bytes;
  // Its families count in thread-owned rows (plain adds) rather than one
  // shared row (atomic adds): for spaces recorded on every statement.
  bool thread_rows;
  // Values each exclusive thread slot's LabelCache keeps (a power of two,
  // 0: none): found again by their raw bytes, counted in the thread's own
  // cells (store/label_cache.hpp).
  uint32_t thread_cache;
};

enum class FamilyId : uint32_t {
#define NQ_FAMILY(prefix, id, ...) id,
#include "catalogue/families.def"
#undef NQ_FAMILY
};

inline constexpr size_t kFamilyCount = 0
#define NQ_FAMILY(...) +1
#include "catalogue/families.def"
#undef NQ_FAMILY
    ;
inline constexpr size_t kLabelSpaceCount = 1  // none
#define NQ_LABEL_SPACE(...) +1
#include "catalogue/label_spaces.def"
#undef NQ_LABEL_SPACE
    ;

// The phases of neuroquantum_query_phase_seconds_total{phase}, in the order of
// the label's values.
#define NQ_QUERY_PHASE_LIST(X) X(parse) X(plan) X(execute) X(lock_wait) X(io_wait)
enum class QueryPhase : uint32_t {
#define NQ_QUERY_PHASE_ID(name) name,
  NQ_QUERY_PHASE_LIST(NQ_QUERY_PHASE_ID)
#undef NQ_QUERY_PHASE_ID
};
inline constexpr size_t kQueryPhaseCount = 0
#define NQ_QUERY_PHASE_COUNT(name) +1
    NQ_QUERY_PHASE_LIST(NQ_QUERY_PHASE_COUNT)
#undef NQ_QUERY_PHASE_COUNT
    ;

struct FamilyDef {
  FamilyId id;
  std::string_view name;
  MetricType type;
  Source source;
  Unit unit;
  std::string_view help;
  LabelSpaceId space;                      // engine-valued labels, exposed first
  std::span<const LabelDimension> labels;  // fixed labels, exposed after them
  std::span<const double> buckets;         // histograms: default upper bounds
  double unit_divisor;                     // exposed value = recorded integer / unit_divisor
};

std::span<const FamilyDef> catalogue() noexcept;
const FamilyDef& family(FamilyId id) noexcept;

// family(id).space, for the hot path: a constant table, no call.
inline constexpr LabelSpaceId kSpaceOfFamily[kFamilyCount] = {
#define NQ_FAMILY(prefix, id, type, source, unit, labels, space, ...) LabelSpaceId::space,
#include "catalogue/families.def"
#undef NQ_FAMILY
};
constexpr LabelSpaceId space_of(FamilyId id) {
  return kSpaceOfFamily[static_cast<size_t>(id)];
}

std::span<const LabelSpaceDef> label_spaces() noexcept;
const LabelSpaceDef& label_space(LabelSpaceId id) noexcept;

// The series a sampled gauge sets (the metric and state NQ_GAUGE_LIST names
// for it). `gauge` < NQ_GAUGE_COUNT.
struct GaugeTarget {
  FamilyId family;
  uint32_t series;
};
const GaugeTarget& gauge_target(nq_gauge gauge) noexcept;

// Series of a family's fixed labels: the product of their value counts.
uint32_t fixed_series_count(const FamilyDef& def) noexcept;

// Index of `id` among the families that have engine-valued labels (the
// `family` label of neuroquantum_plugin_label_overflow_total).
uint32_t overflow_family_index(FamilyId id) noexcept;

inline constexpr std::string_view kOverflowLabelValue = "__other__";

// The families that carry exemplars: the latest traced statement of each
// duration bucket and of each (database, digest) pair (README, "Exemplars").
inline constexpr FamilyId kExemplarFamilies[] = {FamilyId::query_duration_seconds,
                                                 FamilyId::query_digest_calls_total,
                                                 FamilyId::query_digest_duration_seconds_total};
constexpr bool has_exemplars(FamilyId id) {
  for (const FamilyId f : kExemplarFamilies) {
    if (f == id) return true;
  }
  return false;
}

}  // namespace nq::metrics
