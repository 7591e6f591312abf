#include "label_table.hpp"

#include <cstring>

namespace nq::metrics {
namespace {

constexpr uint64_t kEmpty = 0;
constexpr uint64_t kTombstone = 1;
constexpr uint64_t kWriting = uint64_t{1} << 63;
constexpr uint64_t kReady = uint64_t{1} << 62;
constexpr uint64_t kTagMask = (uint64_t{1} << 62) - 1;
constexpr int kWriterWaitSpins = 1024;

// The part of the hash kept in an entry's state; never 0 or 1.
uint64_t tag_of(uint64_t hash) noexcept {
  return (hash & kTagMask) | 2;
}

uint32_t words_for(size_t bytes) {
  return static_cast<uint32_t>((bytes + 7) / 8);
}

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

LabelTable::LabelTable(uint32_t capacity, uint32_t payload_bytes)
    : capacity_(capacity),
      table_size_(std::max<uint32_t>(kProbeWindow, capacity + capacity / 2)),
      key_words_(words_for(kMaxKeyBytes)),
      words_per_entry_(key_words_ + words_for(payload_bytes)),
      entries_(new Entry[table_size_]),
      words_(new std::atomic<uint64_t>[size_t{table_size_} * words_per_entry_]) {}

bool LabelTable::key_matches(uint32_t slot, uint64_t state, std::string_view key) const noexcept {
  const Entry& e = entries_[slot];
  if (e.key_len.load(std::memory_order_acquire) != key.size()) return false;
  const std::atomic<uint64_t>* words = &words_[size_t{slot} * words_per_entry_];
  for (size_t i = 0, w = 0; i < key.size(); i += 8, ++w) {
    uint64_t expected = 0;
    std::memcpy(&expected, key.data() + i, std::min<size_t>(8, key.size() - i));
    if (words[w].load(std::memory_order_acquire) != expected) return false;
  }
  // Still the same entry after reading it: the comparison saw a stable key.
  return e.state.load(std::memory_order_relaxed) == state;
}

uint32_t LabelTable::probe(std::string_view key, uint64_t tag,
                           uint32_t& first_free) const noexcept {
  // The home slot: 32 bits of the tag scaled to the table (no power-of-two
  // rounding, so the table is only as large as the load factor asks).
  const auto home =
      static_cast<uint32_t>((uint64_t{static_cast<uint32_t>(tag >> 20)} * table_size_) >> 32);
  first_free = overflow_slot();
  for (uint32_t i = 0, slot = home; i < kProbeWindow;
       ++i, slot = slot + 1 == table_size_ ? 0 : slot + 1) {
    const Entry& e = entries_[slot];
    uint64_t state = e.state.load(std::memory_order_acquire);
    if (state == kEmpty) {
      if (first_free == overflow_slot()) first_free = slot;
      return overflow_slot();  // keys are never stored past an empty entry
    }
    if (state == kTombstone) {
      if (first_free == overflow_slot()) first_free = slot;
      continue;
    }
    if ((state & kTagMask) != tag) continue;
    for (int spin = 0; (state & kWriting) != 0 && spin < kWriterWaitSpins; ++spin) {
      cpu_relax();  // another thread is writing this very key: a few ns
      state = e.state.load(std::memory_order_acquire);
    }
    if ((state & kReady) != 0 && (state & kTagMask) == tag && key_matches(slot, state, key)) {
      return slot;
    }
  }
  return overflow_slot();
}

uint32_t LabelTable::find(std::string_view key) const noexcept {
  uint32_t first_free;
  return probe(key, tag_of(hash_bytes(key)), first_free);
}

uint32_t LabelTable::find_or_insert(std::string_view key, std::string_view payload) noexcept {
  const uint64_t tag = tag_of(hash_bytes(key));
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint32_t slot = overflow_slot();
    const uint32_t found = probe(key, tag, slot);
    if (found != overflow_slot()) return found;
    if (slot == overflow_slot()) return overflow_slot();  // probe window full
    if (live_.fetch_add(1, std::memory_order_relaxed) >= capacity_) {
      live_.fetch_sub(1, std::memory_order_relaxed);
      return overflow_slot();
    }
    Entry& e = entries_[slot];
    uint64_t seen = e.state.load(std::memory_order_relaxed);
    if ((seen == kEmpty || seen == kTombstone) &&
        e.state.compare_exchange_strong(seen, kWriting | tag, std::memory_order_acq_rel)) {
      const std::string_view kept = payload.substr(
          0, std::min<size_t>(payload.size(), size_t{words_per_entry_ - key_words_} * 8));
      e.key_len.store(static_cast<uint32_t>(key.size()), std::memory_order_relaxed);
      e.payload_len.store(static_cast<uint32_t>(kept.size()), std::memory_order_relaxed);
      store_bytes(slot, 0, key);
      store_bytes(slot, key_words_, kept);
      e.state.store(kReady | tag, std::memory_order_release);
      return slot;
    }
    live_.fetch_sub(1, std::memory_order_relaxed);  // lost the race: look again
  }
  return overflow_slot();
}

bool LabelTable::free_slot(uint32_t slot, uint64_t expected) noexcept {
  if (!entries_[slot].state.compare_exchange_strong(expected, kTombstone,
                                                    std::memory_order_acq_rel)) {
    return false;
  }
  live_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool LabelTable::erase(std::string_view key) noexcept {
  const uint32_t slot = find(key);
  if (slot == overflow_slot()) return false;
  return free_slot(slot, entries_[slot].state.load(std::memory_order_acquire));
}

bool LabelTable::evict(uint32_t slot) noexcept {
  const uint64_t state = entries_[slot].state.load(std::memory_order_acquire);
  return (state & kReady) != 0 && free_slot(slot, state);
}

void LabelTable::store_bytes(uint32_t slot, uint32_t word_offset, std::string_view bytes) noexcept {
  std::atomic<uint64_t>* words = &words_[size_t{slot} * words_per_entry_ + word_offset];
  for (size_t i = 0, w = 0; i < bytes.size(); i += 8, ++w) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, std::min<size_t>(8, bytes.size() - i));
    words[w].store(word, std::memory_order_relaxed);
  }
}

void LabelTable::load_bytes(uint32_t slot, uint32_t word_offset, uint32_t len,
                            std::string& out) const {
  const std::atomic<uint64_t>* words = &words_[size_t{slot} * words_per_entry_ + word_offset];
  out.resize(len);
  for (size_t i = 0, w = 0; i < len; i += 8, ++w) {
    const uint64_t word = words[w].load(std::memory_order_acquire);
    std::memcpy(out.data() + i, &word, std::min<size_t>(8, len - i));
  }
}

LabelTable::SlotState LabelTable::read_slot(uint32_t slot, std::string& key, std::string& payload,
                                            uint64_t* key_tag) const {
  const Entry& e = entries_[slot];
  for (;;) {
    const uint64_t state = e.state.load(std::memory_order_acquire);
    if ((state & kReady) == 0) return SlotState::free;  // empty, tombstone or being written
    load_bytes(slot, 0,
               std::min<uint32_t>(e.key_len.load(std::memory_order_acquire), key_words_ * 8), key);
    load_bytes(slot, key_words_,
               std::min<uint32_t>(e.payload_len.load(std::memory_order_acquire),
                                  (words_per_entry_ - key_words_) * 8),
               payload);
    if (e.state.load(std::memory_order_relaxed) == state) {
      if (key_tag != nullptr) *key_tag = state & kTagMask;
      return SlotState::live;
    }
  }
}

}  // namespace nq::metrics
