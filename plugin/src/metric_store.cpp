#include "metric_store.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "process_metrics.hpp"

namespace nq::metrics {
namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

constexpr double kNanosecondsPerSecond = 1e9;
constexpr uint32_t kEvictionShare = 20;  // a top-K space frees up to 1/20 of its values a scrape

// Fixed labels of series `series`: mixed radix, the last label fastest.
void append_fixed_labels(const FamilyDef& def, uint32_t series, Labels& labels) {
  const size_t first = labels.size();
  labels.resize(first + def.labels.size());
  for (size_t i = def.labels.size(); i-- > 0;) {
    const auto& values = def.labels[i].values;
    labels[first + i] = {std::string(def.labels[i].name),
                         std::string(values[series % values.size()])};
    series /= static_cast<uint32_t>(values.size());
  }
}

// Labels of an engine-valued key: its parts are separated by NUL bytes.
Labels key_labels(const LabelSpaceDef& space, const std::string& key) {
  Labels labels;
  labels.reserve(space.labels.size() + 2);  // + fixed labels, + payload
  size_t start = 0;
  for (const std::string_view name : space.labels) {
    const size_t end = std::min(key.find('\0', start), key.size());
    labels.push_back({std::string(name), key.substr(start, end - start)});
    start = end + 1;
  }
  return labels;
}

Labels overflow_labels(const LabelSpaceDef& space) {
  Labels labels;
  for (const std::string_view name : space.labels) {
    labels.push_back({std::string(name), std::string(kOverflowLabelValue)});
  }
  return labels;
}

prometheus::MetricType exposed_type(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return prometheus::MetricType::Counter;
    case MetricType::gauge:
      return prometheus::MetricType::Gauge;
    case MetricType::histogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

double process_value(FamilyId id, const ProcessSample& p) {
  switch (id) {
    case FamilyId::process_cpu_seconds_total:
      return p.cpu_seconds;
    case FamilyId::process_resident_memory_bytes:
      return p.resident_memory_bytes;
    case FamilyId::process_virtual_memory_bytes:
      return p.virtual_memory_bytes;
    case FamilyId::process_open_fds:
      return p.open_fds;
    case FamilyId::process_max_fds:
      return p.max_fds;
    default:
      return p.start_time_seconds;
  }
}

bool records_events_with_labels(const FamilyDef& def, LabelSpaceId space) {
  return def.space == space && def.source == Source::events;
}

}  // namespace

MetricStore::MetricStore(const StoreOptions& options) : layouts_(catalogue().size()) {
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id == LabelSpaceId::none) continue;
    const uint32_t bound = options.bounds[static_cast<size_t>(space.id)];
    tables_[static_cast<size_t>(space.id)] =
        std::make_unique<LabelTable>(bound != 0 ? bound : space.default_bound, space.payload_bytes);
    credit_[static_cast<size_t>(space.id)].assign(
        tables_[static_cast<size_t>(space.id)]->slot_count(), 0.0);
  }
  uint32_t fixed_total = 0, labeled_total = 0, sampled_total = 0;
  for (const FamilyDef& def : catalogue()) {
    overflow_index_[static_cast<size_t>(def.id)] = overflow_family_index(def.id);
    Layout& l = layouts_[static_cast<size_t>(def.id)];
    l.fixed_series = fixed_series_count(def);
    if (def.type == MetricType::histogram) {
      const auto& custom = options.buckets[static_cast<size_t>(def.id)];
      const std::span<const double> bounds = custom.empty() ? def.buckets : std::span(custom);
      l.bounds.assign(bounds.begin(), bounds.end());
      l.bounds.resize(std::min<size_t>(l.bounds.size(), kMaxBuckets));
      l.bucket_count = static_cast<uint32_t>(l.bounds.size());
      for (uint32_t b = 0; b < l.bucket_count; ++b) {
        l.bounds_ns[b] = static_cast<uint64_t>(std::llround(l.bounds[b] * kNanosecondsPerSecond));
      }
      l.cells_per_series = l.bucket_count + 2;
    }
    if (def.source == Source::samples) {
      l.first_cell = sampled_total;
      sampled_total += l.fixed_series;
    } else if (def.source == Source::events && def.space == LabelSpaceId::none) {
      l.first_cell = fixed_total;
      fixed_total += l.fixed_series * l.cells_per_series;
    } else if (def.source == Source::events) {
      const uint32_t blocks = labels(def.space).slot_count() + 1;  // + __other__
      l.first_cell = labeled_total;
      labeled_total += blocks * l.fixed_series * l.cells_per_series;
      families_by_space_[static_cast<size_t>(def.space)].push_back(def.id);
      other_[static_cast<size_t>(def.id)].assign(size_t{l.fixed_series} * l.cells_per_series, 0);
    }
  }
  fixed_cells_ = std::make_unique<CellArena>(fixed_total, options.exclusive_slots);
  labeled_cells_ = std::make_unique<CellArena>(labeled_total, 0);
  samples_ = std::make_unique<std::atomic<uint64_t>[]>(std::max<uint32_t>(sampled_total, 1));
  for (const FamilyDef& def : catalogue()) {
    if (def.source != Source::events) continue;
    layouts_[static_cast<size_t>(def.id)].arena =
        def.space == LabelSpaceId::none ? fixed_cells_.get() : labeled_cells_.get();
  }
}

