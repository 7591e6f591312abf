// Process-wide allocation of exclusive thread slots (see nq_plugin_abi.h).
//
// Thread-safety: lock-free. A thread claims the lowest free slot the first
// time it asks and gives it back when it exits, so a slot is never held by
// two live threads. Claim and release use acquire/release ordering, so a
// thread that inherits a slot sees every write of the slot's earlier owner.
// t_thread_slot is the calling thread's own: no other thread reads it.
#pragma once

#include <cstdint>

#include "nq/nq_plugin_abi.h"

namespace nq::host::detail {

// t_thread_slot before the thread's first call.
inline constexpr uint32_t kUnclaimedSlot = NQ_THREAD_SLOT_SHARED - 1;

// The calling thread's slot (NQ_THREAD_SLOT_SHARED: none was free, or the
// thread is exiting), or kUnclaimedSlot. A constant-initialized variable of
// the initial-exec model: read inline, without a call.
extern thread_local constinit uint32_t t_thread_slot [[gnu::tls_model("initial-exec")]];

// Claims the calling thread's slot (released when the thread exits) and
// returns it; sets t_thread_slot.
nq_thread_slot claim_thread_slot() noexcept;

// The calling thread's slot if it is below `limit`, else NQ_THREAD_SLOT_SHARED.
// No allocation, lock or system call after the thread's first call.
inline nq_thread_slot current_thread_slot(uint32_t limit) noexcept {
  uint32_t slot = t_thread_slot;
  if (slot == kUnclaimedSlot) slot = claim_thread_slot();
  return slot < limit ? slot : NQ_THREAD_SLOT_SHARED;
}

}  // namespace nq::host::detail
