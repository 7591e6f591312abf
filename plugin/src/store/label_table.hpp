// A bounded, lock-free set of engine-valued label keys (query digests, table
// and index names, channels...), each owning one slot = one series index.
//
// At most `capacity` keys are live at once; a key that finds no room maps to
// overflow_slot(), the "__other__" series. The table never allocates after
// construction, whatever the engine sends.
//
// Memory. Each slot keeps its key inline when it fits in `inline_key_bytes`
// (most label values are short); a longer key (up to kMaxKeyBytes) takes one
// block of a shared pool sized for 1 key in kLongKeyShare of the capacity
// (at least kMinLongKeyBlocks). When the pool is empty a long newcomer maps
// to overflow_slot() like any key past the bound. So a table costs about
// 1.5 x (8 + inline_key_bytes + payload_bytes) bytes per value plus
// kMaxKeyBytes / kLongKeyShare, instead of room for the longest key in every
// slot.
//
// Thread-safety: find_or_insert(), find() and erase() are called from engine
// threads concurrently; they are lock-free, allocation-free and do a bounded
// amount of work (at most kProbeWindow entries, each compared in at most
// kMaxKeyBytes bytes). read_slot() and evict() are for the scrape side and may
// run concurrently with them; the scrape side itself is single-threaded, and
// it alone returns the blocks of freed long keys to the pool (read_slot()).
// Each slot is a small seqlock: its key words are read with acquire loads
// and validated by re-reading the slot's state, so a reader never trusts a
// key that was being rewritten.
//
// Concurrent inserts promise:
// - A key owns at most one slot once its inserts have returned. Two
//   concurrent inserters of one new key may both publish a copy (one gave up
//   waiting for a preempted writer, or an eviction opened an earlier free slot
//   between their probes); each inserter then frees every copy but the first
//   in probe order, so the second copy lives only while both inserts run.
//   Meanwhile both copies are within kProbeWindow slots of the key's home
//   slot, and the scrape side merges series with equal labels; what an event
//   recorded in the freed copy goes to "__other__" like any freed slot's.
// - A key is turned away (overflow_slot()) for good only when `capacity`
//   other keys are live, its probe window is full, or it is long and the
//   block pool is empty. An insert racing with other inserts may see the
//   bound reached by a copy about to be freed: that one call maps to
//   overflow_slot(), and the key's next insert finds room.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/label_value.hpp"

namespace nq::metrics {

class LabelTable {
 public:
  // A key has one or two parts (e.g. table and index), joined by a NUL byte
  // (label values never contain NUL, see label_value.hpp).
  static constexpr size_t kMaxKeyBytes = 2 * kMaxLabelValueBytes + 1;
  static constexpr uint32_t kProbeWindow = 64;
  static constexpr uint32_t kDefaultInlineKeyBytes = 32;
  static constexpr uint32_t kMaxPayloadBytes = 1023;
  static constexpr uint32_t kLongKeyShare = 16;
  static constexpr uint32_t kMinLongKeyBlocks = 8;

  // `payload_bytes` (<= kMaxPayloadBytes): room for a value stored with the
  // key when it is inserted (the normalized text of a query digest); 0 for none.
  LabelTable(uint32_t capacity, uint32_t payload_bytes,
             uint32_t inline_key_bytes = kDefaultInlineKeyBytes);

  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t slot_count() const noexcept { return table_size_; }  // series [0, slot_count())
  uint32_t overflow_slot() const noexcept { return table_size_; }
  uint32_t live() const noexcept { return live_.load(std::memory_order_relaxed); }
  size_t memory_bytes() const noexcept;

  // Hot path.
  uint32_t find_or_insert(std::string_view key, std::string_view payload = {}) noexcept;
  uint32_t find(std::string_view key) const noexcept;  // overflow_slot() when absent
  bool erase(std::string_view key) noexcept;           // frees the key's slot
  // Slots freed so far (erase, evict, a duplicate copy): a caller that cached
  // the slot of a key may keep using it while this has not changed.
  uint64_t frees() const noexcept { return frees_.load(std::memory_order_acquire); }

  // Scrape side.
  enum class SlotState { free, live };
  // Copies the slot's key and payload when it is live, and its tag (a hash
  // of the key: equal keys have equal tags). A freed slot's long-key block
  // goes back to the pool here.
  SlotState read_slot(uint32_t slot, std::string& key, std::string& payload,
                      uint64_t* key_tag = nullptr);
  // Frees a live slot (the scrape side's eviction of a cold key).
  bool evict(uint32_t slot) noexcept;

 private:
  // Blocks for long keys. Hook threads take blocks (take(): lock-free, a CAS
  // on the head); only the scrape side gives them back (single producer), so
  // a given-back block can never overwrite one not yet taken.
  class BlockPool {
   public:
    BlockPool(uint32_t blocks, uint32_t words_per_block);
    static constexpr uint32_t kNone = UINT32_MAX;
    uint32_t take() noexcept;
    void give_back(uint32_t block) noexcept;
    // nullptr for a number that is no block (read from a slot being rewritten).
    std::atomic<uint64_t>* words(uint64_t block) const noexcept {
      return block < blocks_ ? &words_[block * words_per_block_] : nullptr;
    }
    size_t memory_bytes() const noexcept;

   private:
    const uint32_t blocks_;
    const uint32_t words_per_block_;
    const uint32_t ring_mask_;
    std::unique_ptr<std::atomic<uint64_t>[]> words_;
    std::unique_ptr<std::atomic<uint32_t>[]> ring_;  // free block numbers
    std::atomic<uint64_t> head_{0};                  // next to take
    std::atomic<uint64_t> tail_{0};                  // next to give back
  };

  std::atomic<uint64_t>& state(uint32_t slot) const noexcept {
    return words_[size_t{slot} * words_per_slot_];
  }
  // Where the key of a slot in `state` is; nullptr when the slot changed.
  std::atomic<uint64_t>* key_words(uint32_t slot, uint64_t state) const noexcept;
  // The slot of `key` (and the state it was matched in), or overflow_slot()
  // with the first free slot of its probe window in `first_free`.
  uint32_t probe(std::string_view key, uint64_t hash, uint32_t& first_free,
                 uint64_t* matched_state) const noexcept;
  // The first slot of a key's probe window: the hash's high half scaled to
  // the table (no power-of-two rounding, so the table is only as large as the
  // load factor asks).
  uint32_t home_slot(uint64_t hash) const noexcept {
    return static_cast<uint32_t>(((hash >> 32) * table_size_) >> 32);
  }
  bool key_matches(uint32_t slot, uint64_t state, std::string_view key) const noexcept;
  // After publishing `key` in slot `published`: frees any other copy of the
  // key and returns the one kept (the first in probe order).
  uint32_t keep_first_copy(std::string_view key, uint64_t hash, uint32_t published) noexcept;
  bool free_slot(uint32_t slot, uint64_t expected) noexcept;

  // Tests make the second copy of a key that two racing inserts can leave
  // for a moment, to check that the scrape side merges the two.
  friend struct LabelTableTestPeer;

  const uint32_t capacity_;
  const uint32_t table_size_;  // 1.5 x capacity: short probes, bounded memory
  const uint32_t inline_words_;
  const uint32_t payload_words_;
  const uint32_t words_per_slot_;  // state, inline key (or block number), payload
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  BlockPool long_keys_;
  std::atomic<uint32_t> live_{0};
  std::atomic<uint64_t> frees_{0};
};

}  // namespace nq::metrics