void MetricStore::observe(nq_thread_slot slot, FamilyId id, uint32_t series, uint64_t value_ns,
                          uint32_t label_slot) noexcept {
  const Layout& l = layout(id);
  const uint64_t* end = l.bounds_ns + l.bucket_count;
  // Prometheus buckets are inclusive: the first bound >= the value.
  const auto bucket =
      static_cast<uint32_t>(std::lower_bound(l.bounds_ns, end, value_ns) - l.bounds_ns);
  const uint32_t base = cell(l, label_slot, series);
  l.arena->add(slot, base + bucket, 1);
  l.arena->add(slot, base + l.bucket_count + 1, value_ns);
}

void MetricStore::set(FamilyId id, uint32_t series, double value) noexcept {
  samples_[layout(id).first_cell + series].store(std::bit_cast<uint64_t>(value),
                                                 std::memory_order_relaxed);
}

size_t MetricStore::memory_bytes() const noexcept {
  size_t bytes = fixed_cells_->memory_bytes() + labeled_cells_->memory_bytes();
  for (const auto& table : tables_) {
    if (table) bytes += table->memory_bytes();
  }
  return bytes;
}

uint64_t MetricStore::exposed(const Layout& l, uint32_t label_slot, uint32_t series,
                              uint32_t c) const noexcept {
  return l.arena->sum(cell(l, label_slot, series) + c);
}

void MetricStore::fold_slot(FamilyId id, uint32_t label_slot) {
  const Layout& l = layout(id);
  std::vector<uint64_t>& other = other_[static_cast<size_t>(id)];
  for (uint32_t s = 0; s < l.fixed_series; ++s) {
    for (uint32_t c = 0; c < l.cells_per_series; ++c) {
      // Labeled cells live in the shared row (atomic adds): taking the value
      // loses no concurrent increment.
      other[s * l.cells_per_series + c] += labeled_cells_->take(cell(l, label_slot, s) + c);
    }
  }
}

