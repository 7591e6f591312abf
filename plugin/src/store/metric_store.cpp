#include "store/metric_store.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "store/process_metrics.hpp"

namespace nq::metrics {
namespace {

using Label = prometheus::ClientMetric::Label;

constexpr double kNanosecondsPerSecond = 1e9;

// Label assignments reuse the strings of the previous scrape's model, and
// leave them alone when they already hold the text (most do: a comparison
// costs a fraction of an assignment). Each returns true when it changed one.
bool assign(std::string& s, std::string_view text) {
  if (std::string_view(s) == text) return false;
  s.assign(text);
  return true;
}
bool set_label(Label& label, std::string_view name, std::string_view value) {
  const bool name_changed = assign(label.name, name);
  return assign(label.value, value) || name_changed;
}

// Fixed labels of series `series` into out[0, def.labels.size()): mixed
// radix, the last label fastest.
bool set_fixed_labels(const FamilyDef& def, uint32_t series, Label* out) {
  bool changed = false;
  for (size_t i = def.labels.size(); i-- > 0;) {
    const auto& values = def.labels[i].values;
    changed |= set_label(out[i], def.labels[i].name, values[series % values.size()]);
    series /= static_cast<uint32_t>(values.size());
  }
  return changed;
}

// Labels of an engine-valued key into out[0, space.labels.size()): its parts
// are separated by NUL bytes.
bool set_key_labels(const LabelSpaceDef& space, std::string_view key, Label* out) {
  bool changed = false;
  size_t start = 0;
  for (size_t i = 0; i < space.labels.size(); ++i) {
    const size_t end = std::min(key.find('\0', start), key.size());
    changed |=
        set_label(out[i], space.labels[i], key.substr(std::min(start, key.size()), end - start));
    start = end + 1;
  }
  return changed;
}

bool set_overflow_labels(const LabelSpaceDef& space, Label* out) {
  bool changed = false;
  for (size_t i = 0; i < space.labels.size(); ++i) {
    changed |= set_label(out[i], space.labels[i], kOverflowLabelValue);
  }
  return changed;
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

}  // namespace

MetricStore::MetricStore(const StoreOptions& options)
    : native_(options.native), native_indexer_(options.native.schema) {
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id == LabelSpaceId::none) continue;
    const uint32_t bound = options.bounds[static_cast<size_t>(space.id)];
    tables_[static_cast<size_t>(space.id)] = std::make_unique<LabelTable>(
        bound != 0 ? bound : space.default_bound, space.payload_bytes, space.inline_key_bytes);
    if (space.keep_heaviest) {
      credit_[static_cast<size_t>(space.id)].assign(
          tables_[static_cast<size_t>(space.id)]->slot_count(), 0.0);
    }
  }
  uint32_t fixed_total = 0, labeled_total = 0, context_total = 0, sampled_total = 0,
           exemplar_total = 0;
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
      for (uint32_t width = 0; width < std::size(l.first_bucket_of_width); ++width) {
        const uint64_t least = width == 0   ? 0
                               : width > 64 ? UINT64_MAX
                                            : uint64_t{1} << (width - 1);
        uint64_t* const begin = l.bounds_ns;
        uint64_t* const end = begin + l.bucket_count;
        l.first_bucket_of_width[width] =
            static_cast<uint8_t>(std::lower_bound(begin, end, least) - begin);
      }
      l.cells_per_series = l.bucket_count + 2;
      if (native_.enabled && has_native_buckets(def)) {
        l.native_first = l.cells_per_series;
        l.native_low = native_indexer_.index(native_.zero_threshold);
        l.native_high = native_indexer_.index(std::ldexp(1.0, kNativeMaxPower));
        l.native_cells = static_cast<uint32_t>(l.native_high - l.native_low) + 2;
        l.cells_per_series += l.native_cells;
      }
    }
    if (def.source == Source::samples) {
      l.first_cell = sampled_total;
      sampled_total += l.fixed_series;
    } else if (def.source == Source::events && def.space == LabelSpaceId::none) {
      l.first_cell = fixed_total;
      fixed_total += l.fixed_series * l.cells_per_series;
    } else if (def.source == Source::events) {
      const uint32_t blocks = labels(def.space).slot_count() + 1;  // + __other__
      l.thread_rows = label_space(def.space).thread_rows;
      uint32_t& total = l.thread_rows ? context_total : labeled_total;
      l.first_cell = total;
      total += blocks * l.fixed_series * l.cells_per_series;
      families_by_space_[static_cast<size_t>(def.space)].push_back(def.id);
      other_[static_cast<size_t>(def.id)].assign(size_t{l.fixed_series} * l.cells_per_series, 0);
    }
    if (has_exemplars(def.id)) {
      const uint32_t blocks =
          def.space == LabelSpaceId::none ? 1 : labels(def.space).slot_count() + 1;
      l.exemplar_first = exemplar_total;
      l.exemplars_per_series = def.type == MetricType::histogram ? l.bucket_count + 1 : 1;
      exemplar_total += blocks * l.fixed_series * l.exemplars_per_series;
    }
  }
  exemplars_ = std::make_unique<ExemplarCells>(exemplar_total);
  fixed_cells_ = std::make_unique<CellArena>(fixed_total, options.exclusive_slots);
  labeled_cells_ = std::make_unique<CellArena>(labeled_total, 0);
  context_cells_ = std::make_unique<CellArena>(context_total, options.exclusive_slots);
  context_baseline_.assign(context_total, 0);
  samples_ = std::make_unique<std::atomic<uint64_t>[]>(std::max<uint32_t>(sampled_total, 1));
  for (const FamilyDef& def : catalogue()) {
    if (def.source != Source::events) continue;
    Layout& l = layouts_[static_cast<size_t>(def.id)];
    l.arena = def.space == LabelSpaceId::none ? fixed_cells_.get()
              : l.thread_rows                 ? context_cells_.get()
                                              : labeled_cells_.get();
  }
  // A LabelCache per space of the shared row: an entry holds, family after
  // family, every series of one value.
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.thread_cache == 0) continue;
    std::vector<DrainTarget>& targets = drain_targets_[static_cast<size_t>(space.id)];
    for (const FamilyId id : families_by_space_[static_cast<size_t>(space.id)]) {
      Layout& l = layouts_[static_cast<size_t>(id)];
      l.cache_first = static_cast<uint32_t>(targets.size());
      const uint32_t block = l.fixed_series * l.cells_per_series;
      for (uint32_t c = 0; c < block; ++c) targets.push_back({l.first_cell + c, block});
    }
    if (targets.empty() || options.exclusive_slots == 0) continue;
    caches_[static_cast<size_t>(space.id)] = std::make_unique<LabelCache>(
        options.exclusive_slots, space.thread_cache, static_cast<uint32_t>(targets.size()));
  }
}

