// MetricStore's upkeep of its bounded label spaces, once per scrape: moving
// what the threads' label caches counted into the shared row, reading
// the live values of a space (a key that owns two slots is one value),
// folding what freed slots counted into __other__, and, for a top-K space
// that turned newcomers away, evicting its coldest values (space-saving).
//
// Thread-safety: called by collect() only, under the scrape mutex; hook
// threads keep inserting and counting meanwhile (label_table.hpp says what
// a reader of a slot may see).
#include <algorithm>
#include <utility>
#include <vector>

#include "store/metric_store.hpp"

namespace nq::metrics {
namespace {

constexpr uint32_t kEvictionShare = 20;  // a top-K space frees up to 1/20 of its values a scrape

bool records_events_with_labels(const FamilyDef& def, LabelSpaceId space) {
  return def.space == space && def.source == Source::events;
}

}  // namespace

void MetricStore::fold_slot(FamilyId id, uint32_t label_slot) {
  const Layout& l = layout(id);
  std::vector<uint64_t>& other = other_[static_cast<size_t>(id)];
  // The slot's next value must not show this one's traces.
  for (uint32_t e = 0; e < l.fixed_series * l.exemplars_per_series; ++e) {
    exemplars_->clear(exemplar_cell(l, label_slot, 0) + e);
  }
  for (uint32_t s = 0; s < l.fixed_series; ++s) {
    for (uint32_t c = 0; c < l.cells_per_series; ++c) {
      const uint32_t at = cell(l, label_slot, s) + c;
      if (l.thread_rows) {
        // Thread rows cannot be taken (their owners add with plain stores):
        // what the cell holds now goes to __other__ and becomes its baseline,
        // so the slot's next value starts from 0 and the sum is conserved.
        const uint64_t now = context_cells_->sum(at);
        other[s * l.cells_per_series + c] += now - context_baseline_[at];
        context_baseline_[at] = now;
      } else {
        // Labeled cells live in the shared row (atomic adds): taking the value
        // loses no concurrent increment.
        other[s * l.cells_per_series + c] += labeled_cells_->take(at);
      }
    }
  }
}

void MetricStore::scan_space(LabelSpaceId space, LiveValues& live) {
  // Everything the caches counted is in the shared row before a slot is read
  // or folded.
  drain_cache(space);
  LabelTable& table = labels(space);
  const auto& families = families_by_space_[static_cast<size_t>(space)];
  std::vector<LiveValue>& values = live.values;
  live.count = 0;
  live.tags.clear();
  live.first_slots.clear();
  // A key that owns two slots (see label_table.hpp) owns them within one
  // probe window: look for an equal key among the live values just before,
  // when one of them may have its tag.
  live.recent_tags.assign(size_t{1} << kRecentTagBits, 0);
  auto merge_into_recent = [&](uint32_t slot, const std::string& key, uint64_t tag) {
    constexpr uint64_t kMix = 0x9E3779B97F4A7C15ull;
    uint32_t& recent = live.recent_tags[(tag * kMix) >> (64 - kRecentTagBits)];
    const bool met = recent != 0 && slot - (recent - 1) < LabelTable::kProbeWindow;
    recent = slot + 1;
    if (!met) return false;
    for (size_t j = live.count; j-- > 0;) {
      if (slot - live.first_slots[j] >= LabelTable::kProbeWindow) break;
      if (live.tags[j] == tag && values[j].key == key) {
        values[j].slots.push_back(slot);
        return true;
      }
    }
    return false;
  };
  // Free slots are folded only when the table freed a slot since the scan
  // before the last one (frees() read before the scan): folding reads (or
  // takes) every cell of every family of the space, and most slots of a
  // table are free. Otherwise every free slot was free and folded at both
  // scans, and nothing counts in it since: an event counts only in a slot
  // it found live or remembered while the table freed none (a thread's
  // LabelCache entry too, drained above), and a call that raced with a free
  // ended long before the next scan.
  const uint64_t frees = table.frees();
  auto& seen = folded_frees_[static_cast<size_t>(space)];  // [0] last scan, [1] the one before
  const bool fold_free = frees != seen[0] || seen[0] != seen[1];
  uint64_t tag = 0;
  for (uint32_t slot = 0; slot < table.slot_count(); ++slot) {
    if (live.count == values.size()) values.emplace_back();
    LiveValue& v = values[live.count];  // read in place: its strings keep their capacity
    if (table.read_slot(slot, v.key, v.payload, &tag) == LabelTable::SlotState::live) {
      if (merge_into_recent(slot, v.key, tag)) continue;
      v.slots.assign(1, slot);
      live.tags.push_back(tag);
      live.first_slots.push_back(slot);
      ++live.count;
    } else if (!exporting_ && fold_free) {
      // Whatever a freed slot counted since the last scrape belongs to __other__.
      for (const FamilyId id : families) fold_slot(id, slot);
    }
  }
  if (!exporting_) seen = {frees, seen[0]};
  // Probe windows wrap around the end of the table.
  size_t wrapped = 0;
  while (wrapped < live.count && live.first_slots[wrapped] < LabelTable::kProbeWindow) ++wrapped;
  for (size_t i = live.count; i-- > wrapped;) {
    if (live.first_slots[i] + LabelTable::kProbeWindow < table.slot_count()) break;
    for (size_t j = 0; j < wrapped; ++j) {
      if (live.tags[j] == live.tags[i] && values[j].key == values[i].key) {
        values[j].slots.insert(values[j].slots.end(), values[i].slots.begin(),
                               values[i].slots.end());
        const auto at = static_cast<std::ptrdiff_t>(i);
        std::rotate(values.begin() + at, values.begin() + at + 1,
                    values.begin() + static_cast<std::ptrdiff_t>(live.count));
        live.tags.erase(live.tags.begin() + at);
        live.first_slots.erase(live.first_slots.begin() + at);
        --live.count;
        break;
      }
    }
  }
}

bool MetricStore::evict_coldest(LabelSpaceId space, std::span<const LiveValue> live) {
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
    return false;
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
  std::vector<uint32_t> evicted;
  for (size_t i = 0; i < evict; ++i) {
    const auto [rank, slot] = ranked[i];
    if (!table.evict(slot)) continue;
    credit[slot] = rank;
    evicted.push_back(slot);
  }
  // What the caches counted for the evicted values until the threads saw the
  // table free them goes with their slots to __other__.
  drain_cache(space);
  for (const uint32_t slot : evicted) {
    for (const FamilyId id : families_by_space_[static_cast<size_t>(space)]) fold_slot(id, slot);
  }
  return !evicted.empty();
}

}  // namespace nq::metrics