std::vector<MetricStore::LiveValue> MetricStore::scan_space(LabelSpaceId space) {
  LabelTable& table = labels(space);
  const auto& families = families_by_space_[static_cast<size_t>(space)];
  std::vector<LiveValue> live;
  live.reserve(table.live() + LabelTable::kProbeWindow);
  std::vector<uint64_t> tags;  // of live[i], and the first slot it owns
  std::vector<uint32_t> first_slots;
  tags.reserve(live.capacity());
  first_slots.reserve(live.capacity());
  // A key that owns two slots (see label_table.hpp) owns them within one
  // probe window: look for an equal key among the live values just before.
  auto merge_into_recent = [&](uint32_t slot, const std::string& key, uint64_t tag,
                               size_t candidates_end) {
    for (size_t j = candidates_end; j-- > 0;) {
      if (slot - first_slots[j] >= LabelTable::kProbeWindow) break;
      if (tags[j] == tag && live[j].key == key) {
        live[j].slots.push_back(slot);
        return true;
      }
    }
    return false;
  };
  std::string key, payload;
  uint64_t tag = 0;
  for (uint32_t slot = 0; slot < table.slot_count(); ++slot) {
    if (table.read_slot(slot, key, payload, &tag) == LabelTable::SlotState::live) {
      if (merge_into_recent(slot, key, tag, live.size())) continue;
      live.push_back({key, payload, {slot}});
      tags.push_back(tag);
      first_slots.push_back(slot);
    } else if (!exporting_) {
      // Whatever a freed slot counted since the last scrape belongs to __other__.
      for (const FamilyId id : families) fold_slot(id, slot);
    }
  }
  // Probe windows wrap around the end of the table.
  size_t wrapped = 0;
  while (wrapped < live.size() && first_slots[wrapped] < LabelTable::kProbeWindow) ++wrapped;
  for (size_t i = live.size(); i-- > wrapped;) {
    if (first_slots[i] + LabelTable::kProbeWindow < table.slot_count()) break;
    for (size_t j = 0; j < wrapped; ++j) {
      if (tags[j] == tags[i] && live[j].key == live[i].key) {
        live[j].slots.insert(live[j].slots.end(), live[i].slots.begin(), live[i].slots.end());
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        tags.erase(tags.begin() + static_cast<std::ptrdiff_t>(i));
        first_slots.erase(first_slots.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
  }
  return live;
}

void MetricStore::evict_coldest(LabelSpaceId space, const std::vector<LiveValue>& live) {
  const LabelSpaceDef& def = label_space(space);
  LabelTable& table = labels(space);
  // Newcomers turned away since the last scrape?
  uint64_t overflowed = 0;
  const FamilyDef* rank_family = nullptr;
  for (const FamilyDef& f : catalogue()) {
    if (!records_events_with_labels(f, space)) continue;
    if (rank_family == nullptr) rank_family = &f;
    overflowed += fixed_cells_->sum(layout(FamilyId::plugin_label_overflow_total).first_cell +
                                    overflow_family_index(f.id));
  }
  auto& seen = overflow_seen_[static_cast<size_t>(space)];
  const bool turned_away = overflowed != seen;
  seen = overflowed;
  if (!def.keep_heaviest || !turned_away || table.live() < table.capacity() || live.empty()) {
    return;
  }
  // Space-saving: a value's rank is what it counted plus what its slot's earlier
  // owner counted when it was evicted; the lowest ranks make room.
  const Layout& l = layout(rank_family->id);
  auto& credit = credit_[static_cast<size_t>(space)];
  std::vector<std::pair<double, uint32_t>> ranked;
  for (const LiveValue& v : live) {
    for (const uint32_t slot : v.slots) {
      double rank = credit[slot];
      for (uint32_t s = 0; s < l.fixed_series; ++s) {
        rank += static_cast<double>(static_cast<int64_t>(exposed(l, slot, s, 0)));
      }
      ranked.emplace_back(rank, slot);
    }
  }
  const size_t evict =
      std::min(ranked.size(), size_t{std::max<uint32_t>(1, table.capacity() / kEvictionShare)});
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(evict),
                    ranked.end());
  for (size_t i = 0; i < evict; ++i) {
    const auto [rank, slot] = ranked[i];
    if (!table.evict(slot)) continue;
    for (const FamilyId id : families_by_space_[static_cast<size_t>(space)]) fold_slot(id, slot);
    credit[slot] = rank;
  }
}

CollectedMetrics MetricStore::collect(const PluginIdentity& identity) {
  std::lock_guard lock(scrape_mutex_);
  std::array<std::vector<LiveValue>, kLabelSpaceCount> live;
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id == LabelSpaceId::none) continue;
    auto& values = live[static_cast<size_t>(space.id)];
    values = scan_space(space.id);
    if (exporting_) continue;  // slots keep their values until the hand-over is done
    evict_coldest(space.id, values);
    if (space.keep_heaviest) values = scan_space(space.id);  // without the evicted ones
  }
  const ScrapeContext context{identity, read_process_sample()};
  CollectedMetrics collected;
  auto& families = collected.families;
  families.reserve(catalogue().size());
  uint64_t series = 0;
  for (const FamilyDef& def : catalogue()) {
    if (def.source == Source::process && !context.process) continue;
    families.push_back(collect_family(def, context, live[static_cast<size_t>(def.space)]));
    // Series of engine-valued labels may change hands (eviction), so only the
    // fixed series have a well-defined start.
    const bool counts_from_start = def.source == Source::events &&
                                   def.space == LabelSpaceId::none && def.type != MetricType::gauge;
    collected.created_seconds.push_back(counts_from_start ? identity.counters_since_seconds
                                                          : std::nan(""));
    for (const auto& m : families.back().metric) {
      series += def.type == MetricType::histogram ? m.histogram.bucket.size() + 2 : 1;
    }
  }
  for (auto& f : families) {
    if (f.name == family(FamilyId::plugin_series).name)
      f.metric[0].gauge.value = static_cast<double>(series);
  }
  return collected;
}

