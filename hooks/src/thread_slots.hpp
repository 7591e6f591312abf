// Process-wide allocation of exclusive thread slots (see nq_plugin_abi.h).
//
// Thread-safety: lock-free. A thread claims the lowest free slot the first
// time it asks and gives it back when it exits, so a slot is never held by
// two live threads. Claim and release use acquire/release ordering, so a
// thread that inherits a slot sees every write of the slot's earlier owner.
#pragma once

#include <cstdint>

#include "nq/nq_plugin_abi.h"

namespace nq::host::detail {

// The calling thread's slot if it is below `limit`, else NQ_THREAD_SLOT_SHARED.
// No allocation, lock or system call after the thread's first call.
nq_thread_slot current_thread_slot(uint32_t limit) noexcept;

}  // namespace nq::host::detail
