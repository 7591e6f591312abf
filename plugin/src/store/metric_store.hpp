// The plugin's metrics: every family of the catalogue laid out in cell arenas,
// recorded on the hot path and collected into prometheus-cpp's data model at
// scrape time.
//
// Storage. Families with only fixed labels live in a CellArena with one row per
// exclusive thread slot (plain adds). Families with engine-valued labels live in
// a single-row arena (atomic adds), one block of series per slot of their
// LabelTable plus one for "__other__"; those of a space with thread_rows
// (recorded on every statement: database, user, application) live in an arena
// with thread rows too, and a slot's values are folded by remembering what its
// cells held (a baseline) instead of taking them. For the other spaces each
// exclusive thread slot has a LabelCache: the values it sent lately, found by
// their raw bytes, each with thread-owned cells that the scrape drains into
// the shared row (label_cache.hpp); its size per space (`thread cache` in
// label_spaces.def), not the spaces' bounds, fixes its memory per thread slot. Sampled gauges keep
// the last value. The families of kExemplarFamilies also keep, per bucket (or counter series), the
// latest traced event in ExemplarCells.
//
// Thread-safety: count(), add(), observe(), set() and the label tables are
// used from engine threads concurrently; they are wait-free or lock-free,
// allocation-free and system-call-free, and O(1) (a histogram looks its bucket
// up among at most kMaxBuckets bounds); a fixed_row() is used by the thread
// that took it, like its slot. collect() runs on scrape threads; it
// allocates, and serializes with other collects on scrape_mutex_ (the only lock,
// never taken by a hook). The store knows no wire format: it fills
// prometheus-cpp's model, which expose/ serializes. It folds the values of freed label slots into
// "__other__" and, for top-K label spaces, evicts the coldest values when
// newcomers were turned away, so that every counter stays monotonic and the
// sum over a family's series equals what was recorded.
#pragma once

#include <prometheus/metric_family.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "catalogue/metric_catalogue.hpp"
#include "store/cell_arena.hpp"
#include "store/collected_metrics.hpp"
#include "store/exemplar_cells.hpp"
#include "store/label_cache.hpp"
#include "store/label_table.hpp"
#include "store/native_histogram.hpp"
#include "store/owned_cell.hpp"
#include "store/process_metrics.hpp"
#include "store/store_options.hpp"

namespace nq::metrics {

// A row of cells to add to: CellArena::Row or a CellArena::TypedRow.
template <typename R>
concept CellRow = requires(const R& row) {
  row.add(uint32_t{0}, uint64_t{0});
};

// What the plugin says about itself in build_info and its start time.
struct PluginIdentity {
  std::string version;
  std::string abi_version;
  std::string build_id;
  double start_time_seconds = 0;
  double counters_since_seconds = 0;  // when the counters started from zero
};

// The clocks at a scrape, to date exemplars: the Unix time, and the engine's
// monotonic clock (0: the engine has none, and exemplars go undated).
struct ScrapeClock {
  double unix_seconds = 0;
  uint64_t engine_ns = 0;
};

class MetricStore {
 public:
  static constexpr uint32_t kMaxBuckets = kMaxHistogramBuckets;
  // Where an event with engine-valued labels counts: the slot of its value
  // and, when the calling thread's LabelCache holds the value, that entry's
  // thread-owned cells (else the shared row).
  struct LabelRef {
    uint32_t slot = 0;
    std::atomic<uint64_t>* cells = nullptr;
  };

  explicit MetricStore(const StoreOptions& options);

