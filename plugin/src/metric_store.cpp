#include "metric_store.hpp"

#include <algorithm>
#include <cmath>

namespace nq::metrics {
namespace {

constexpr double kNanosecondsPerSecond = 1e9;

// Labels of series `series` of `def`: mixed radix, the last label fastest.
std::vector<prometheus::ClientMetric::Label> labels_of(const FamilyDef& def, uint32_t series) {
  std::vector<prometheus::ClientMetric::Label> labels(def.labels.size());
  for (size_t i = def.labels.size(); i-- > 0;) {
    const auto& values = def.labels[i].values;
    labels[i].name = std::string(def.labels[i].name);
    labels[i].value = std::string(values[series % values.size()]);
    series /= static_cast<uint32_t>(values.size());
  }
  return labels;
}

}  // namespace

MetricStore::MetricStore(uint32_t exclusive_slots)
    : layouts_(plan_layout(total_cells_)), arena_(total_cells_, exclusive_slots) {}

std::vector<MetricStore::FamilyLayout> MetricStore::plan_layout(uint32_t& total_cells) {
  std::vector<FamilyLayout> layouts(catalogue().size());
  uint32_t next = 0;
  for (const FamilyDef& def : catalogue()) {
    FamilyLayout& l = layouts[static_cast<size_t>(def.id)];
    l.first_cell = next;
    switch (def.type) {
      case MetricType::counter:
      case MetricType::gauge:
        l.cells_per_series = 1;
        break;
      case MetricType::histogram:
        l.bucket_count = static_cast<uint32_t>(std::min<size_t>(def.buckets.size(), kMaxBuckets));
        for (uint32_t b = 0; b < l.bucket_count; ++b) {
          l.bounds_ns[b] =
              static_cast<uint64_t>(std::llround(def.buckets[b] * kNanosecondsPerSecond));
        }
        l.cells_per_series = l.bucket_count + 2;
        break;
      case MetricType::info:
        l.cells_per_series = 0;  // constant, nothing recorded
        break;
    }
    next += l.cells_per_series * series_count(def);
  }
  total_cells = next;
  return layouts;
}

void MetricStore::observe(nq_thread_slot slot, FamilyId family, uint32_t series,
                          uint64_t value_ns) noexcept {
  const FamilyLayout& l = layout(family);
  const uint64_t* end = l.bounds_ns + l.bucket_count;
  // Prometheus buckets are inclusive: the first bound >= the value.
  const auto bucket =
      static_cast<uint32_t>(std::lower_bound(l.bounds_ns, end, value_ns) - l.bounds_ns);
  const uint32_t base = l.first_cell + series * l.cells_per_series;
  arena_.add(slot, base + bucket, 1);
  arena_.add(slot, base + l.bucket_count + 1, value_ns);
}

std::vector<prometheus::MetricFamily> MetricStore::collect(const PluginIdentity& identity) const {
  std::vector<prometheus::MetricFamily> families;
  families.reserve(catalogue().size());
  for (const FamilyDef& def : catalogue()) families.push_back(collect_family(def, identity));
  return families;
}

prometheus::MetricFamily MetricStore::collect_family(const FamilyDef& def,
                                                     const PluginIdentity& identity) const {
  prometheus::MetricFamily out;
  out.name = std::string(def.name);
  out.help = std::string(def.help);
  const FamilyLayout& l = layout(def.id);
  const uint32_t n = series_count(def);
  out.metric.resize(n);
  for (uint32_t s = 0; s < n; ++s) {
    prometheus::ClientMetric& m = out.metric[s];
    m.label = labels_of(def, s);
    const uint32_t base = l.first_cell + s * l.cells_per_series;
    switch (def.type) {
      case MetricType::counter:
        out.type = prometheus::MetricType::Counter;
        m.counter.value = static_cast<double>(arena_.sum(base));
        break;
      case MetricType::gauge:
        out.type = prometheus::MetricType::Gauge;
        m.gauge.value = def.id == FamilyId::plugin_start_time_seconds
                            ? identity.start_time_seconds
                            : static_cast<double>(static_cast<int64_t>(arena_.sum(base)));
        break;
      case MetricType::histogram: {
        out.type = prometheus::MetricType::Histogram;
        uint64_t cumulative = 0;
        m.histogram.bucket.resize(l.bucket_count + 1);
        for (uint32_t b = 0; b <= l.bucket_count; ++b) {
          cumulative += arena_.sum(base + b);
          m.histogram.bucket[b].cumulative_count = cumulative;
          m.histogram.bucket[b].upper_bound =
              b < l.bucket_count ? def.buckets[b] : std::numeric_limits<double>::infinity();
        }
        m.histogram.sample_count = cumulative;
        m.histogram.sample_sum =
            static_cast<double>(arena_.sum(base + l.bucket_count + 1)) / kNanosecondsPerSecond;
        break;
      }
      case MetricType::info:
        out.type = prometheus::MetricType::Gauge;
        m.label = {{std::string(kBuildInfoLabels[0]), identity.version},
                   {std::string(kBuildInfoLabels[1]), identity.abi_version},
                   {std::string(kBuildInfoLabels[2]), identity.build_id}};
        m.gauge.value = 1;
        break;
    }
  }
  return out;
}

}  // namespace nq::metrics
