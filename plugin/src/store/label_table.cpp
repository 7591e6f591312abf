#include "store/label_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace nq::metrics {
namespace {

// A slot's state word. Free states have neither kWriting nor kReady:
constexpr uint64_t kEmpty = 0;
constexpr uint64_t kTombstone = 1;
// A freed long key whose block the scrape side has not given back yet; not
// reusable until then (only the scrape side leaves this state).
constexpr uint64_t kTombstoneHoldingBlock = 2;
// Taken states: kWriting | tag while the key is written, then
// kReady | key length | payload length | tag.
constexpr uint64_t kWriting = uint64_t{1} << 63;
constexpr uint64_t kReady = uint64_t{1} << 62;
constexpr int kKeyLenShift = 52;      // 10 bits: up to 1023 > kMaxKeyBytes
constexpr int kPayloadLenShift = 42;  // 10 bits: up to kMaxPayloadBytes
constexpr uint64_t kLenMask = (uint64_t{1} << 10) - 1;
constexpr uint64_t kTagMask = (uint64_t{1} << kPayloadLenShift) - 1;
constexpr int kWriterWaitSpins = 1024;
constexpr int kPoolTakeAttempts = 64;

static_assert(LabelTable::kMaxKeyBytes <= kLenMask && LabelTable::kMaxPayloadBytes <= kLenMask);

uint64_t tag_of(uint64_t hash) noexcept {
  return hash & kTagMask;
}
uint32_t key_len_of(uint64_t state) noexcept {
  return static_cast<uint32_t>((state >> kKeyLenShift) & kLenMask);
}
uint32_t payload_len_of(uint64_t state) noexcept {
  return static_cast<uint32_t>((state >> kPayloadLenShift) & kLenMask);
}

uint32_t words_for(size_t bytes) {
  return static_cast<uint32_t>((bytes + 7) / 8);
}

void store_bytes(std::atomic<uint64_t>* words, std::string_view bytes) noexcept {
  for (size_t i = 0, w = 0; i < bytes.size(); i += 8, ++w) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, std::min<size_t>(8, bytes.size() - i));
    words[w].store(word, std::memory_order_relaxed);
  }
}

void load_bytes(const std::atomic<uint64_t>* words, uint32_t len, std::string& out) {
  out.resize(len);
  for (size_t i = 0, w = 0; i < len; i += 8, ++w) {
    const uint64_t word = words[w].load(std::memory_order_acquire);
    std::memcpy(out.data() + i, &word, std::min<size_t>(8, len - i));
  }
}

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

LabelTable::BlockPool::BlockPool(uint32_t blocks, uint32_t words_per_block)
    : blocks_(blocks),
      words_per_block_(words_per_block),
      ring_mask_(std::bit_ceil(std::max<uint32_t>(blocks, 1)) - 1),
      words_(new std::atomic<uint64_t>[size_t{blocks} * words_per_block]),
      ring_(new std::atomic<uint32_t>[size_t{ring_mask_} + 1]) {
  for (uint32_t b = 0; b < blocks_; ++b) ring_[b].store(b, std::memory_order_relaxed);
  tail_.store(blocks_, std::memory_order_release);
}

uint32_t LabelTable::BlockPool::take() noexcept {
  uint64_t head = head_.load(std::memory_order_acquire);
  for (int attempt = 0; attempt < kPoolTakeAttempts; ++attempt) {
    if (head == tail_.load(std::memory_order_acquire)) return kNone;
    // give_back() never rewrites this ring entry before head moves past it,
    // so when the CAS succeeds the value read is the one taken.
    const uint32_t block = ring_[head & ring_mask_].load(std::memory_order_relaxed);
    if (head_.compare_exchange_weak(head, head + 1, std::memory_order_acq_rel,
                                    std::memory_order_acquire)) {
      return block;
    }
  }
  return kNone;  // heavy contention: the caller uses the overflow series
}

void LabelTable::BlockPool::give_back(uint32_t block) noexcept {
  // At most blocks_ <= ring size blocks are ever free, so the entry written
  // is one every taker has moved past.
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  ring_[tail & ring_mask_].store(block, std::memory_order_relaxed);
  tail_.store(tail + 1, std::memory_order_release);
}

size_t LabelTable::BlockPool::memory_bytes() const noexcept {
  return size_t{blocks_} * words_per_block_ * 8 + (size_t{ring_mask_} + 1) * sizeof(uint32_t);
}

