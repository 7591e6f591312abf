#include "store/label_cache.hpp"

#include <algorithm>
#include <bit>

namespace nq::metrics {
namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;

uint64_t word_at(const char* p) noexcept {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The last n (0..8) bytes of a value as one word, read within them (two
// overlapping halves, or three bytes): equal lengths and words mean equal bytes.
uint64_t tail_word(const char* p, size_t n) noexcept {
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

// A hash of a short value for picking its window; its top bits are the mixed
// ones. Fast, not collision-resistant: entries compare the bytes anyway.
uint64_t hash_of(std::string_view raw) noexcept {
  uint64_t h = (raw.size() + 1) * kMul;
  size_t i = 0;
  for (; i + 8 <= raw.size(); i += 8) h = (h ^ word_at(raw.data() + i)) * kMul;
  return (h ^ tail_word(raw.data() + i, raw.size() - i)) * kMul;
}

bool same_bytes(const char* a, const char* b, size_t n) noexcept {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (word_at(a + i) != word_at(b + i)) return false;
  }
  return tail_word(a + i, n - i) == tail_word(b + i, n - i);
}

}  // namespace

LabelCache::LabelCache(uint32_t thread_slots, uint32_t entries, uint32_t cells)
    : thread_slots_(thread_slots),
      entries_(std::bit_ceil(std::max<uint32_t>(entries, kWindow))),
      cells_(cells),
      row_cells_(LineAlignedCells::whole_lines(uint64_t{entries_} * cells)),
      entries_of_(new Entry[size_t{thread_slots} * entries_]),
      storage_(2 * size_t{thread_slots} * row_cells_),
      cells_of_(storage_.data()),
      drained_of_(cells_of_ + size_t{thread_slots} * row_cells_) {}

size_t LabelCache::memory_bytes() const noexcept {
  return sizeof(Entry) * thread_slots_ * entries_ + storage_.memory_bytes();
}

bool LabelCache::settled(uint32_t at) const noexcept {
  const std::atomic<uint64_t>* now = cells(at);
  const std::atomic<uint64_t>* done = drained(at);
  for (uint32_t c = 0; c < cells_; ++c) {
    if (now[c].load(std::memory_order_relaxed) != done[c].load(std::memory_order_acquire)) {
      return false;
    }
  }
  return true;
}

std::atomic<uint64_t>* LabelCache::find(uint32_t thread, std::string_view raw, uint64_t frees,
                                        uint32_t& label, Lookup& lookup) noexcept {
  lookup.thread = thread;
  lookup.hash = hash_of(raw);
  lookup.first = static_cast<uint32_t>(lookup.hash >> (64 - std::countr_zero(entries_)));
  lookup.found = kNoLabel;
  for (uint32_t i = 0; i < kWindow; ++i) {
    const uint32_t at = index(thread, (lookup.first + i) & (entries_ - 1));
    const Entry& e = entries_of_[at];
    if (e.hash != lookup.hash || e.key_len != raw.size() ||
        !same_bytes(e.key, raw.data(), raw.size())) {
      continue;
    }
    const uint32_t remembered = e.label.load(std::memory_order_relaxed);
    if (remembered == kNoLabel) continue;
    lookup.found = at;
    if (e.frees != frees) return nullptr;  // the table freed a slot since: ask it again
    label = remembered;
    return cells(at);
  }
  return nullptr;
}

std::atomic<uint64_t>* LabelCache::claim(const Lookup& lookup, std::string_view raw, uint64_t frees,
                                         uint32_t label) noexcept {
  if (lookup.found != kNoLabel) {
    Entry& e = entries_of_[lookup.found];
    if (e.label.load(std::memory_order_relaxed) != label) {
      if (!settled(lookup.found)) return nullptr;  // its counts wait for the next drain
      e.label.store(label, std::memory_order_relaxed);
    }
    e.frees = frees;
    return cells(lookup.found);
  }
  for (uint32_t i = 0; i < kWindow; ++i) {
    const uint32_t at = index(lookup.thread, (lookup.first + i) & (entries_ - 1));
    Entry& e = entries_of_[at];
    if (e.label.load(std::memory_order_relaxed) != kNoLabel && !settled(at)) continue;
    e.label.store(label, std::memory_order_relaxed);
    e.key_len = static_cast<uint32_t>(raw.size());
    e.frees = frees;
    e.hash = lookup.hash;
    std::memcpy(e.key, raw.data(), raw.size());
    return cells(at);
  }
  return nullptr;
}

}  // namespace nq::metrics