prometheus::MetricFamily MetricStore::collect_family(const FamilyDef& def,
                                                     const ScrapeContext& context,
                                                     const std::vector<LiveValue>& live) const {
  prometheus::MetricFamily out;
  out.name = std::string(def.name);
  out.help = std::string(def.help);
  out.type = exposed_type(def.type);
  const Layout& l = layout(def.id);
  const LabelSpaceDef& space = label_space(def.space);
  out.metric.reserve(size_t{l.fixed_series} * (live.size() + 1));

  auto add_metric = [&](Labels labels) -> prometheus::ClientMetric& {
    out.metric.emplace_back();
    out.metric.back().label = std::move(labels);
    return out.metric.back();
  };
  // One series from cells: `cells(c)` gives the recorded integer of cell c.
  auto fill = [&](prometheus::ClientMetric& m, auto&& cells) {
    switch (def.type) {
      case MetricType::counter:
        m.counter.value = static_cast<double>(cells(0)) / def.unit_divisor;
        break;
      case MetricType::gauge:
        m.gauge.value = static_cast<double>(static_cast<int64_t>(cells(0))) / def.unit_divisor;
        break;
      case MetricType::histogram: {
        uint64_t cumulative = 0;
        m.histogram.bucket.resize(l.bucket_count + 1);
        for (uint32_t b = 0; b <= l.bucket_count; ++b) {
          cumulative += cells(b);
          m.histogram.bucket[b].cumulative_count = cumulative;
          m.histogram.bucket[b].upper_bound =
              b < l.bucket_count ? l.bounds[b] : std::numeric_limits<double>::infinity();
        }
        m.histogram.sample_count = cumulative;
        m.histogram.sample_sum = static_cast<double>(cells(l.bucket_count + 1)) / def.unit_divisor;
        break;
      }
    }
  };

  switch (def.source) {
    case Source::identity:
      if (def.id == FamilyId::build_info) {
        add_metric({{"version", context.identity.version},
                    {"abi_version", context.identity.abi_version},
                    {"build_id", context.identity.build_id}})
            .gauge.value = 1;
      } else {
        add_metric({}).gauge.value = context.identity.start_time_seconds;
      }
      break;
    case Source::process: {
      auto& m = add_metric({});
      (def.type == MetricType::counter ? m.counter.value : m.gauge.value) =
          process_value(def.id, *context.process);
      break;
    }
    case Source::scrape:
      add_metric({});  // the series count, set once every family is collected
      break;
    case Source::samples:
      for (uint32_t s = 0; s < l.fixed_series; ++s) {
        Labels labels;
        append_fixed_labels(def, s, labels);
        add_metric(std::move(labels)).gauge.value =
            std::bit_cast<double>(samples_[l.first_cell + s].load(std::memory_order_relaxed));
      }
      break;
    case Source::label_info:
      for (const LiveValue& v : live) {
        Labels labels = key_labels(space, v.key);
        labels.push_back({std::string(space.payload_label), v.payload});
        add_metric(std::move(labels)).gauge.value = 1;
      }
      break;
    case Source::events:
      for_each_event_series(def, live, [&](const LiveValue* value, uint32_t s, auto&& cells) {
        Labels labels;
        if (def.space != LabelSpaceId::none) {
          labels = value != nullptr ? key_labels(space, value->key) : overflow_labels(space);
        }
        append_fixed_labels(def, s, labels);
        fill(add_metric(std::move(labels)), cells);
      });
      break;
  }
  return out;
}

}  // namespace nq::metrics