uint32_t MetricStore::observe(nq_thread_slot slot, FamilyId id, uint32_t series, uint64_t value_ns,
                              LabelRef where) noexcept {
  if (where.cells == nullptr) return observe(slot, id, series, value_ns, where.slot);
  const Layout& l = layout(id);
  const uint32_t bucket = bucket_of(l, value_ns);
  // No native cells: only families without engine-valued labels have them.
  std::atomic<uint64_t>* owned = where.cells + l.cache_first + series * l.cells_per_series;
  add_owned(owned[bucket], 1);
  add_owned(owned[l.bucket_count + 1], value_ns);
  return bucket;
}

void MetricStore::drain_cache(LabelSpaceId space) {
  LabelCache* cache = caches_[static_cast<size_t>(space)].get();
  if (cache == nullptr) return;
  const std::vector<DrainTarget>& targets = drain_targets_[static_cast<size_t>(space)];
  cache->drain([&](uint32_t label_slot, uint32_t c, uint64_t gain) {
    labeled_cells_->add(NQ_THREAD_SLOT_SHARED, targets[c].first + label_slot * targets[c].block,
                        gain);
  });
}

uint32_t MetricStore::native_cell(const Layout& l, uint64_t value_ns) const noexcept {
  const double seconds = static_cast<double>(value_ns) / kNanosecondsPerSecond;
  if (!(seconds > native_.zero_threshold)) return 0;
  const int32_t index = std::clamp(native_indexer_.index(seconds), l.native_low, l.native_high);
  return static_cast<uint32_t>(index - l.native_low) + 1;
}

uint32_t MetricStore::native_cell_of_bucket(const Layout& l, int32_t index,
                                            int32_t schema) const noexcept {
  const int32_t own = native_indexer_.schema();
  int32_t mine = index;
  if (schema > own) {
    mine = reduce_native_index(index, schema, own);
  } else if (schema < own) {
    mine = index * (1 << (own - schema));  // the bucket of the old bucket's upper bound
  }
  if (mine < l.native_low) return 0;  // at most this store's zero threshold
  return static_cast<uint32_t>(std::min(mine, l.native_high) - l.native_low) + 1;
}