  // ---- Hot path. `series` is the fixed-label series index (mixed radix over
  // the family's fixed labels, the last varying fastest); `label_slot` is the
  // slot of the family's engine-valued labels (from labels()), or 0.
  void count(nq_thread_slot slot, FamilyId id, uint32_t series, uint64_t n = 1,
             uint32_t label_slot = 0) noexcept {
    const Layout& l = layout(id);
    l.arena->add(slot, cell(l, label_slot, series), n);
  }
  void add(nq_thread_slot slot, FamilyId id, uint32_t series, int64_t delta,
           uint32_t label_slot = 0) noexcept {
    count(slot, id, series, static_cast<uint64_t>(delta), label_slot);
  }
  // Returns the classic bucket the value went to (bucket_count: +Inf).
  uint32_t observe(nq_thread_slot slot, FamilyId id, uint32_t series, uint64_t value_ns,
                   uint32_t label_slot = 0) noexcept {
    const Layout& l = layout(id);
    return observe_at(l.arena->row(slot), l, cell(l, label_slot, series), value_ns);
  }
  // The same for families without engine-valued labels, in the calling
  // thread's row of them (fixed_row(slot), or a typed row of with_rows()):
  // an event that records several takes the row once.
  using Row = CellArena::Row;
  Row fixed_row(nq_thread_slot slot) const noexcept { return fixed_cells_->row(slot); }
  template <CellRow R>
  void count(R row, FamilyId id, uint32_t series, uint64_t n = 1) noexcept {
    row.add(cell(layout(id), 0, series), n);
  }
  template <CellRow R>
  void add(R row, FamilyId id, uint32_t series, int64_t delta) noexcept {
    count(row, id, series, static_cast<uint64_t>(delta));
  }
  template <CellRow R>
  uint32_t observe(R row, FamilyId id, uint32_t series, uint64_t value_ns) noexcept {
    const Layout& l = layout(id);
    return observe_at(row, l, cell(l, 0, series), value_ns);
  }
  // The calling thread's row of the families of the spaces with thread rows
  // (database, user, application), added to at a label slot (LabelledCells).
  template <CellRow R>
  struct ContextRow {
    R row;
  };
  // Calls visit(fixed, context) with the calling thread's row of the
  // fixed-label families and its ContextRow, both typed by their kind
  // (owned by the slot, or the shared ones), so that the adds of an event
  // that records many are compiled without a test of the kind each.
  template <typename Visit>
  [[gnu::always_inline]] void with_rows(nq_thread_slot slot, Visit&& visit) noexcept {
    using Owned = CellArena::TypedRow<true>;
    using Shared = CellArena::TypedRow<false>;
    if (slot < fixed_cells_->exclusive_slots()) {
      visit(fixed_cells_->owned_row(slot), ContextRow<Owned>{context_cells_->owned_row(slot)});
    } else {
      visit(fixed_cells_->shared_row(), ContextRow<Shared>{context_cells_->shared_row()});
    }
  }
  // Cells resolved once (the layout never changes after construction), for
  // a hook that records the same series on every event: adding through them
  // computes nothing from the family's layout. A SeriesCell is a series of a
  // family without engine-valued labels (in a fixed row); LabelledCells are
  // a series of a family of a context space, whose cell at label slot s is
  // first + s * per_label (in a ContextRow).
  struct SeriesCell {
    uint32_t index = 0;
  };
  struct LabelledCells {
    uint32_t first = 0;
    uint32_t per_label = 0;
  };
  SeriesCell series_cell(FamilyId id, uint32_t series) const noexcept {
    return {cell(layout(id), 0, series)};
  }
  LabelledCells labelled_cells(FamilyId id, uint32_t series) const noexcept {
    const Layout& l = layout(id);
    return {cell(l, 0, series), l.fixed_series * l.cells_per_series};
  }
  template <CellRow R>
  void count(R row, SeriesCell at, uint64_t n = 1) noexcept {
    row.add(at.index, n);
  }
  template <CellRow R>
  void add(R row, SeriesCell at, int64_t delta) noexcept {
    row.add(at.index, static_cast<uint64_t>(delta));
  }
  template <CellRow R>
  void count(ContextRow<R> at, LabelledCells cells, uint32_t label_slot, uint64_t n) noexcept {
    at.row.add(cells.first + label_slot * cells.per_label, n);
  }
  // Histograms: `id` is the family the cell was resolved from (its buckets).
  template <CellRow R>
  uint32_t observe(R row, FamilyId id, SeriesCell at, uint64_t value_ns) noexcept {
    return observe_at(row, layout(id), at.index, value_ns);
  }
  template <CellRow R>
  uint32_t observe(ContextRow<R> at, FamilyId id, LabelledCells cells, uint32_t label_slot,
                   uint64_t value_ns) noexcept {
    return observe_at(at.row, layout(id), cells.first + label_slot * cells.per_label, value_ns);
  }
  // The same when the value's classic bucket is known: `bucket`, returned by
  // observe() of a family with the same bounds (same_buckets()).
  template <CellRow R>
  void observe_in_bucket(ContextRow<R> at, FamilyId id, LabelledCells cells, uint32_t label_slot,
                         uint32_t bucket, uint64_t value_ns) noexcept {
    add_observation(at.row, layout(id), cells.first + label_slot * cells.per_label, bucket,
                    value_ns);
  }
  // True when two histogram families have the same classic bounds.
  bool same_buckets(FamilyId a, FamilyId b) const noexcept {
    return layout(a).bounds == layout(b).bounds;
  }
  // The same for a family with engine-valued labels, at `where` (label_ref()).
  void count(nq_thread_slot slot, FamilyId id, uint32_t series, uint64_t n,
             LabelRef where) noexcept {
    if (where.cells == nullptr) return count(slot, id, series, n, where.slot);
    const Layout& l = layout(id);
    add_owned(where.cells[l.cache_first + series * l.cells_per_series], n);
  }
  void add(nq_thread_slot slot, FamilyId id, uint32_t series, int64_t delta,
           LabelRef where) noexcept {
    count(slot, id, series, static_cast<uint64_t>(delta), where);
  }
  uint32_t observe(nq_thread_slot slot, FamilyId id, uint32_t series, uint64_t value_ns,
                   LabelRef where) noexcept;
  // Where to count an event whose engine-valued labels in `space` the engine
  // sent as `raw` (its bytes, in an encoding of the caller's that tells apart
  // every list of parts). A value the thread's cache holds is found by its raw
  // bytes; otherwise resolve() (sanitizing, then the table) gives its slot,
  // which the cache then remembers unless it is the overflow slot.
  template <typename Resolve>
  [[gnu::always_inline]] LabelRef label_ref(nq_thread_slot slot, LabelSpaceId space,
                                            std::string_view raw, Resolve&& resolve) noexcept;
  // Makes a traced event the exemplar of a bucket (counters: 0) of a series
  // of a family in kExemplarFamilies; `value` in the family's recorded unit.
  void record_exemplar(FamilyId id, uint32_t series, uint32_t bucket, const TraceContext& trace,
                       uint64_t value, uint32_t label_slot = 0) noexcept {
    const Layout& l = layout(id);
    exemplars_->record(exemplar_cell(l, label_slot, series) + bucket, trace, value);
  }
  void set(FamilyId id, uint32_t series, double value) noexcept;
  // Counts an event of `id` whose engine-valued labels went to __other__.
  void count_overflow(nq_thread_slot slot, FamilyId id) noexcept {
    count(slot, FamilyId::plugin_label_overflow_total, overflow_index_[static_cast<size_t>(id)]);
  }

