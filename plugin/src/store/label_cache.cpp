#include "store/label_cache.hpp"

#include <algorithm>
#include <bit>

namespace nq::metrics {

LabelCache::LabelCache(uint32_t thread_slots, uint32_t entries, uint32_t cells)
    : thread_slots_(thread_slots),
      entries_(std::bit_ceil(std::max<uint32_t>(entries, kWindow))),
      window_shift_(64 - static_cast<uint32_t>(std::countr_zero(entries_))),
      cells_(cells),
      entries_of_(new Entry[size_t{thread_slots} * entries_]),
      storage_(2 * size_t{thread_slots} * entries_ * cells),
      cells_of_(storage_.data()),
      drained_of_(cells_of_ + size_t{thread_slots} * entries_ * cells) {}

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

std::atomic<uint64_t>* LabelCache::claim(uint32_t thread, std::string_view raw, uint64_t frees,
                                         uint32_t label) noexcept {
  const Key key = key_of(raw);
  const uint32_t first = window(key);
  // The entry that holds these bytes keeps them (find() saw it stale).
  for (uint32_t i = 0; i < kWindow; ++i) {
    const uint32_t at = nth(thread, first, i);
    Entry& e = entries_of_[at];
    const uint32_t held = e.label.load(std::memory_order_relaxed);
    if (held == kNoLabel || !holds(e, key)) continue;
    if (held != label) {
      if (!settled(at)) return nullptr;  // its counts wait for the next drain
      e.label.store(label, std::memory_order_relaxed);
    }
    e.frees = frees;
    return cells(at);
  }
  // A newcomer takes a free entry of the window, else the first settled one.
  // A settled entry may still be in use: a gauge's (WebSocket subscribers)
  // settles whenever its adds cancel out, so taking it before a free entry
  // would have values that fit in the cache evict each other, event after
  // event.
  constexpr uint32_t kNone = UINT32_MAX;
  uint32_t taken = kNone;
  for (uint32_t i = 0; i < kWindow; ++i) {
    const uint32_t at = nth(thread, first, i);
    if (entries_of_[at].label.load(std::memory_order_relaxed) == kNoLabel) {
      taken = at;
      break;
    }
    if (taken == kNone && settled(at)) taken = at;
  }
  if (taken == kNone) return nullptr;
  Entry& e = entries_of_[taken];
  e.label.store(label, std::memory_order_relaxed);
  e.key_len = static_cast<uint32_t>(raw.size());
  e.frees = frees;
  for (size_t w = 0; w < key.whole; ++w) e.words[w] = word_at(raw.data() + w * 8);
  e.words[key.whole] = key.tail;
  return cells(taken);
}

}  // namespace nq::metrics