LabelTable::LabelTable(uint32_t capacity, uint32_t payload_bytes, uint32_t inline_key_bytes)
    : capacity_(capacity),
      table_size_(std::max<uint32_t>(kProbeWindow, capacity + capacity / 2)),
      inline_words_(std::max<uint32_t>(1, words_for(inline_key_bytes))),
      payload_words_(words_for(std::min(payload_bytes, kMaxPayloadBytes))),
      words_per_slot_(1 + inline_words_ + payload_words_),
      words_(new std::atomic<uint64_t>[size_t{table_size_} * words_per_slot_]),
      long_keys_(inline_words_ * 8 >= kMaxKeyBytes
                     ? 0
                     : std::max(kMinLongKeyBlocks, (capacity + kLongKeyShare - 1) / kLongKeyShare),
                 words_for(kMaxKeyBytes)) {}

size_t LabelTable::memory_bytes() const noexcept {
  return size_t{table_size_} * words_per_slot_ * 8 + long_keys_.memory_bytes();
}

std::atomic<uint64_t>* LabelTable::key_words(uint32_t slot, uint64_t state) const noexcept {
  std::atomic<uint64_t>* inline_key = &words_[size_t{slot} * words_per_slot_ + 1];
  if (key_len_of(state) <= inline_words_ * 8) return inline_key;
  // A long key: the first inline word holds its block. Read under the slot's
  // seqlock, so a stale number is caught by the caller's re-check of state.
  return long_keys_.words(inline_key[0].load(std::memory_order_acquire));
}

bool LabelTable::key_matches(uint32_t slot, uint64_t state, std::string_view key) const noexcept {
  if (key_len_of(state) != key.size()) return false;
  const std::atomic<uint64_t>* words = key_words(slot, state);
  if (words == nullptr) return false;
  for (size_t i = 0, w = 0; i < key.size(); i += 8, ++w) {
    uint64_t expected = 0;
    std::memcpy(&expected, key.data() + i, std::min<size_t>(8, key.size() - i));
    if (words[w].load(std::memory_order_acquire) != expected) return false;
  }
  // Still the same entry after reading it: the comparison saw a stable key.
  return this->state(slot).load(std::memory_order_relaxed) == state;
}

uint32_t LabelTable::probe(std::string_view key, uint64_t hash, uint32_t& first_free,
                           uint64_t* matched_state) const noexcept {
  const uint64_t tag = tag_of(hash);
  first_free = overflow_slot();
  for (uint32_t i = 0, slot = home_slot(hash); i < kProbeWindow;
       ++i, slot = slot + 1 == table_size_ ? 0 : slot + 1) {
    uint64_t s = state(slot).load(std::memory_order_acquire);
    if (s == kEmpty) {
      if (first_free == overflow_slot()) first_free = slot;
      return overflow_slot();  // keys are never stored past an empty entry
    }
    if (s == kTombstone) {
      if (first_free == overflow_slot()) first_free = slot;
      continue;
    }
    if ((s & (kWriting | kReady)) == 0 || (s & kTagMask) != tag) continue;
    for (int spin = 0; (s & kWriting) != 0 && spin < kWriterWaitSpins; ++spin) {
      cpu_relax();  // another thread is writing this very key: a few ns
      s = state(slot).load(std::memory_order_acquire);
    }
    if ((s & kReady) != 0 && (s & kTagMask) == tag && key_matches(slot, s, key)) {
      if (matched_state != nullptr) *matched_state = s;
      return slot;
    }
  }
  return overflow_slot();
}

uint32_t LabelTable::find(std::string_view key) const noexcept {
  uint32_t first_free;
  return probe(key, hash_bytes(key), first_free, nullptr);
}

