// Each exclusive thread slot's cache of the engine-valued label values it
// sends, for one label space: raw bytes -> label slot, with thread-owned cells.
//
// An entry remembers a value as the engine sent it (its raw bytes, before any
// sanitizing), the label slot the table gave its sanitized key, and the
// table's frees() at that time: while the table has freed no slot since, the
// value is found again by a hash and a compare of its raw bytes, without
// sanitizing, hashing the key or probing the table. An entry also owns a block
// of cells (every series of the space's families for one label value), which
// only its thread adds to, with plain stores: two threads sending the same
// value never write the same line.
//
// The scrape side moves those counts into the store's shared row (drain()):
// it adds what each cell gained since its last drain to the entry's label
// slot and remembers how much it moved (`drained`). Only the scrape side
// moves counts, so a scrape never sees a count twice or misses one, and the
// shared row, the only place read for exposition, never decreases. An entry
// takes another label (claim()) only when it is settled, i.e. every cell
// equals what was drained: nothing counted under its old label is pending.
// An unsettled entry that would have to change label is left alone; the
// event counts in the shared row, and the entry settles at the next scrape.
//
// Thread-safety: find() and claim() are called by the thread that owns
// `thread` only (no lock, no allocation, bounded work: kWindow entries);
// drain() by the scrape side only (single-threaded), concurrently with them.
// The owner stores an entry's label before the first add under it, and adds
// with release stores; drain() reads a cell with an acquire load and then
// the label, so a count it moves was made under the label it read.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "store/line_aligned_cells.hpp"

namespace nq::metrics {

class LabelCache {
 public:
  // Raw values longer than this are not cached (they take the table's way).
  static constexpr size_t kKeyBytes = 40;
  // Entries a value may sit in, from the one its hash picks.
  static constexpr uint32_t kWindow = 8;
  static constexpr uint32_t kNoLabel = UINT32_MAX;

  // `entries` per thread slot (rounded up to a power of two), `cells` per entry.
  LabelCache(uint32_t thread_slots, uint32_t entries, uint32_t cells);

  uint32_t thread_slots() const noexcept { return thread_slots_; }
  size_t memory_bytes() const noexcept;

  // Where a raw value was looked up: its window, and the entry holding it
  // (valid or stale), if any.
  struct Lookup {
    uint32_t thread = 0;
    uint32_t first = 0;         // first entry of the window
    uint32_t found = kNoLabel;  // the entry with these raw bytes, else kNoLabel
    uint64_t hash = 0;
  };

  // Owner side. The cells of the entry that remembers `raw` from when the
  // table's frees() was `frees`, its label in `label`; nullptr when no entry
  // does (`lookup` then tells claim() where to look).
  std::atomic<uint64_t>* find(uint32_t thread, std::string_view raw, uint64_t frees,
                              uint32_t& label, Lookup& lookup) noexcept;
  // Owner side, after the table gave `raw` the slot `label`: remembers it in
  // the entry that held it or in a free or settled entry of its window, and
  // returns that entry's cells; nullptr when none could take it.
  std::atomic<uint64_t>* claim(const Lookup& lookup, std::string_view raw, uint64_t frees,
                               uint32_t label) noexcept;

  // Scrape side: for every claimed entry and every cell that gained since the
  // last drain, calls move(label, cell, gain), then marks the gain drained.
  template <typename Move>
  void drain(Move&& move);

 private:
  struct alignas(64) Entry {
    std::atomic<uint32_t> label{kNoLabel};  // written by the owner, read by drain()
    uint32_t key_len = 0;                   // the rest: owner only
    uint64_t frees = 0;
    uint64_t hash = 0;
    char key[kKeyBytes] = {};
  };
  static_assert(sizeof(Entry) == 64);

  uint32_t index(uint32_t thread, uint32_t entry) const noexcept {
    return thread * entries_ + entry;
  }
  // Each thread's cells start on a line of their own.
  std::atomic<uint64_t>* cells(uint32_t at) const noexcept {
    return cells_of_ + size_t{at / entries_} * row_cells_ + size_t{at % entries_} * cells_;
  }
  std::atomic<uint64_t>* drained(uint32_t at) const noexcept {
    return drained_of_ + size_t{at / entries_} * row_cells_ + size_t{at % entries_} * cells_;
  }
  bool settled(uint32_t at) const noexcept;

  const uint32_t thread_slots_;
  const uint32_t entries_;    // per thread slot
  const uint32_t cells_;      // per entry
  const uint32_t row_cells_;  // per thread slot, a whole number of lines
  std::unique_ptr<Entry[]> entries_of_;
  LineAlignedCells storage_;                 // both cell arrays
  std::atomic<uint64_t>* const cells_of_;    // owner adds
  std::atomic<uint64_t>* const drained_of_;  // drain() writes
};

template <typename Move>
void LabelCache::drain(Move&& move) {
  for (uint32_t at = 0; at < thread_slots_ * entries_; ++at) {
    const std::atomic<uint32_t>& label = entries_of_[at].label;
    if (label.load(std::memory_order_relaxed) == kNoLabel) continue;  // never claimed
    std::atomic<uint64_t>* now = cells(at);
    std::atomic<uint64_t>* done = drained(at);
    for (uint32_t c = 0; c < cells_; ++c) {
      // The cell, then the label: the count read was made under that label
      // (the owner relabels only a settled entry, and this cell is not).
      const uint64_t value = now[c].load(std::memory_order_acquire);
      const uint64_t gain = value - done[c].load(std::memory_order_relaxed);
      if (gain == 0) continue;
      move(label.load(std::memory_order_relaxed), c, gain);
      done[c].store(value, std::memory_order_release);
    }
  }
}

}  // namespace nq::metrics