template <typename Cells>
void MetricStore::fill_native(const Layout& l, Cells&& cells, NativeHistogram& out) const {
  out.schema = native_indexer_.schema();
  out.zero_threshold = native_.zero_threshold;
  out.zero_count = cells(l.native_first);
  out.index.clear();
  out.count.clear();
  for (uint32_t c = 1; c < l.native_cells; ++c) {
    const uint64_t n = cells(l.native_first + c);
    if (n == 0) continue;
    out.index.push_back(l.native_low + static_cast<int32_t>(c) - 1);
    out.count.push_back(n);
  }
  reduce_native_buckets(out, native_.max_buckets);
}

void MetricStore::set(FamilyId id, uint32_t series, double value) noexcept {
  samples_[layout(id).first_cell + series].store(std::bit_cast<uint64_t>(value),
                                                 std::memory_order_relaxed);
}

size_t MetricStore::memory_bytes() const noexcept {
  size_t bytes = fixed_cells_->memory_bytes() + labeled_cells_->memory_bytes() +
                 context_cells_->memory_bytes() + context_baseline_.capacity() * sizeof(uint64_t) +
                 exemplars_->memory_bytes();
  for (const auto& table : tables_) {
    if (table) bytes += table->memory_bytes();
  }
  for (const auto& cache : caches_) {
    if (cache) bytes += cache->memory_bytes();
  }
  return bytes;
}

uint64_t MetricStore::exposed(const Layout& l, uint32_t label_slot, uint32_t series,
                              uint32_t c) const noexcept {
  const uint32_t at = cell(l, label_slot, series) + c;
  return l.thread_rows ? l.arena->sum(at) - context_baseline_[at] : l.arena->sum(at);
}

MetricStore::Collected MetricStore::collect(const PluginIdentity& identity,
                                            const ScrapeClock& clock) {
  std::unique_lock lock(scrape_mutex_);
  collect_into(snapshot_, identity, clock);
  return Collected(std::move(lock), snapshot_);
}

void MetricStore::collect_into(CollectedMetrics& collected, const PluginIdentity& identity,
                               const ScrapeClock& clock) {
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id == LabelSpaceId::none) continue;
    LiveValues& values = live_[static_cast<size_t>(space.id)];
    scan_space(space.id, values);
    if (exporting_) continue;  // slots keep their values until the hand-over is done
    if (evict_coldest(space.id, values.view())) scan_space(space.id, values);
  }
  const ScrapeContext context{identity, clock, read_process_sample()};
  auto& families = collected.families;
  collected.created_seconds.clear();
  size_t count = 0, series_family = 0;
  uint64_t series = 0;
  for (const FamilyDef& def : catalogue()) {
    if (def.source == Source::process && !context.process) continue;
    if (count == families.size()) families.emplace_back();
    if (def.id == FamilyId::plugin_series) series_family = count;
    if (collected.native.size() < count + 1) collected.native.resize(count + 1);
    if (collected.exemplars.size() < count + 1) collected.exemplars.resize(count + 1);
    auto& blocks = collected.text_label_blocks;
    if (blocks.size() < count + 1) blocks.resize(count + 1);
    prometheus::MetricFamily& family = families[count];
    collect_family(def, context, live_[static_cast<size_t>(def.space)].view(), family,
                   collected.native[count], collected.exemplars[count], blocks[count]);
    ++count;
    // Series of engine-valued labels may change hands (eviction), so only the
    // fixed series have a well-defined start.
    const bool counts_from_start = def.source == Source::events &&
                                   def.space == LabelSpaceId::none && def.type != MetricType::gauge;
    collected.created_seconds.push_back(counts_from_start ? identity.counters_since_seconds
                                                          : std::nan(""));
    series += def.type == MetricType::histogram
                  ? family.metric.size() * (layout(def.id).bucket_count + 3)
                  : family.metric.size();
  }
  families.resize(count);
  collected.native.resize(count);
  collected.exemplars.resize(count);
  collected.text_label_blocks.resize(count);
  families[series_family].metric[0].gauge.value = static_cast<double>(series);
}

