#include "catalogue/metric_catalogue.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>

#include "catalogue/hook_names.hpp"
#include "catalogue/listener_labels.hpp"
#include "nq/nq_abi_cpp.hpp"

namespace nq::metrics {
namespace {

using sv = std::string_view;
constexpr double kNanosecondsPerSecond = 1e9;

// ---- Fixed label values (the ABI's lists come from nq_abi_cpp.hpp) --------
constexpr std::array kPhases = {
#define NQ_QUERY_PHASE_NAME(name) sv{#name},
    NQ_QUERY_PHASE_LIST(NQ_QUERY_PHASE_NAME)
#undef NQ_QUERY_PHASE_NAME
};
constexpr std::array<sv, 2> kDirty = {"false", "true"};
constexpr std::array<sv, 3> kPageStates = {"free", "clean", "dirty"};
constexpr std::array<sv, 2> kLookupResults = {"hit", "miss"};
constexpr std::array<sv, 2> kOperationStatuses = {"success", "failure"};
constexpr std::array<sv, 2> kReloadResults = {"success", "failure"};

// The families whose events can fold into "__other__" (engine-valued labels,
// recorded from events), in catalogue order: the values of the `family` label
// of neuroquantum_plugin_label_overflow_total.
constexpr bool folds_events(LabelSpaceId space, Source source) {
  return space != LabelSpaceId::none && source == Source::events;
}
struct FoldingFamily {
  sv name;
  bool folds;
};
constexpr std::array<FoldingFamily, kFamilyCount> kFoldingFamilies = {{
#define NQ_FAMILY(prefix, id, type, source, unit, labels, space, buckets, help) \
  {#prefix #id, folds_events(LabelSpaceId::space, Source::source)},
#include "catalogue/families.def"
#undef NQ_FAMILY
}};
constexpr size_t folding_family_count() {
  size_t n = 0;
  for (const FoldingFamily& f : kFoldingFamilies) n += f.folds ? 1 : 0;
  return n;
}
constexpr auto kOverflowFamilies = [] {
  std::array<sv, folding_family_count()> names{};
  size_t n = 0;
  for (const FoldingFamily& f : kFoldingFamilies) {
    if (f.folds) names[n++] = f.name;
  }
  return names;
}();

constexpr std::array kByQueryType = {LabelDimension{"query_type", nq::kQueryTypeNames}};
constexpr std::array kByQueryTypeAndStatus = {LabelDimension{"query_type", nq::kQueryTypeNames},
                                              LabelDimension{"status", nq::kQueryStatusNames}};
constexpr std::array kByQueryStatus = {LabelDimension{"status", nq::kQueryStatusNames}};
constexpr std::array kByPhase = {LabelDimension{"phase", kPhases}};
constexpr std::array kByDisconnectReason = {LabelDimension{"reason", nq::kWsDisconnectReasonNames}};
constexpr std::array kByDropReason = {LabelDimension{"reason", nq::kWsDropReasonNames}};
constexpr std::array kByDirty = {LabelDimension{"dirty", kDirty}};
constexpr std::array kByPageState = {LabelDimension{"state", kPageStates}};
constexpr std::array kByLockType = {LabelDimension{"lock_type", nq::kLockTypeNames}};
constexpr std::array kByLookupResult = {LabelDimension{"result", kLookupResults}};
constexpr std::array kByOperationStatus = {LabelDimension{"status", kOperationStatuses}};
constexpr std::array kByReloadResult = {LabelDimension{"result", kReloadResults}};
constexpr std::array kByHook = {LabelDimension{"hook", kHookNames}};
constexpr std::array kByConnectionEnd = {LabelDimension{"reason", kConnectionEndNames}};
constexpr std::array kByResponseCode = {LabelDimension{"code", kResponseCodeNames}};
constexpr std::array kByOverflowFamily = {LabelDimension{"family", kOverflowFamilies}};
constexpr std::span<const LabelDimension> kNoLabels;

// ---- Engine-valued labels --------------------------------------------------
constexpr std::array<sv, 1> kErrorType = {"error_type"};
constexpr std::array<sv, 2> kDatabaseDigest = {"database", "digest"};
constexpr std::array<sv, 1> kDatabase = {"database"};
constexpr std::array<sv, 1> kUser = {"user"};
constexpr std::array<sv, 1> kApplication = {"application"};
constexpr std::array<sv, 1> kReason = {"reason"};
constexpr std::array<sv, 1> kChannel = {"channel"};
constexpr std::array<sv, 1> kConnection = {"connection"};
constexpr std::array<sv, 1> kResource = {"resource"};
constexpr std::array<sv, 2> kTableIndex = {"table", "index"};
constexpr std::array<sv, 2> kSubsystemErrorType = {"subsystem", "error_type"};
constexpr std::array<sv, 1> kOperation = {"operation"};

constexpr std::array kLabelSpaces = {
    LabelSpaceDef{LabelSpaceId::none, {}, {}, 0, false, 0, {}, {}, 0, false, 0},
#define NQ_LABEL_SPACE(id, labels, setting, bound, keep_heaviest, payload_bytes, payload_label, \
                       inline_key_bytes, thread_rows, thread_cache, help)                       \
  LabelSpaceDef{LabelSpaceId::id, labels,        setting,       bound,                          \
                keep_heaviest,    payload_bytes, payload_label, help,                           \
                inline_key_bytes, thread_rows,   thread_cache},
#include "catalogue/label_spaces.def"
#undef NQ_LABEL_SPACE
};
// A thread cache is a power of two of values, and only for spaces of the
// shared row (thread rows are per thread already).
static_assert(std::all_of(kLabelSpaces.begin(), kLabelSpaces.end(), [](const LabelSpaceDef& s) {
  return s.thread_cache == 0 || (std::has_single_bit(s.thread_cache) && !s.thread_rows);
}));

// ---- Buckets (seconds) -----------------------------------------------------
constexpr std::array kQueryBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
constexpr std::array kMessageLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                               0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
constexpr std::array kStreamBuckets = {0.01, 0.05, 0.1,  0.5,   1.0,   5.0,
                                       10.0, 30.0, 60.0, 300.0, 900.0, 3600.0};
constexpr std::array kFsyncBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
constexpr std::array kLockWaitBuckets = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
                                         0.1,    0.5,    1.0,   5.0,   10.0};
constexpr std::array kQuantumBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0};
constexpr std::array kScrapeBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1.0};