  LabelTable& labels(LabelSpaceId space) noexcept { return *tables_[static_cast<size_t>(space)]; }
  uint32_t exclusive_slots() const noexcept { return fixed_cells_->exclusive_slots(); }
  const LabelTable& labels_const(LabelSpaceId space) const noexcept {
    return *tables_[static_cast<size_t>(space)];
  }

  // ---- Scrape side. Collects every family into the store's model, kept
  // from one scrape to the next and refilled in place (a scrape allocates
  // only when series were added), and returns it with the scrape lock held:
  // the serializer reads it while the Collected lives, then lets go.
  class Collected {
   public:
    const CollectedMetrics& metrics() const noexcept { return metrics_; }

   private:
    friend class MetricStore;
    Collected(std::unique_lock<std::mutex> lock, const CollectedMetrics& metrics)
        : lock_(std::move(lock)), metrics_(metrics) {}
    std::unique_lock<std::mutex> lock_;
    const CollectedMetrics& metrics_;
  };
  Collected collect(const PluginIdentity& identity, const ScrapeClock& clock = {});

  size_t memory_bytes() const noexcept;

  // ---- Hot reload (see metric_store_state.cpp). export_state() encodes what
  // changed since its previous call (everything the first time) and holds
  // back the folding and eviction of label slots until reset_export(), so
  // that series keep their identity between the two exports of a reload.
  // import_state() adds an exported state to this store; it may run while
  // hooks record, and checks the whole state before it adds anything.
  std::string export_state();
  bool import_state(std::string_view state, std::string& error);
  void reset_export();

