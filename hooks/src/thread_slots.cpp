#include "thread_slots.hpp"

#include <atomic>
#include <bit>

#include "nq/nq_host.h"

namespace nq::host::detail {
namespace {

constexpr uint32_t kWords = NQ_HOST_MAX_THREAD_SLOTS / 64;
static_assert(NQ_HOST_MAX_THREAD_SLOTS % 64 == 0);

std::atomic<uint64_t> g_claimed[kWords];

uint32_t claim_slot() noexcept {
  for (uint32_t word = 0; word < kWords; ++word) {
    uint64_t bits = g_claimed[word].load(std::memory_order_relaxed);
    while (bits != ~uint64_t{0}) {
      const uint32_t bit = static_cast<uint32_t>(std::countr_one(bits));
      if (g_claimed[word].compare_exchange_weak(bits, bits | (uint64_t{1} << bit),
                                                std::memory_order_acquire,
                                                std::memory_order_relaxed)) {
        return word * 64 + bit;
      }
    }
  }
  return NQ_THREAD_SLOT_SHARED;
}

void release_slot(uint32_t slot) noexcept {
  g_claimed[slot / 64].fetch_and(~(uint64_t{1} << (slot % 64)), std::memory_order_release);
}

// Holds the thread's slot for its lifetime. The host library is never
// unloaded while threads run, so a destructor here pins nothing.
struct SlotLease {
  uint32_t slot = claim_slot();
  SlotLease() = default;
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;
  ~SlotLease() {
    // A hook called later in the thread's exit (another thread_local's
    // destructor) goes the shared way: the slot may be someone else's.
    t_thread_slot = NQ_THREAD_SLOT_SHARED;
    if (slot != NQ_THREAD_SLOT_SHARED) release_slot(slot);
  }
};

}  // namespace

thread_local constinit uint32_t t_thread_slot [[gnu::tls_model("initial-exec")]] = kUnclaimedSlot;

nq_thread_slot claim_thread_slot() noexcept {
  [[gnu::tls_model("initial-exec")]] static thread_local SlotLease lease;
  t_thread_slot = lease.slot;
  return lease.slot;
}

}  // namespace nq::host::detail