uint32_t LabelTable::find_or_insert(std::string_view key, std::string_view payload) noexcept {
  if (key.size() > kMaxKeyBytes) return overflow_slot();
  const uint64_t hash = hash_bytes(key);
  const uint64_t tag = tag_of(hash);
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint32_t slot = overflow_slot();
    const uint32_t found = probe(key, hash, slot, nullptr);
    if (found != overflow_slot()) return found;
    if (slot == overflow_slot()) return overflow_slot();  // probe window full
    if (live_.fetch_add(1, std::memory_order_relaxed) >= capacity_) {
      live_.fetch_sub(1, std::memory_order_relaxed);
      return overflow_slot();
    }
    std::atomic<uint64_t>& st = state(slot);
    uint64_t seen = st.load(std::memory_order_relaxed);
    if ((seen == kEmpty || seen == kTombstone) &&
        st.compare_exchange_strong(seen, kWriting | tag, std::memory_order_acq_rel)) {
      std::atomic<uint64_t>* inline_key = &st + 1;
      std::atomic<uint64_t>* key_dest = inline_key;
      if (key.size() > inline_words_ * 8) {
        const uint32_t block = long_keys_.take();
        if (block == BlockPool::kNone) {  // no room for one more long key
          st.store(kTombstone, std::memory_order_release);
          live_.fetch_sub(1, std::memory_order_relaxed);
          return overflow_slot();
        }
        inline_key[0].store(block, std::memory_order_relaxed);
        key_dest = long_keys_.words(block);
      }
      const std::string_view kept =
          payload.substr(0, std::min<size_t>(payload.size(), size_t{payload_words_} * 8));
      store_bytes(key_dest, key);
      store_bytes(inline_key + inline_words_, kept);
      st.store(kReady | uint64_t{key.size()} << kKeyLenShift |
                   uint64_t{kept.size()} << kPayloadLenShift | tag,
               std::memory_order_release);
      return keep_first_copy(key, hash, slot);
    }
    live_.fetch_sub(1, std::memory_order_relaxed);  // lost the race: look again
  }
  return overflow_slot();
}

uint32_t LabelTable::keep_first_copy(std::string_view key, uint64_t hash,
                                     uint32_t published) noexcept {
  // Two inserters of one key can each publish a copy: one waited in vain for
  // the other's write (preempted writer), or an eviction opened an earlier
  // free slot between their probes. Each inserter, after publishing, frees
  // every copy but the first in probe order. The fence pairs with the other
  // inserter's: of two inserters that published, at least one sees both
  // copies, so no second copy outlives their inserts.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  const uint64_t tag = tag_of(hash);
  uint32_t first = overflow_slot();
  for (uint32_t i = 0, slot = home_slot(hash); i < kProbeWindow;
       ++i, slot = slot + 1 == table_size_ ? 0 : slot + 1) {
    const uint64_t s = state(slot).load(std::memory_order_acquire);
    if (s == kEmpty) break;
    if ((s & kReady) == 0 || (s & kTagMask) != tag || !key_matches(slot, s, key)) continue;
    if (first == overflow_slot()) {
      first = slot;
    } else {
      free_slot(slot, s);  // fails harmlessly when another inserter freed it first
    }
  }
  // Our own copy can only be missing when another inserter already freed it
  // as a later copy, so `first` is then the copy it kept.
  return first != overflow_slot() ? first : published;
}

bool LabelTable::free_slot(uint32_t slot, uint64_t expected) noexcept {
  const uint64_t freed =
      key_len_of(expected) > inline_words_ * 8 ? kTombstoneHoldingBlock : kTombstone;
  if (!state(slot).compare_exchange_strong(expected, freed, std::memory_order_acq_rel)) {
    return false;
  }
  live_.fetch_sub(1, std::memory_order_relaxed);
  frees_.fetch_add(1, std::memory_order_release);
  return true;
}

bool LabelTable::erase(std::string_view key) noexcept {
  uint32_t first_free;
  uint64_t matched = 0;
  const uint32_t slot = probe(key, hash_bytes(key), first_free, &matched);
  return slot != overflow_slot() && free_slot(slot, matched);
}

bool LabelTable::evict(uint32_t slot) noexcept {
  const uint64_t s = state(slot).load(std::memory_order_acquire);
  return (s & kReady) != 0 && free_slot(slot, s);
}

LabelTable::SlotState LabelTable::read_slot(uint32_t slot, std::string& key, std::string& payload,
                                            uint64_t* key_tag) {
  std::atomic<uint64_t>& st = state(slot);
  for (;;) {
    const uint64_t s = st.load(std::memory_order_acquire);
    if (s == kTombstoneHoldingBlock) {
      // Only this (single-threaded) side leaves this state: nobody else
      // touches the slot until it is a plain tombstone again.
      long_keys_.give_back(static_cast<uint32_t>((&st)[1].load(std::memory_order_relaxed)));
      st.store(kTombstone, std::memory_order_release);
      return SlotState::free;
    }
    if ((s & kReady) == 0) return SlotState::free;  // empty, tombstone or being written
    const std::atomic<uint64_t>* words = key_words(slot, s);
    if (words == nullptr) continue;  // rewritten meanwhile: read the new state
    load_bytes(words, key_len_of(s), key);
    load_bytes(&st + 1 + inline_words_, payload_len_of(s), payload);
    if (st.load(std::memory_order_relaxed) == s) {
      if (key_tag != nullptr) *key_tag = s & kTagMask;
      return SlotState::live;
    }
  }
}

}  // namespace nq::metrics