 private:
  struct Layout {
    CellArena* arena = nullptr;
    uint32_t first_cell = 0;
    uint32_t cells_per_series = 1;  // histograms: buckets, +Inf bucket, sum[, native]
    uint32_t fixed_series = 1;
    uint32_t bucket_count = 0;
    bool thread_rows = false;  // in context_cells_: exposed minus the baseline
    uint64_t bounds_ns[kMaxBuckets] = {};
    // By bit width w of a value (0..64): the first bucket whose bound is at
    // least 2^(w-1) (w = 0: the first bucket), so that a value's bucket lies
    // between the entries of its width and the next (65: bucket_count).
    uint8_t first_bucket_of_width[66] = {};
    std::vector<double> bounds;  // the same bounds, in seconds, for exposition
    // Native buckets, after the classic cells: the zero bucket, then the
    // buckets of index native_low..native_high (native_cells - 1 of them).
    uint32_t native_first = 0;
    uint32_t native_cells = 0;  // 0: none
    int32_t native_low = 0;
    int32_t native_high = 0;
    // Exemplar cells (kExemplarFamilies only): buckets + 1 per series, or 1.
    uint32_t exemplar_first = 0;
    uint32_t exemplars_per_series = 0;  // 0: none
    // The family's first cell in an entry of its space's LabelCache.
    uint32_t cache_first = 0;
  };
  // Where a cell of a LabelCache entry goes in the shared row: first + label
  // slot * block.
  struct DrainTarget {
    uint32_t first = 0;
    uint32_t block = 0;
  };

  const Layout& layout(FamilyId id) const noexcept { return layouts_[static_cast<size_t>(id)]; }
  static uint32_t cell(const Layout& l, uint32_t label_slot, uint32_t series) noexcept {
    return l.first_cell + (label_slot * l.fixed_series + series) * l.cells_per_series;
  }
  static uint32_t exemplar_cell(const Layout& l, uint32_t label_slot, uint32_t series) noexcept {
    return l.exemplar_first + (label_slot * l.fixed_series + series) * l.exemplars_per_series;
  }
  // Adds to a cell of the calling thread's LabelCache entry (its owner alone
  // writes it; release: drain() reads the entry's label after the cell).
  static void add_owned(std::atomic<uint64_t>& cell, uint64_t n) noexcept {
    add_owned_release(cell, n);
  }
  // Adds a value to the histogram series whose first cell is `base` in `row`.
  template <CellRow R>
  uint32_t observe_at(R row, const Layout& l, uint32_t base, uint64_t value_ns) noexcept {
    const uint32_t bucket = bucket_of(l, value_ns);
    add_observation(row, l, base, bucket, value_ns);
    return bucket;
  }
  template <CellRow R>
  void add_observation(R row, const Layout& l, uint32_t base, uint32_t bucket,
                       uint64_t value_ns) noexcept {
    row.add(base + bucket, 1);
    row.add(base + l.bucket_count + 1, value_ns);
    if (l.native_cells != 0) row.add(base + l.native_first + native_cell(l, value_ns), 1);
  }
  // The classic bucket of a value (bucket_count: +Inf).
  static uint32_t bucket_of(const Layout& l, uint64_t value_ns) noexcept {
    // Prometheus buckets are inclusive: the first bound >= the value. Only
    // the bounds between the value's power of two and the next are compared.
    const auto width = static_cast<uint32_t>(std::bit_width(value_ns));
    uint32_t bucket = l.first_bucket_of_width[width];
    const uint32_t last = l.first_bucket_of_width[width + 1];
    while (bucket < last && l.bounds_ns[bucket] < value_ns) ++bucket;
    return bucket;
  }
  // Moves what the thread caches of `space` counted into the shared row.
  void drain_cache(LabelSpaceId space);

