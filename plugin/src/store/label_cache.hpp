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

  // What find() found: the entry's cells (nullptr: no entry) and its label.
  struct Hit {
    std::atomic<uint64_t>* cells = nullptr;
    uint32_t label = kNoLabel;
  };

  // Owner side. The entry of `thread` that remembers `raw` (at most
  // kKeyBytes) from when the table's frees() was `frees`.
  [[gnu::always_inline]] Hit find(uint32_t thread, std::string_view raw,
                                  uint64_t frees) const noexcept;
  // Owner side, after the table gave `raw` (at most kKeyBytes) the slot
  // `label` (its frees() read before it was asked): remembers it in the
  // entry that holds these bytes or in a free or settled entry of its window,
  // and returns that entry's cells; nullptr when none could take it.
  std::atomic<uint64_t>* claim(uint32_t thread, std::string_view raw, uint64_t frees,
                               uint32_t label) noexcept;

  // Scrape side: for every claimed entry and every cell that gained since the
  // last drain, calls move(label, cell, gain), then marks the gain drained.
  template <typename Move>
  void drain(Move&& move);

 private:
  static constexpr size_t kKeyWords = kKeyBytes / 8 + 1;

  // A raw value as entries hold it: its whole words, then the bytes left as
  // one tail word (tail_word()); equal lengths and words mean equal bytes.
  struct Key {
    std::string_view raw;
    size_t whole;   // whole words
    uint64_t tail;  // words[whole]
    uint64_t hash;  // its top bits pick the window
  };
  struct alignas(64) Entry {
    std::atomic<uint32_t> label{kNoLabel};  // written by the owner, read by drain()
    uint32_t key_len = 0;                   // the rest: owner only
    uint64_t frees = 0;
    uint64_t words[kKeyWords] = {};  // [0, whole] of the key
  };
  static_assert(sizeof(Entry) == 64);

  static uint64_t word_at(const char* p) noexcept {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  // The last n (0..7) bytes of a value as one word, read within them (two
  // overlapping halves, or three bytes).
  static uint64_t tail_word(const char* p, size_t n) noexcept {
    if (n >= 4) {
      uint32_t head, tail;
      std::memcpy(&head, p, 4);
      std::memcpy(&tail, p + n - 4, 4);
      return uint64_t{head} << 32 | tail;
    }
    if (n == 0) return 0;
    return uint64_t{static_cast<uint8_t>(p[0])} << 16 |
           uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 | static_cast<uint8_t>(p[n - 1]);
  }
  // Fast, not collision-resistant (entries compare the words anyway); its top
  // bits are the mixed ones.
  static Key key_of(std::string_view raw) noexcept {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
    const size_t whole = raw.size() / 8;
    Key key{raw, whole, tail_word(raw.data() + whole * 8, raw.size() % 8), 0};
    uint64_t h = (raw.size() + 1) * kMul;
    for (size_t w = 0; w < whole; ++w) h = (h ^ word_at(raw.data() + w * 8)) * kMul;
    key.hash = (h ^ key.tail) * kMul;
    return key;
  }
  static bool holds(const Entry& e, const Key& key) noexcept {
    if (e.key_len != key.raw.size() || e.words[key.whole] != key.tail) return false;
    for (size_t w = 0; w < key.whole; ++w) {
      if (e.words[w] != word_at(key.raw.data() + w * 8)) return false;
    }
    return true;
  }

  // Where a key's window starts among its thread's entries.
  uint32_t window(const Key& key) const noexcept {
    return static_cast<uint32_t>(key.hash >> window_shift_);
  }
  // Entries are numbered thread after thread: this is the number of the i-th
  // entry of `thread`'s window that starts at its entry `first`.
  uint32_t nth(uint32_t thread, uint32_t first, uint32_t i) const noexcept {
    return thread * entries_ + ((first + i) & (entries_ - 1));
  }
  // Each thread's cells start on a line of their own: entries_ (a multiple
  // of kWindow) times cells_ is a whole number of lines.
  static_assert(kWindow % LineAlignedCells::kCellsPerLine == 0);
  std::atomic<uint64_t>* cells(uint32_t at) const noexcept {
    return cells_of_ + size_t{at} * cells_;
  }
  std::atomic<uint64_t>* drained(uint32_t at) const noexcept {
    return drained_of_ + size_t{at} * cells_;
  }
  bool settled(uint32_t at) const noexcept;

  const uint32_t thread_slots_;
  const uint32_t entries_;       // per thread slot
  const uint32_t window_shift_;  // 64 - log2(entries_)
  const uint32_t cells_;         // per entry
  std::unique_ptr<Entry[]> entries_of_;
  LineAlignedCells storage_;                 // both cell arrays
  std::atomic<uint64_t>* const cells_of_;    // owner adds
  std::atomic<uint64_t>* const drained_of_;  // drain() writes
};

inline LabelCache::Hit LabelCache::find(uint32_t thread, std::string_view raw,
                                        uint64_t frees) const noexcept {
  const Key key = key_of(raw);
  const uint32_t first = window(key);
  for (uint32_t i = 0; i < kWindow; ++i) {
    const uint32_t at = nth(thread, first, i);
    const Entry& e = entries_of_[at];
    if (!holds(e, key)) continue;
    const uint32_t label = e.label.load(std::memory_order_relaxed);
    if (label == kNoLabel) continue;  // never claimed (its key is empty)
    if (e.frees != frees) return {};  // the table freed a slot since: ask it again
    return {cells(at), label};
  }
  return {};
}

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
