// MetricStore's hand-over of state between two copies of the plugin.
//
// A state is a version number and a list of records, one per series that
// changed since the previous export. Series are named the way a newer plugin
// can still find them: family name, fixed label names and values, the
// engine-valued key (or "__other__") and histogram bounds; a series the
// importing copy does not know (family or label value removed) is skipped.
//
// Native histogram buckets follow the records' end marker, as records of
// their own (schema, zero threshold, zero count, populated buckets by index)
// and a second end marker: a copy that knows no native buckets stops reading
// at the first end and still takes the classic cells; a copy with another
// schema or zero threshold maps each bucket onto its own (see
// native_cell_of_bucket()).
#include <algorithm>
#include <optional>

#include "store/metric_store.hpp"
#include "store/state_codec.hpp"

namespace nq::metrics {
namespace {

constexpr uint32_t kStoreStateVersion = 1;

enum class RecordKind : uint8_t {
  end = 0,
  event_series = 1,
  sampled_gauge = 2,
  native_buckets = 3
};

const FamilyDef* family_named(std::string_view name) {
  for (const FamilyDef& def : catalogue()) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

void put_fixed_labels(StateWriter& w, const FamilyDef& def, uint32_t series) {
  w.put(static_cast<uint32_t>(def.labels.size()));
  for (size_t i = def.labels.size(); i-- > 0;) {
    const auto& values = def.labels[i].values;
    w.put_string(def.labels[i].name);
    w.put_string(values[series % values.size()]);
    series /= static_cast<uint32_t>(values.size());
  }
}

// Reads fixed labels written by put_fixed_labels (last label first) and
// returns the series index they name in `def`, if `def` has them all.
std::optional<uint32_t> get_fixed_labels(StateReader& r, const FamilyDef* def) {
  const auto count = r.get<uint32_t>();
  bool known = def != nullptr && count == def->labels.size();
  uint32_t series = 0, radix = 1;
  for (uint32_t k = 0; k < count && r.ok(); ++k) {
    const std::string_view name = r.get_string();
    const std::string_view value = r.get_string();
    if (!known) continue;
    const auto& dim = def->labels[def->labels.size() - 1 - k];
    const auto it = std::find(dim.values.begin(), dim.values.end(), value);
    if (dim.name != name || it == dim.values.end()) {
      known = false;
      continue;
    }
    series += static_cast<uint32_t>(it - dim.values.begin()) * radix;
    radix *= static_cast<uint32_t>(dim.values.size());
  }
  return known ? std::optional(series) : std::nullopt;
}

// The bucket of `bounds` that counts an observation of at most `upper`.
uint32_t bucket_for(std::span<const double> bounds, double upper) {
  return static_cast<uint32_t>(std::lower_bound(bounds.begin(), bounds.end(), upper) -
                               bounds.begin());
}

}  // namespace

std::string MetricStore::export_state() {
  std::lock_guard lock(scrape_mutex_);
  exporting_ = true;
  for (const LabelSpaceDef& space : label_spaces()) {
    if (space.id != LabelSpaceId::none) scan_space(space.id, live_[static_cast<size_t>(space.id)]);
  }
  StateWriter w;
  StateWriter native;  // the records after the end marker
  w.put(kStoreStateVersion);
  std::vector<uint64_t> now;
  for (const FamilyDef& def : catalogue()) {
    const Layout& l = layout(def.id);
    if (def.source == Source::samples) {
      for (uint32_t s = 0; s < l.fixed_series; ++s) {
        w.put(RecordKind::sampled_gauge);
        w.put_string(def.name);
        put_fixed_labels(w, def, s);
        w.put(samples_[l.first_cell + s].load(std::memory_order_relaxed));
      }
      continue;
    }
    if (def.source != Source::events) continue;
    for_each_event_series(
        def, live_[static_cast<size_t>(def.space)].view(),
        [&](const LiveValue* value, uint32_t s, auto&& cells) {
          const bool overflow = def.space != LabelSpaceId::none && value == nullptr;
          std::string id(def.name);
          id += '\x01';
          id += overflow           ? std::string_view(kOverflowLabelValue)
                : value != nullptr ? std::string_view(value->key)
                                   : std::string_view();
          id += '\x01';
          id += std::to_string(s);
          now.resize(l.cells_per_series);
          for (uint32_t c = 0; c < l.cells_per_series; ++c) now[c] = cells(c);
          std::vector<uint64_t>& sent = exported_[id];
          sent.resize(l.cells_per_series, 0);
          bool changed = false;
          for (uint32_t c = 0; c < l.cells_per_series; ++c) changed |= now[c] != sent[c];
          if (!changed) return;
          w.put(RecordKind::event_series);
          w.put_string(def.name);
          w.put(static_cast<uint8_t>(overflow));
          w.put_string(value != nullptr ? std::string_view(value->key) : std::string_view());
          w.put_string(value != nullptr ? std::string_view(value->payload) : std::string_view());
          put_fixed_labels(w, def, s);
          const uint32_t classic = l.native_cells != 0 ? l.native_first : l.cells_per_series;
          w.put(classic);
          for (uint32_t c = 0; c < classic; ++c) {
            // Two's complement difference: up/down gauges may have gone down.
            w.put(now[c] - sent[c]);
          }
          w.put(static_cast<uint32_t>(l.bounds.size()));
          for (const double bound : l.bounds) w.put(bound);
          if (l.native_cells != 0) {
            native.put(RecordKind::native_buckets);
            native.put_string(def.name);
            put_fixed_labels(native, def, s);
            native.put(native_indexer_.schema());
            native.put(native_.zero_threshold);
            const uint32_t zero = l.native_first;
            native.put(now[zero] - sent[zero]);
            uint32_t populated = 0;
            for (uint32_t c = zero + 1; c < l.cells_per_series; ++c) populated += now[c] != sent[c];
            native.put(populated);
            for (uint32_t c = zero + 1; c < l.cells_per_series; ++c) {
              if (now[c] == sent[c]) continue;
              native.put(l.native_low + static_cast<int32_t>(c - zero - 1));
              native.put(now[c] - sent[c]);
            }
          }
          for (uint32_t c = 0; c < l.cells_per_series; ++c) sent[c] = now[c];
        });
  }
  w.put(RecordKind::end);
  w.bytes() += native.bytes();
  w.put(RecordKind::end);
  return std::move(w.bytes());
}

void MetricStore::reset_export() {
  std::lock_guard lock(scrape_mutex_);
  exporting_ = false;
  exported_.clear();
}

bool MetricStore::import_state(std::string_view state, std::string& error) {
  std::lock_guard lock(scrape_mutex_);
  // Check everything first, so that a bad state changes nothing.
  return import_records(state, false, error) && import_records(state, true, error);
}

bool MetricStore::import_records(std::string_view state, bool apply, std::string& error) {
  StateReader r(state);
  const auto version = r.get<uint32_t>();
  if (r.ok() && version > kStoreStateVersion) {
    error = "the metric state is version " + std::to_string(version) +
            ", newer than this plugin reads (" + std::to_string(kStoreStateVersion) + ")";
    return false;
  }
  std::vector<uint64_t> cells;
  std::vector<double> bounds;
  for (;;) {
    const auto kind = r.get<RecordKind>();
    if (!r.ok() || kind == RecordKind::end) break;
    const FamilyDef* def = family_named(r.get_string());
    if (kind == RecordKind::sampled_gauge) {
      if (def != nullptr && def->source != Source::samples) def = nullptr;
      const std::optional<uint32_t> s = get_fixed_labels(r, def);
      const auto bits = r.get<uint64_t>();
      if (!apply || !s) continue;
      std::atomic<uint64_t>& sample = samples_[layout(def->id).first_cell + *s];
      uint64_t unset = 0;  // a value the engine sampled since the swap wins
      sample.compare_exchange_strong(unset, bits, std::memory_order_relaxed);
      continue;
    }
    if (kind != RecordKind::event_series) {
      error =
          "the metric state has an unknown record kind " + std::to_string(static_cast<int>(kind));
      return false;
    }
    if (def != nullptr && def->source != Source::events) def = nullptr;
    const bool overflow = r.get<uint8_t>() != 0;
    const std::string_view key = r.get_string();
    const std::string_view payload = r.get_string();
    const std::optional<uint32_t> s = get_fixed_labels(r, def);
    cells.resize(std::min<uint32_t>(r.get<uint32_t>(), kMaxBuckets + 2));
    for (uint64_t& c : cells) c = r.get<uint64_t>();
    bounds.resize(std::min<uint32_t>(r.get<uint32_t>(), kMaxBuckets));
    for (double& b : bounds) b = r.get<double>();
    if (!apply || !s || !r.ok()) continue;
    const Layout& l = layout(def->id);
    const bool labeled = def->space != LabelSpaceId::none;
    if (!labeled && (overflow || !key.empty())) continue;  // other shape
    uint32_t label_slot = 0;
    if (labeled) {
      // A key of fewer parts than the space has labels comes from a copy
      // before a leading label was added to it (ABI 1.2: digests became
      // (database, digest) pairs): the added labels are empty. An empty key
      // is the empty value (a statement without database, user...).
      const size_t parts = static_cast<size_t>(std::count(key.begin(), key.end(), '\0')) + 1;
      const size_t missing = label_space(def->space).labels.size() -
                             std::min(parts, label_space(def->space).labels.size());
      std::string padded(missing, '\0');
      padded += key;
      LabelTable& table = labels(def->space);
      label_slot = overflow ? table.overflow_slot() : table.find_or_insert(padded, payload);
    }
    const uint32_t first = cell(l, label_slot, *s);
    auto add = [&](uint32_t c, uint64_t n) {
      if (n != 0) l.arena->add(NQ_THREAD_SLOT_SHARED, first + c, n);
    };
    if (def->type != MetricType::histogram) {
      if (!cells.empty()) add(0, cells[0]);
      continue;
    }
    if (cells.size() != bounds.size() + 2) continue;
    // Buckets by bound: the same bounds map one to one; changed bounds put each
    // old bucket's count into the first new bucket that holds all of it.
    for (size_t b = 0; b <= bounds.size(); ++b) {
      const uint32_t to = b < bounds.size() ? bucket_for(l.bounds, bounds[b]) : l.bucket_count;
      add(to, cells[b]);
    }
    add(l.bucket_count + 1, cells.back());
  }
  // Native buckets, after the end marker (absent in states of older copies).
  while (r.ok() && !r.at_end()) {
    const auto kind = r.get<RecordKind>();
    if (!r.ok() || kind == RecordKind::end) break;
    if (kind != RecordKind::native_buckets) {
      error =
          "the metric state has an unknown record kind " + std::to_string(static_cast<int>(kind));
      return false;
    }
    const FamilyDef* def = family_named(r.get_string());
    const std::optional<uint32_t> s = get_fixed_labels(r, def);
    const auto schema = r.get<int32_t>();
    r.get<double>();  // the zero threshold: its count goes to this copy's zero bucket
    const auto zero = r.get<uint64_t>();
    const auto populated = r.get<uint32_t>();
    const Layout* l = s && r.ok() ? &layout(def->id) : nullptr;
    const bool known = l != nullptr && l->native_cells != 0 && schema >= kMinNativeSchema &&
                       schema <= kMaxNativeSchema;
    const uint32_t first = known ? cell(*l, 0, *s) + l->native_first : 0;
    if (apply && known && zero != 0) l->arena->add(NQ_THREAD_SLOT_SHARED, first, zero);
    for (uint32_t b = 0; b < populated && r.ok(); ++b) {
      const auto index = r.get<int32_t>();
      const auto n = r.get<uint64_t>();
      if (!apply || !known || !r.ok() || n == 0) continue;
      l->arena->add(NQ_THREAD_SLOT_SHARED, first + native_cell_of_bucket(*l, index, schema), n);
    }
  }
  if (!r.ok()) {
    error = "the metric state is truncated or corrupt";
    return false;
  }
  return true;
}

}  // namespace nq::metrics
