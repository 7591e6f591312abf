// A bounded, lock-free set of engine-valued label keys (query digests, table
// and index names, channels...), each owning one slot = one series index.
//
// At most `capacity` keys are live at once; a key that finds no room maps to
// overflow_slot(), the "__other__" series. The table never allocates after
// construction, whatever the engine sends.
//
// Thread-safety: find_or_insert(), find() and erase() are called from engine
// threads concurrently; they are lock-free, allocation-free and do a bounded
// amount of work (at most kProbeWindow entries, each compared in at most
// kMaxKeyBytes bytes). read_slot() and evict() are for the scrape side and may
// run concurrently with them; the scrape side itself is single-threaded.
// Each entry is a small seqlock: its key words are read with acquire loads
// and validated by re-reading the entry's state, so a reader never trusts a
// key that was being rewritten.
//
// In a rare race (an eviction during two concurrent inserts of one key) a key
// can own two slots, both within kProbeWindow slots of its home slot; the
// scrape side merges series with equal labels.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "label_value.hpp"

namespace nq::metrics {

class LabelTable {
 public:
  // A key has one or two parts (e.g. table and index), joined by a NUL byte
  // (label values never contain NUL, see label_value.hpp).
  static constexpr size_t kMaxKeyBytes = 2 * kMaxLabelValueBytes + 1;
  static constexpr uint32_t kProbeWindow = 64;

  // `payload_bytes`: room for a value stored with the key when it is inserted
  // (the normalized text of a query digest); 0 for none.
  LabelTable(uint32_t capacity, uint32_t payload_bytes);

  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t slot_count() const noexcept { return table_size_; }  // series [0, slot_count())
  uint32_t overflow_slot() const noexcept { return table_size_; }
  uint32_t live() const noexcept { return live_.load(std::memory_order_relaxed); }
  size_t memory_bytes() const noexcept {
    return table_size_ * (sizeof(Entry) + size_t{words_per_entry_} * 8);
  }

  // Hot path.
  uint32_t find_or_insert(std::string_view key, std::string_view payload = {}) noexcept;
  uint32_t find(std::string_view key) const noexcept;  // overflow_slot() when absent
  bool erase(std::string_view key) noexcept;           // frees the key's slot

  // Scrape side.
  enum class SlotState { free, live };
  // Copies the slot's key and payload when it is live, and its tag (a hash
  // of the key: equal keys have equal tags).
  SlotState read_slot(uint32_t slot, std::string& key, std::string& payload,
                      uint64_t* key_tag = nullptr) const;
  // Frees a live slot (the scrape side's eviction of a cold key).
  bool evict(uint32_t slot) noexcept;

 private:
  struct Entry {
    std::atomic<uint64_t> state{0};  // kEmpty, kTombstone, kWriting|tag, kReady|tag
    std::atomic<uint32_t> key_len{0};
    std::atomic<uint32_t> payload_len{0};
  };

  uint32_t probe(std::string_view key, uint64_t tag, uint32_t& first_free) const noexcept;
  bool key_matches(uint32_t slot, uint64_t state, std::string_view key) const noexcept;
  void store_bytes(uint32_t slot, uint32_t word_offset, std::string_view bytes) noexcept;
  void load_bytes(uint32_t slot, uint32_t word_offset, uint32_t len, std::string& out) const;
  bool free_slot(uint32_t slot, uint64_t expected) noexcept;

  const uint32_t capacity_;
  const uint32_t table_size_;  // 1.5 x capacity: short probes, bounded memory
  const uint32_t key_words_;
  const uint32_t words_per_entry_;
  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;  // table_size_ * words_per_entry_
  std::atomic<uint32_t> live_{0};
};

}  // namespace nq::metrics