  struct ScrapeContext {
    const PluginIdentity& identity;
    ScrapeClock clock;
    std::optional<ProcessSample> process;
  };
  struct LiveValue {
    std::string key;
    std::string payload;
    std::vector<uint32_t> slots;  // more than one only after a rare insert race
  };
  // The live values of a label space, refilled in place by scan_space().
  struct LiveValues {
    std::vector<LiveValue> values;  // [0, count) are this scan's
    size_t count = 0;
    std::vector<uint64_t> tags;  // of values[i], and the first slot it owns
    std::vector<uint32_t> first_slots;
    // By a hash of the tag (1 << kRecentTagBits buckets): 1 + the last slot whose
    // value had a tag of the bucket, 0 for none. Equal keys have equal tags,
    // so a slot whose bucket was not met within kProbeWindow slots before it
    // cannot hold a copy of a recent key, and is not compared with them.
    std::vector<uint32_t> recent_tags;
    std::span<const LiveValue> view() const { return {values.data(), count}; }
  };
  static constexpr uint32_t kRecentTagBits = 10;

  uint64_t exposed(const Layout& l, uint32_t label_slot, uint32_t series,
                   uint32_t c) const noexcept;
  void fold_slot(FamilyId id, uint32_t label_slot);
  void scan_space(LabelSpaceId space, LiveValues& live);
  // True when it evicted values.
  bool evict_coldest(LabelSpaceId space, std::span<const LiveValue> live);
  void collect_into(CollectedMetrics& collected, const PluginIdentity& identity,
                    const ScrapeClock& clock);
  // Calls visit(value, fixed_series, cells) for every series of an events
  // family: `value` is the engine-valued label value, nullptr for the fixed
  // series of a family without one and for "__other__"; cells(c) reads cell c.
  template <typename Visit>
  void for_each_event_series(const FamilyDef& def, std::span<const LiveValue> live,
                             Visit&& visit) const;
  // Refills `out` (the family's model from the previous scrape, or empty);
  // clears the text label block of each series whose labels changed.
  void collect_family(const FamilyDef& def, const ScrapeContext& context,
                      std::span<const LiveValue> live, prometheus::MetricFamily& out,
                      std::vector<NativeHistogram>& native, std::vector<Exemplar>& exemplars,
                      std::vector<std::string>& label_blocks) const;
  // Appends the exemplars of a series whose label slots are `label_slots`
  // (per bucket, the first slot's that holds one).
  void collect_exemplars(const FamilyDef& def, const ScrapeClock& clock,
                         std::span<const uint32_t> label_slots, uint32_t series,
                         std::vector<Exemplar>& out) const;
  // Fills `out` from the native cells of a series (`cells` as in visit).
  template <typename Cells>
  void fill_native(const Layout& l, Cells&& cells, NativeHistogram& out) const;
  // The native cell of a value (relative to native_first).
  uint32_t native_cell(const Layout& l, uint64_t value_ns) const noexcept;
  // The native cell that counts bucket `index` of `schema` (a hot-reload
  // state's): the same bucket, the lower-resolution bucket holding it, or the
  // bucket holding its upper bound when this store's schema is finer.
  uint32_t native_cell_of_bucket(const Layout& l, int32_t index, int32_t schema) const noexcept;