void MetricStore::collect_family(const FamilyDef& def, const ScrapeContext& context,
                                 std::span<const LiveValue> live, prometheus::MetricFamily& out,
                                 std::vector<NativeHistogram>& native,
                                 std::vector<Exemplar>& exemplars,
                                 std::vector<std::string>& label_blocks) const {
  out.name.assign(def.name);
  out.help.assign(def.help);
  out.type = exposed_type(def.type);
  const Layout& l = layout(def.id);
  const LabelSpaceDef& space = label_space(def.space);
  const size_t value_labels = def.space != LabelSpaceId::none ? space.labels.size() : 0;

  size_t count = 0;
  // The next series, with room for `labels` labels; its text label block
  // kept (a new series: an empty one) unless its labels change.
  auto next = [&](size_t labels) -> prometheus::ClientMetric& {
    if (count == out.metric.size()) out.metric.emplace_back();
    if (count == label_blocks.size()) label_blocks.emplace_back();
    prometheus::ClientMetric& m = out.metric[count++];
    if (m.label.size() != labels) {
      m.label.resize(labels);
      label_blocks[count - 1].clear();
    }
    return m;
  };
  auto forget_block_if = [&](bool changed) {
    if (changed) label_blocks[count - 1].clear();
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
        auto& m = next(3);
        bool changed = set_label(m.label[0], "version", context.identity.version);
        changed |= set_label(m.label[1], "abi_version", context.identity.abi_version);
        changed |= set_label(m.label[2], "build_id", context.identity.build_id);
        forget_block_if(changed);
        m.gauge.value = 1;
      } else {
        next(0).gauge.value = context.identity.start_time_seconds;
      }
      break;
    case Source::process: {
      auto& m = next(0);
      (def.type == MetricType::counter ? m.counter.value : m.gauge.value) =
          process_value(def.id, *context.process);
      break;
    }
    case Source::scrape:
      next(0);  // the series count, set once every family is collected
      break;
    case Source::samples:
      for (uint32_t s = 0; s < l.fixed_series; ++s) {
        auto& m = next(def.labels.size());
        forget_block_if(set_fixed_labels(def, s, m.label.data()));
        m.gauge.value =
            std::bit_cast<double>(samples_[l.first_cell + s].load(std::memory_order_relaxed));
      }
      break;
    case Source::label_info:
      for (const LiveValue& v : live) {
        auto& m = next(space.labels.size() + 1);
        bool changed = set_key_labels(space, v.key, m.label.data());
        changed |= set_label(m.label.back(), space.payload_label, v.payload);
        forget_block_if(changed);
        m.gauge.value = 1;
      }
      break;
    case Source::events:
      exemplars.clear();
      for_each_event_series(def, live, [&](const LiveValue* value, uint32_t s, auto&& cells) {
        auto& m = next(value_labels + def.labels.size());
        bool changed = false;
        if (value != nullptr) {
          changed = set_key_labels(space, value->key, m.label.data());
        } else if (value_labels != 0) {
          changed = set_overflow_labels(space, m.label.data());
        }
        forget_block_if(set_fixed_labels(def, s, m.label.data() + value_labels) || changed);
        fill(m, cells);
        if (l.exemplars_per_series != 0) {
          const uint32_t none =
              def.space == LabelSpaceId::none ? 0 : labels_const(def.space).overflow_slot();
          collect_exemplars(def, context.clock,
                            value != nullptr ? std::span(value->slots) : std::span(&none, 1), s,
                            exemplars);
        }
        if (l.native_cells == 0) return;
        if (native.size() < count) native.resize(count);
        fill_native(l, cells, native[count - 1]);
      });
      break;
  }
  out.metric.resize(count);
  label_blocks.resize(count);
  native.resize(l.native_cells != 0 ? count : 0);
}

void MetricStore::collect_exemplars(const FamilyDef& def, const ScrapeClock& clock,
                                    std::span<const uint32_t> label_slots, uint32_t series,
                                    std::vector<Exemplar>& out) const {
  const Layout& l = layout(def.id);
  for (uint32_t b = 0; b < l.exemplars_per_series; ++b) {
    Exemplar& e = out.emplace_back();
    ExemplarRecord r;
    for (const uint32_t slot : label_slots) {
      if (exemplars_->read(exemplar_cell(l, slot, series) + b, r)) {
        e.present = true;
        break;
      }
    }
    if (!e.present) continue;
    std::memcpy(e.trace_id, r.trace_id, sizeof e.trace_id);
    std::memcpy(e.span_id, r.span_id, sizeof e.span_id);
    e.value = static_cast<double>(r.value) / def.unit_divisor;
    // The engine's time of the event, carried over to the Unix clock by the
    // two clocks read at this scrape.
    e.timestamp_seconds =
        r.timestamp_ns == 0 || clock.engine_ns == 0
            ? std::nan("")
            : clock.unix_seconds -
                  static_cast<double>(clock.engine_ns - std::min(r.timestamp_ns, clock.engine_ns)) /
                      kNanosecondsPerSecond;
  }
}

}  // namespace nq::metrics
