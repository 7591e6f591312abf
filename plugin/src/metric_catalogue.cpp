#include "metric_catalogue.hpp"

#include "hook_names.hpp"

namespace nq::metrics {
namespace {

using sv = std::string_view;

// Value order follows the NQ_QUERY_* / NQ_QUERY_STATUS constants of the ABI.
constexpr std::array<sv, NQ_QUERY_TYPE_COUNT> kQueryTypes = {"select", "insert", "update",
                                                             "delete", "ddl",    "other"};
constexpr std::array<sv, NQ_QUERY_STATUS_COUNT> kQueryStatuses = {"success", "error", "cancelled"};

constexpr std::array kByQueryType = {LabelDimension{"query_type", kQueryTypes}};
constexpr std::array kByQueryTypeAndStatus = {LabelDimension{"query_type", kQueryTypes},
                                              LabelDimension{"status", kQueryStatuses}};
constexpr std::array kByHook = {LabelDimension{"hook", kHookNames}};

constexpr std::array kQueryDurationBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

constexpr std::array kCatalogue = {
    FamilyDef{FamilyId::build_info,
              "neuroquantum_build_info",
              MetricType::info,
              "Build of the metrics plugin: version, plugin ABI version and build id; always 1.",
              {},
              {}},
    FamilyDef{FamilyId::plugin_start_time_seconds,
              "neuroquantum_plugin_start_time_seconds",
              MetricType::gauge,
              "Unix time at which this copy of the metrics plugin started.",
              {},
              {}},
    FamilyDef{FamilyId::plugin_events_total,
              "neuroquantum_plugin_events_total",
              MetricType::counter,
              "Hook calls received from the engine, by hook.",
              kByHook,
              {}},
    FamilyDef{FamilyId::queries_total,
              "neuroquantum_queries_total",
              MetricType::counter,
              "Statements finished, by query type and outcome.",
              kByQueryTypeAndStatus,
              {}},
    FamilyDef{FamilyId::query_duration_seconds, "neuroquantum_query_duration_seconds",
              MetricType::histogram, "Statement duration as measured by the engine.", kByQueryType,
              kQueryDurationBuckets},
    FamilyDef{FamilyId::active_queries,
              "neuroquantum_active_queries",
              MetricType::gauge,
              "Statements executing now.",
              {},
              {}},
};

// The table is indexed by FamilyId: keep both in the same order.
constexpr bool ids_match_positions() {
  for (size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<size_t>(kCatalogue[i].id) != i) return false;
  }
  return true;
}
static_assert(ids_match_positions(), "kCatalogue must list families in FamilyId order");

}  // namespace

std::span<const FamilyDef> catalogue() noexcept {
  return kCatalogue;
}

const FamilyDef& family(FamilyId id) noexcept {
  return kCatalogue[static_cast<size_t>(id)];
}

uint32_t series_count(const FamilyDef& def) noexcept {
  uint32_t n = 1;
  for (const LabelDimension& dim : def.labels) n *= static_cast<uint32_t>(dim.values.size());
  return n;
}

}  // namespace nq::metrics