  NativeHistogramOptions native_;
  NativeIndexer native_indexer_;
  std::array<Layout, kFamilyCount> layouts_;  // in the store: no pointer to load
  std::array<uint32_t, kFamilyCount> overflow_index_{};
  // The event families recorded with each label space's values.
  std::array<std::vector<FamilyId>, kLabelSpaceCount> families_by_space_;
  std::array<std::unique_ptr<LabelTable>, kLabelSpaceCount> tables_;
  std::unique_ptr<CellArena> fixed_cells_;            // thread rows
  std::unique_ptr<CellArena> labeled_cells_;          // one shared row
  std::unique_ptr<CellArena> context_cells_;          // thread rows, engine-valued labels
  std::unique_ptr<std::atomic<uint64_t>[]> samples_;  // doubles, by sampled-gauge series
  std::unique_ptr<ExemplarCells> exemplars_;
  std::array<std::unique_ptr<LabelCache>, kLabelSpaceCount> caches_;      // null: none
  std::array<std::vector<DrainTarget>, kLabelSpaceCount> drain_targets_;  // by entry cell

  bool import_records(std::string_view state, bool apply, std::string& error);

  std::mutex scrape_mutex_;  // guards everything below; scrape side only
  CollectedMetrics snapshot_;
  std::array<LiveValues, kLabelSpaceCount> live_;
  bool exporting_ = false;
  std::unordered_map<std::string, std::vector<uint64_t>> exported_;  // by series: cells sent
  // Per family with engine-valued labels, per fixed series and cell: what
  // freed or evicted label slots counted, exposed in the "__other__" series.
  std::array<std::vector<uint64_t>, kFamilyCount> other_;
  std::array<uint64_t, kLabelSpaceCount> overflow_seen_{};
  std::array<std::vector<double>, kLabelSpaceCount> credit_;  // space-saving inheritance
  // Per cell of context_cells_: what it held when its slot was last folded.
  std::vector<uint64_t> context_baseline_;
  // Per label space: its table's frees() at the last two scans that folded.
  std::array<std::array<uint64_t, 2>, kLabelSpaceCount> folded_frees_{};
};

template <typename Resolve>
inline MetricStore::LabelRef MetricStore::label_ref(nq_thread_slot slot, LabelSpaceId space,
                                                    std::string_view raw,
                                                    Resolve&& resolve) noexcept {
  LabelCache* cache = caches_[static_cast<size_t>(space)].get();
  if (cache == nullptr || slot >= cache->thread_slots() || raw.size() > LabelCache::kKeyBytes) {
    return {resolve()};
  }
  const LabelTable& table = labels_const(space);
  const uint64_t frees = table.frees();  // before resolve(): a free meanwhile makes it stale
  if (const LabelCache::Hit hit = cache->find(slot, raw, frees); hit.cells != nullptr) {
    return {hit.label, hit.cells};
  }
  const uint32_t label = resolve();
  return {label, label != table.overflow_slot() ? cache->claim(slot, raw, frees, label) : nullptr};
}

template <typename Visit>
inline void MetricStore::for_each_event_series(const FamilyDef& def,
                                               std::span<const LiveValue> live,
                                               Visit&& visit) const {
  const Layout& l = layout(def.id);
  if (def.space == LabelSpaceId::none) {
    for (uint32_t s = 0; s < l.fixed_series; ++s) {
      visit(nullptr, s, [&](uint32_t c) { return exposed(l, 0, s, c); });
    }
    return;
  }
  for (const LiveValue& v : live) {
    for (uint32_t s = 0; s < l.fixed_series; ++s) {
      visit(&v, s, [&](uint32_t c) {
        uint64_t total = 0;
        for (const uint32_t slot : v.slots) total += exposed(l, slot, s, c);
        return total;
      });
    }
  }
  const std::vector<uint64_t>& other = other_[static_cast<size_t>(def.id)];
  const uint32_t overflow = labels_const(def.space).overflow_slot();
  for (uint32_t s = 0; s < l.fixed_series; ++s) {
    visit(nullptr, s, [&](uint32_t c) {
      return exposed(l, overflow, s, c) + other[s * l.cells_per_series + c];
    });
  }
}

}  // namespace nq::metrics