constexpr std::span<const double> kNoBuckets;

// Recorded integers per exposed unit: durations recorded from events are
// nanoseconds, everything else is exposed as recorded.
constexpr double unit_divisor(Unit unit, Source source) {
  return unit == Unit::seconds && source == Source::events ? kNanosecondsPerSecond : 1;
}

constexpr std::array<FamilyDef, kFamilyCount> kCatalogue = {{
#define NQ_FAMILY(prefix, id, type, source, unit, labels, space, buckets, help) \
  {FamilyId::id,                                                                \
   #prefix #id,                                                                 \
   MetricType::type,                                                            \
   Source::source,                                                              \
   Unit::unit,                                                                  \
   help,                                                                        \
   LabelSpaceId::space,                                                         \
   labels,                                                                      \
   buckets,                                                                     \
   unit_divisor(Unit::unit, Source::source)},
#include "catalogue/families.def"
#undef NQ_FAMILY
}};
static_assert(std::all_of(kCatalogue.begin(), kCatalogue.end(),
                          [](const FamilyDef& def) { return space_of(def.id) == def.space; }));

// ---- Sampled gauges: the family and series each NQ_GAUGE_LIST entry names --
constexpr GaugeTarget kNoTarget{FamilyId{kFamilyCount}, 0};

constexpr GaugeTarget target_of(nq::GaugeMetric gauge) {
  for (const FamilyDef& def : kCatalogue) {
    if (def.name != gauge.metric || def.source != Source::samples) continue;
    if (gauge.state.empty()) return def.labels.empty() ? GaugeTarget{def.id, 0} : kNoTarget;
    if (def.labels.size() != 1 || def.labels[0].name != "state") return kNoTarget;
    for (uint32_t i = 0; i < def.labels[0].values.size(); ++i) {
      if (def.labels[0].values[i] == gauge.state) return {def.id, i};
    }
  }
  return kNoTarget;
}

constexpr auto kGaugeTargets = [] {
  std::array<GaugeTarget, NQ_GAUGE_COUNT> targets{};
  for (size_t i = 0; i < targets.size(); ++i) targets[i] = target_of(nq::kGaugeMetrics[i]);
  return targets;
}();
static_assert(std::none_of(kGaugeTargets.begin(), kGaugeTargets.end(),
                           [](const GaugeTarget& t) { return t.family == kNoTarget.family; }),
              "each NQ_GAUGE_LIST entry names a sampled family of families.def (and one of its "
              "state values)");

}  // namespace

const GaugeTarget& gauge_target(nq_gauge gauge) noexcept {
  return kGaugeTargets[gauge];
}

std::span<const FamilyDef> catalogue() noexcept {
  return kCatalogue;
}

const FamilyDef& family(FamilyId id) noexcept {
  return kCatalogue[static_cast<size_t>(id)];
}

std::span<const LabelSpaceDef> label_spaces() noexcept {
  return kLabelSpaces;
}

const LabelSpaceDef& label_space(LabelSpaceId id) noexcept {
  return kLabelSpaces[static_cast<size_t>(id)];
}

uint32_t fixed_series_count(const FamilyDef& def) noexcept {
  uint32_t n = 1;
  for (const LabelDimension& dim : def.labels) n *= static_cast<uint32_t>(dim.values.size());
  return n;
}

uint32_t overflow_family_index(FamilyId id) noexcept {
  uint32_t index = 0;
  for (const FamilyDef& def : kCatalogue) {
    if (def.id == id) return index;
    if (folds_events(def.space, def.source)) ++index;
  }
  return index;
}

}  // namespace nq::metrics
